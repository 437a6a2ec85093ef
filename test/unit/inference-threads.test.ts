/**
 * ONNX inference on the inference threads (src/classifiers/inference-threads.ts), with the bundled
 * models: the event loop keeps turning while a model runs, concurrent runs of a row-stacking model
 * share one session.run and give exactly what one run per request gives, and a broken model fails
 * its load with the path named. SWITCHYARD_INFERENCE_THREADS=0 opens the same models in this thread,
 * as the reference.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { BUNDLED_DIFFICULTY_DIR, BUNDLED_DOMAIN_DIR, BUNDLED_EMBEDDER_DIR, BUNDLED_ENCODER_DIR } from '../../src/classifiers/bundled-models.js';
import { FeatureClassifier } from '../../src/classifiers/feature-classifier.js';
import { inferenceCounts, openModelSession } from '../../src/classifiers/inference-threads.js';
import { UseLiteEmbedder } from '../../src/classifiers/use-lite-embedder.js';
import { WordVectorEmbedder } from '../../src/classifiers/word-vector-embedder.js';

const PROMPTS = readFileSync(fileURLToPath(new URL('../../eval/routing.jsonl', import.meta.url)), 'utf8')
  .split('\n')
  .filter(Boolean)
  .map((line) => (JSON.parse(line) as { text: string }).text);

/** Loads with the inference threads off (in this thread) or on (the default). */
async function withThreads<T>(on: boolean, load: () => Promise<T>): Promise<T> {
  const saved = process.env['SWITCHYARD_INFERENCE_THREADS'];
  process.env['SWITCHYARD_INFERENCE_THREADS'] = on ? '1' : '0';
  try {
    return await load();
  } finally {
    if (saved === undefined) delete process.env['SWITCHYARD_INFERENCE_THREADS'];
    else process.env['SWITCHYARD_INFERENCE_THREADS'] = saved;
  }
}

/** How many times a 1 ms interval fired while `work` ran. */
async function ticksDuring(work: () => Promise<unknown>): Promise<number> {
  let ticks = 0;
  const timer = setInterval(() => (ticks += 1), 1);
  try {
    await work();
  } finally {
    clearInterval(timer);
  }
  return ticks;
}

describe('inference threads', () => {
  it('keeps the event loop turning while the sentence encoder runs', async () => {
    const texts = PROMPTS.slice(0, 48).map((text) => `${text} ${text} ${text}`);
    const threaded = await withThreads(true, () => UseLiteEmbedder.load(BUNDLED_ENCODER_DIR));
    const inline = await withThreads(false, () => UseLiteEmbedder.load(BUNDLED_ENCODER_DIR));
    // One run of 48 texts of ~100 tokens: a synchronous call of about 100 ms or more in this thread.
    const inlineTicks = await ticksDuring(() => inline.embed(texts.map((t) => `inline ${t}`)));
    const threadedTicks = await ticksDuring(() => threaded.embed(texts.map((t) => `threaded ${t}`)));
    expect(inlineTicks).toBeLessThanOrEqual(2);
    expect(threadedTicks).toBeGreaterThan(5);
    const [a] = await threaded.embed([texts[0]!]);
    const [b] = await inline.embed([texts[0]!]);
    for (let i = 0; i < a!.length; i++) expect(a![i]).toBeCloseTo(b![i]!, 5);
  });

  it('stacks concurrent runs of a classifier into fewer calls, with the results of one run each', async () => {
    const embedder = await WordVectorEmbedder.load(BUNDLED_EMBEDDER_DIR);
    for (const dir of [BUNDLED_DOMAIN_DIR, BUNDLED_DIFFICULTY_DIR]) {
      const threaded = await withThreads(true, () => FeatureClassifier.load(dir, embedder));
      const inline = await withThreads(false, () => FeatureClassifier.load(dir, embedder));
      // Prompts of different lengths (and an empty one), so the stacked rows are padded.
      const texts = ['', ...PROMPTS.slice(0, 39)];
      const expected: Float32Array[] = [];
      for (const text of texts) expected.push(await inline.rawProbabilities(text));
      const before = inferenceCounts();
      const got = await Promise.all(texts.map((text) => threaded.rawProbabilities(text)));
      const after = inferenceCounts();
      expect(after.runs - before.runs).toBe(texts.length);
      expect(after.calls - before.calls).toBeLessThan(texts.length / 2);
      got.forEach((probabilities, i) => {
        expect(probabilities).toHaveLength(expected[i]!.length);
        probabilities.forEach((p, j) => expect(p).toBeCloseTo(expected[i]![j]!, 5));
      });
    }
  });

  it('fails the load of a model that is not ONNX, naming it', async () => {
    const notAModel = fileURLToPath(new URL('../../models/difficulty/config.json', import.meta.url));
    await expect(withThreads(true, () => openModelSession(notAModel))).rejects.toThrow(notAModel);
  });
});
