import { fileURLToPath } from 'node:url';
import { HfClassifier } from '../../src/classifiers/hf-classifier.js';

const tinyBert = fileURLToPath(new URL('../fixtures/models/tiny-bert', import.meta.url));

describe('Hugging Face export folder (tiny BERT from training/make-tiny-bert.py)', () => {
  let classifier: HfClassifier;
  beforeAll(async () => {
    classifier = await HfClassifier.load(tinyBert);
  });

  it('reads labels from config.json id2label', () => {
    expect(classifier.labels).toEqual(['greeting', 'math']);
  });

  it.each([
    ['hi how are you', 'greeting'],
    ['prove that the square root of 2 is irrational', 'math'],
  ])('classifies %j as %s', async (text, expected) => {
    const ranked = await classifier.classify(text);
    expect(ranked[0]!.label).toBe(expected);
    expect(ranked[0]!.score).toBeGreaterThan(0.9);
  });

  it('truncates a prompt longer than max_position_embeddings', async () => {
    const ranked = await classifier.classify('solve the equation '.repeat(100));
    expect(ranked).toHaveLength(2);
  });
});
