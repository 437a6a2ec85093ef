/**
 * The default `similarity_threshold` (cosine of the last user messages' embeddings), tuned on
 * test/fixtures/cache/pairs.jsonl with `npx tsx bench/cache-lookup.ts` (see src/cache/README.md).
 */
export const DEFAULT_SIMILARITY_THRESHOLD = 0.8;
