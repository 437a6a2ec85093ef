import { fnv1a, ngramKeys, tokenize } from '../../classifiers/text-features.js';

/**
 * Features of the bundled jailbreak classifier. Mirrors training/jailbreak/jailbreak_features.py
 * exactly: the model was trained on these keys, so any drift silently degrades it.
 */

/** Feature keys: word uni/bigrams plus character trigrams of each "<token>". */
export function jailbreakFeatureKeys(tokens: readonly string[]): string[] {
  const keys = ngramKeys(tokens);
  for (const token of tokens) {
    const chars = ['<', ...Array.from(token), '>'];
    for (let i = 0; i + 3 <= chars.length; i++) keys.push(`c:${chars[i]}${chars[i + 1]}${chars[i + 2]}`);
  }
  return keys.length > 0 ? keys : ['u:'];
}

/** Hashed feature ids of a token list. */
export function jailbreakFeatureIds(tokens: readonly string[], buckets: number): number[] {
  return jailbreakFeatureKeys(tokens).map((key) => fnv1a(key) % buckets);
}

/** The whole token list, plus overlapping windows of `size` tokens (step `stride`) when it is longer. */
export function tokenWindows(tokens: readonly string[], size: number, stride: number): (readonly string[])[] {
  const windows: (readonly string[])[] = [tokens];
  if (tokens.length <= size) return windows;
  for (let start = 0; ; start += stride) {
    windows.push(tokens.slice(start, start + size));
    if (start + size >= tokens.length) return windows;
  }
}

export { tokenize };
