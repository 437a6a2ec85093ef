import { fnv1a, ngramKeys, tokenize } from '../../classifiers/text-features.js';

/**
 * Features and windows of the bundled jailbreak classifier. Mirrors
 * training/jailbreak/jailbreak_features.py exactly: the model was trained on these keys and
 * windows, so any drift silently degrades it.
 */

/** Sentences end at a line break, or at . ! ? followed by a space or tab. */
const SENTENCE_BREAK = /\n+|(?<=[.!?])[ \t]+/u;

/** Feature keys: word uni/bigrams plus character trigrams of each "<token>". */
export function jailbreakFeatureKeys(tokens: readonly string[]): string[] {
  const keys = ngramKeys(tokens);
  for (const token of tokens) {
    const chars = ['<', ...Array.from(token), '>'];
    for (let i = 0; i + 3 <= chars.length; i++) keys.push(`c:${chars[i]}${chars[i + 1]}${chars[i + 2]}`);
  }
  return keys.length > 0 ? keys : ['u:'];
}

/**
 * Hashed feature ids of a token list. Pass the same `memo` for the windows of one request: they
 * overlap, and hashing each key once is most of the featurisation time.
 */
export function jailbreakFeatureIds(tokens: readonly string[], buckets: number, memo: Map<string, number> = new Map()): number[] {
  return jailbreakFeatureKeys(tokens).map((key) => {
    let id = memo.get(key);
    if (id === undefined) {
      id = fnv1a(key) % buckets;
      memo.set(key, id);
    }
    return id;
  });
}

/** Token lists of the text's sentences, empty ones dropped. */
export function sentenceTokens(text: string): string[][] {
  return text.split(SENTENCE_BREAK).map(tokenize).filter((tokens) => tokens.length > 0);
}

/**
 * Token lists to score: the whole text first, then distinct runs of whole sentences of at most
 * `maxTokens` tokens, one starting at and one ending at every sentence. An attack wrapped in benign
 * sentences or paragraphs thus has a window that holds the attack and little else. A sentence
 * longer than `maxTokens` is cut into token chunks with stride `maxTokens / 2`.
 */
export function scoringWindows(text: string, maxTokens: number): string[][] {
  const sentences = sentenceTokens(text);
  const whole = sentences.flat();
  const out: string[][] = [whole];
  const seen = new Set<string>([whole.join(' ')]);
  const add = (tokens: string[]): void => {
    const key = tokens.join(' ');
    if (seen.has(key)) return;
    seen.add(key);
    out.push(tokens);
  };
  const n = sentences.length;
  sentences.forEach((sentence, i) => {
    if (sentence.length > maxTokens) {
      const step = Math.floor(maxTokens / 2);
      for (let start = 0; start < sentence.length - step; start += step) add(sentence.slice(start, start + maxTokens));
      return;
    }
    let end = i;
    for (let size = 0; end < n && size + sentences[end]!.length <= maxTokens; end++) size += sentences[end]!.length;
    add(sentences.slice(i, end).flat());
    let start = i;
    for (let size = 0; start >= 0 && size + sentences[start]!.length <= maxTokens; start--) size += sentences[start]!.length;
    add(sentences.slice(start + 1, i + 1).flat());
  });
  return out;
}

export { tokenize };
