import { fileURLToPath } from 'node:url';
import { DEFAULT_SIMILARITY_THRESHOLD, DEFAULT_WORD_SIMILARITY } from '../../src/cache/default-threshold.js';
import { evaluateThreshold, readPairSet, scorePairs } from '../../src/cache/pair-set-evaluation.js';
import { BUNDLED_ENCODER_DIR } from '../../src/classifiers/bundled-models.js';
import { UseLiteEmbedder } from '../../src/classifiers/use-lite-embedder.js';

describe('labelled pair set at the default threshold', () => {
  it('gives no wrong answers and hits at least 70% of true paraphrases', async () => {
    const pairs = await readPairSet(fileURLToPath(new URL('../fixtures/cache/pairs.jsonl', import.meta.url)));
    expect(pairs.length).toBeGreaterThanOrEqual(200);
    expect(pairs.filter((p) => p.label === 'near-miss').length * 2).toBeGreaterThanOrEqual(pairs.length);
    const scored = await scorePairs(await UseLiteEmbedder.load(BUNDLED_ENCODER_DIR), pairs);
    const result = evaluateThreshold(scored, DEFAULT_SIMILARITY_THRESHOLD, DEFAULT_WORD_SIMILARITY);
    expect(result.wrongAnswers).toBe(0);
    expect(result.paraphraseHitRate).toBeGreaterThanOrEqual(0.7);
  });
});
