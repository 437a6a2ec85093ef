const NUMBER = /\d+(?:[.,]\d+)?/g;

/** Length of the feature vector for an embedding of `dimensions`: the embedding plus two shape features. */
export function featureLength(dimensions: number): number {
  return dimensions + 2;
}

/**
 * The features trained selectors read: the prompt's embedding (shared with the signals) and two
 * shape features the embedding normalises away, prompt length and how many numbers it holds
 * (both log-scaled), which say much about how hard a word problem is.
 */
export function selectorFeatures(embedding: Float32Array, text: string): Float32Array {
  const features = new Float32Array(featureLength(embedding.length));
  features.set(embedding);
  let numbers = 0;
  for (const _ of text.matchAll(NUMBER)) numbers += 1;
  features[embedding.length] = Math.log1p(text.length) / 8;
  features[embedding.length + 1] = Math.log1p(numbers) / 4;
  return features;
}
