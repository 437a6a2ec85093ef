/** Dimensions of the namespace part of an index vector: one per bit of the first 16 hash bytes. */
export const NAMESPACE_DIMENSIONS = 128;

const HALF = Math.SQRT1_2;

/**
 * The vector the HNSW index stores for an entry: `[√½·embedding, √½·sign(namespace bits)/√128]`.
 * Two vectors of one namespace have inner product ½·cos + ½; of two namespaces about ½·cos
 * (random sign vectors are nearly orthogonal), so one global graph ranks an entry's own
 * namespace first without a per-namespace index or a filter callback in the search loop.
 * The caller recovers the embedding cosine as 2·ip − 1 after checking the namespace.
 */
export function indexVector(embedding: Float32Array, namespaceHex: string): Float32Array {
  const out = new Float32Array(embedding.length + NAMESPACE_DIMENSIONS);
  for (let i = 0; i < embedding.length; i++) out[i] = embedding[i]! * HALF;
  const component = HALF / Math.sqrt(NAMESPACE_DIMENSIONS);
  for (let bit = 0; bit < NAMESPACE_DIMENSIONS; bit++) {
    const nibble = Number.parseInt(namespaceHex[bit >> 2] ?? '0', 16);
    out[embedding.length + bit] = (nibble >> (bit & 3)) & 1 ? component : -component;
  }
  return out;
}
