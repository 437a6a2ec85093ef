/** Most texts one batch or embeddings call takes; the admin server also caps the body at 1 MiB. */
export const MAX_BATCH_TEXTS = 100;
/** Longest text classified or embedded, in characters. */
export const MAX_TEXT_CHARS = 100_000;
