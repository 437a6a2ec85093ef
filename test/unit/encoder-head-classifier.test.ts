import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BUNDLED_DOMAIN_DIR, BUNDLED_EMBEDDER_DIR } from '../../src/classifiers/bundled-models.js';
import type { Embedder } from '../../src/classifiers/embedder.js';
import { EncoderHeadClassifier } from '../../src/classifiers/encoder-head-classifier.js';
import { FeatureClassifier } from '../../src/classifiers/feature-classifier.js';
import { WordVectorEmbedder } from '../../src/classifiers/word-vector-embedder.js';
import { REPO_ROOT } from '../helpers/config-fixture.js';
import { embedWithTfjs } from '../helpers/tfjs-use-lite.js';

const HEAD_DIR = join(REPO_ROOT, 'models', 'domain-head');

/** Universal Sentence Encoder Lite as TF.js runs it (the reference the ONNX port is proven against). */
const useLite: Embedder = {
  dimensions: 512,
  embed: async (texts) => (await embedWithTfjs(texts)).embeddings.map((v) => Float32Array.from(v)),
};

interface ParitySample {
  readonly embedding: number[];
  readonly base_probabilities: number[];
  readonly logits: number[];
}

describe('domain encoder head (models/domain-head)', () => {
  let words: WordVectorEmbedder;
  let base: FeatureClassifier;
  let head: EncoderHeadClassifier;
  beforeAll(async () => {
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
    const cases: Array<[string, string]> = [
      ["What is Ohm's law?", 'physics'],
      ['tell me nutritional info for broccoli', 'health'],
      ['How do I reverse a list in Python?', 'computer science'],
      ['What were the main causes of the First World War?', 'history'],
    ];
    for (const [text, label] of cases) expect((await head.classify(text))[0]!.label).toBe(label);
  }, 60_000);

  it('refuses an encoder of the wrong width and a missing base model, naming the config', async () => {
    await expect(EncoderHeadClassifier.load(HEAD_DIR, words, base)).rejects.toThrow(/config\.json: the head reads 512-dimensional vectors, the encoder gives 612/);
    await expect(EncoderHeadClassifier.load(HEAD_DIR, useLite)).rejects.toThrow(/blends domain, which was not given/);
  });
});
