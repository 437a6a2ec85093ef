/**
 * Text → tokens and hashed feature keys. Mirrors training/text_features.py exactly: the bundled
 * models were trained on these features, so any drift here silently degrades them.
 */

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;
const TOKEN = /[\p{L}\p{N}]+/gu;
const utf8 = new TextEncoder();

/** Lower-cased runs of letters and digits after NFKC normalisation. */
export function tokenize(text: string): string[] {
  return text.normalize('NFKC').toLowerCase().match(TOKEN) ?? [];
}

/** 32-bit FNV-1a over the UTF-8 bytes of `text`, as an unsigned integer. */
export function fnv1a(text: string): number {
  let hash = FNV_OFFSET;
  for (const byte of utf8.encode(text)) {
    hash ^= byte;
    hash = Math.imul(hash, FNV_PRIME);
  }
  return hash >>> 0;
}

/** Unigram ("u:w") and bigram ("b:w1 w2") keys: the domain classifier's sparse features. */
export function ngramKeys(tokens: readonly string[]): string[] {
  const keys = tokens.map((t) => `u:${t}`);
  for (let i = 0; i + 1 < tokens.length; i++) keys.push(`b:${tokens[i]} ${tokens[i + 1]}`);
  return keys;
}
