import { BUNDLED_DOMAIN_DIR, BUNDLED_EMBEDDER_DIR } from '../../src/classifiers/bundled-models.js';
import { FeatureClassifier } from '../../src/classifiers/feature-classifier.js';
import { WordVectorEmbedder } from '../../src/classifiers/word-vector-embedder.js';

describe('bundled MMLU-Pro domain classifier', () => {
  let classifier: FeatureClassifier;
  beforeAll(async () => {
    classifier = await FeatureClassifier.load(BUNDLED_DOMAIN_DIR, await WordVectorEmbedder.load(BUNDLED_EMBEDDER_DIR));
  });

  it('has the 14 MMLU-Pro categories', () => {
    expect([...classifier.labels].sort()).toEqual([
      'biology', 'business', 'chemistry', 'computer science', 'economics', 'engineering', 'health',
      'history', 'law', 'math', 'other', 'philosophy', 'physics', 'psychology',
    ]);
  });

  it.each([
    ['Find all real solutions of the equation x^2 - 5x + 6 = 0.', 'math'],
    ['What is the molar mass of sulfuric acid, H2SO4?', 'chemistry'],
    ['A ball is thrown upward with a velocity of 20 m/s. How high does it rise, neglecting air resistance?', 'physics'],
    ['Which organelle is responsible for producing ATP in eukaryotic cells?', 'biology'],
    ['Under the Fourth Amendment, when may police search a car without a warrant?', 'law'],
    ['What is the time complexity of binary search on a sorted array?', 'computer science'],
    ['How does an increase in the money supply affect inflation and interest rates?', 'economics'],
  ])('labels %j as %s', async (text, expected) => {
    const ranked = await classifier.classify(text);
    expect(ranked[0]!.label).toBe(expected);
    expect(ranked).toHaveLength(14);
    expect(ranked.reduce((s, r) => s + r.score, 0)).toBeCloseTo(1, 4);
    expect(ranked[0]!.score).toBeGreaterThanOrEqual(ranked[1]!.score);
  });

  it('classifies an empty prompt without failing', async () => {
    const ranked = await classifier.classify('');
    expect(ranked).toHaveLength(14);
  });
});
