/**
 * The default `similarity_threshold` (cosine of the last user messages' sentence-encoder
 * embeddings) and the near-miss guard's word similarity, tuned on the dev half of the pair sets
 * with `npx tsx eval/cache-pairs.ts --split dev` (see src/cache/README.md).
 */
export const DEFAULT_SIMILARITY_THRESHOLD = 0.7;

/** A topic word only one prompt has passes when a word of the other is at least this similar. */
export const DEFAULT_WORD_SIMILARITY = 0.8;
