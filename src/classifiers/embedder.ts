/** Turns texts into L2-normalised vectors whose dot product is their cosine similarity. */
export interface Embedder {
  readonly dimensions: number;
  embed(texts: readonly string[]): Promise<Float32Array[]>;
}

/** Cosine similarity of two L2-normalised vectors (their dot product). */
export function cosineSimilarity(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) throw new Error(`vector lengths differ: ${a.length} vs ${b.length}`);
  let dot = 0;
  for (let i = 0; i < a.length; i++) dot += a[i]! * b[i]!;
  return dot;
}

/** The highest cosine similarity of `query` to any of `candidates` (-Infinity when there are none). */
export function maxSimilarity(query: Float32Array, candidates: readonly Float32Array[]): number {
  let best = -Infinity;
  for (const c of candidates) best = Math.max(best, cosineSimilarity(query, c));
  return best;
}
