import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BUNDLED_DOMAIN_DIR, BUNDLED_EMBEDDER_DIR, BUNDLED_ENCODER_DIR } from '../../src/classifiers/bundled-models.js';
import { EncoderHeadClassifier } from '../../src/classifiers/encoder-head-classifier.js';
import { FeatureClassifier } from '../../src/classifiers/feature-classifier.js';
import { UseLiteEmbedder } from '../../src/classifiers/use-lite-embedder.js';
import { WordVectorEmbedder } from '../../src/classifiers/word-vector-embedder.js';
import { REPO_ROOT } from '../helpers/config-fixture.js';

const HEAD_DIR = join(REPO_ROOT, 'models', 'domain-head');

interface ParitySample {
  readonly embedding: number[];
  readonly base_probabilities: number[];
  readonly logits: number[];
}

describe('domain encoder head (models/domain-head)', () => {
  let words: WordVectorEmbedder;
  let base: FeatureClassifier;
  let head: EncoderHeadClassifier;
  let useLite: UseLiteEmbedder;
  beforeAll(async () => {
    useLite = await UseLiteEmbedder.load(BUNDLED_ENCODER_DIR);
    words = await WordVectorEmbedder.load(BUNDLED_EMBEDDER_DIR);
    base = await FeatureClassifier.load(BUNDLED_DOMAIN_DIR, words);
    head = await EncoderHeadClassifier.load(HEAD_DIR, useLite, base);
  }, 60_000);

  it('computes the logits the trainer exported (ONNX graph = torch head)', async () => {
    const config = JSON.parse(readFileSync(join(HEAD_DIR, 'config.json'), 'utf8')) as { parity_check: ParitySample[] };
    expect(config.parity_check.length).toBeGreaterThan(0);
    for (const sample of config.parity_check) {
      const logits = await head.logits(Float32Array.from(sample.embedding), Float32Array.from(sample.base_probabilities));
      Array.from(logits).forEach((value, i) => expect(value).toBeCloseTo(sample.logits[i]!, 3));
    }
  });

  it('labels short natural questions that the exam-trained model alone gets wrong or is unsure of', async () => {
    const cases: Array<[string, string[]]> = [
      ['tell me nutritional info for broccoli', ['health']],
      ['How do I reverse a list in Python?', ['computer science']],
    ];
    for (const [text, labels] of cases) expect(labels).toContain((await head.classify(text))[0]!.label);
  }, 60_000);

  // Known weakness (models/domain-head/MODEL_CARD.md): short questions about a physical law named after a person go to
  // `law`, because the exam data's law questions own the word and no natural training source asks about physics.
  // Marked failing so that it is visible, and turns red once the head gets it right (then move it back above).
  it.failing('labels "What is Ohm\'s law?" as physics or engineering', async () => {
    expect(['physics', 'engineering']).toContain((await head.classify("What is Ohm's law?"))[0]!.label);
  }, 60_000);

  it('reproduces the trainer\'s natural-question dev accuracy through the runtime (int8 encoder, TS tokenizer)', async () => {
    const rows = readFileSync(join(REPO_ROOT, 'eval', 'domain-natural.jsonl'), 'utf8')
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => JSON.parse(line) as { text: string; accept: string[]; split: string })
      .filter((row) => row.split === 'dev');
    let right = 0;
    for (const row of rows) if (row.accept.includes((await head.classify(row.text))[0]!.label)) right += 1;
    const trained = (JSON.parse(readFileSync(join(HEAD_DIR, 'config.json'), 'utf8')) as { metrics: { top1_blend: Record<string, number> } }).metrics.top1_blend;
    expect(Math.abs(right / rows.length - trained['natural-dev']!)).toBeLessThan(0.02);
  }, 120_000);

  it('refuses an encoder of the wrong width and a missing base model, naming the config', async () => {
    await expect(EncoderHeadClassifier.load(HEAD_DIR, words, base)).rejects.toThrow(/config\.json: the head reads 512-dimensional vectors, the encoder gives 612/);
    await expect(EncoderHeadClassifier.load(HEAD_DIR, useLite)).rejects.toThrow(/blends domain, which was not given/);
  });
});
