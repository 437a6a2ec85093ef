/**
 * Hashed features of the domain classifier, computed without building a string per key: the word
 * uni-/bigram key hashes shared by the n-gram bag and the sparse TF-IDF model, and the sparse model's
 * bucket counts. Mirrors training/domain_sparse_features.py (and fnv1a / ngramKeys of text-features.ts)
 * exactly; the ONNX graph applies tf, idf and normalisation.
 */
import { fnv1a } from './text-features.js';

const MIN_GRAM = 2;
const MAX_GRAM = 5;
const WHITESPACE = /\s+/u;
const SPACE = 0x20;

/** Bucket layout of the sparse model (config.json → switchyard_features.sparse). */
export interface SparseBuckets {
  readonly wordBuckets: number;
  readonly charBuckets: number;
}

/** Distinct bucket ids of a text (word block, then the char block offset by wordBuckets) and their counts. */
export interface SparseBucketCounts {
  readonly ids: BigInt64Array;
  readonly counts: Float32Array;
}

const utf8 = new TextEncoder();
const FNV_PRIME = 0x01000193;
/** FNV-1a states after hashing the key prefixes "u:", "b:" and "c:". */
const UNIGRAM_SEED = fnv1a('u:');
const BIGRAM_SEED = fnv1a('b:');
const CHAR_KEY_SEED = fnv1a('c:');

const LITTLE_ENDIAN = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;

/**
 * `map` of each value as an int64 tensor buffer. The ids are non-negative and below 2^31, so on a
 * little-endian machine writing the low 32-bit half of each element is the same as BigInt(id) and
 * several times faster for the thousands of ids of a long prompt.
 */
export function int64Ids<T>(values: ArrayLike<T>, map: (value: T) => number): BigInt64Array {
  const ids = new BigInt64Array(values.length);
  if (!LITTLE_ENDIAN) {
    for (let i = 0; i < values.length; i++) ids[i] = BigInt(map(values[i]!));
    return ids;
  }
  const halves = new Int32Array(ids.buffer);
  for (let i = 0; i < values.length; i++) halves[2 * i] = map(values[i]!);
  return ids;
}

/** Continues an FNV-1a state over bytes[from, to). */
function foldBytes(hash: number, bytes: Uint8Array, from = 0, to = bytes.length): number {
  for (let b = from; b < to; b++) hash = Math.imul(hash ^ bytes[b]!, FNV_PRIME);
  return hash;
}

/**
 * FNV-1a of every key of ngramKeys(tokens), in the same order ("u:w" per token, then "b:w1 w2" per
 * adjacent pair). Each distinct token is UTF-8 encoded and its unigram hashed once.
 */
export function ngramKeyHashes(tokens: readonly string[]): Uint32Array {
  const distinct = new Map<string, { readonly bytes: Uint8Array; readonly unigram: number }>();
  const perToken = tokens.map((token) => {
    let entry = distinct.get(token);
    if (!entry) {
      const bytes = utf8.encode(token);
      entry = { bytes, unigram: foldBytes(UNIGRAM_SEED, bytes) >>> 0 };
      distinct.set(token, entry);
    }
    return entry;
  });
  const hashes = new Uint32Array(Math.max(0, 2 * tokens.length - 1));
  perToken.forEach((entry, i) => {
    hashes[i] = entry.unigram;
  });
  for (let i = 0; i + 1 < perToken.length; i++) {
    const first = foldBytes(BIGRAM_SEED, perToken[i]!.bytes);
    hashes[tokens.length + i] = foldBytes(Math.imul(first ^ SPACE, FNV_PRIME), perToken[i + 1]!.bytes) >>> 0;
  }
  return hashes;
}

/**
 * Calls `emit(hash, times)` with FNV-1a("c:" + gram) of every 2..5-code-point gram of each distinct
 * whitespace-separated, NFKC lower-cased word padded as " word ", `times` being how often the word
 * occurs: a repeated word is hashed once. Hashes run incrementally over the UTF-8 bytes, so no per-gram
 * strings are built.
 */
function forEachCharGramHash(text: string, emit: (hash: number, times: number) => void): void {
  const words = new Map<string, number>();
  for (const word of text.normalize('NFKC').toLowerCase().split(WHITESPACE)) {
    if (word !== '') words.set(word, (words.get(word) ?? 0) + 1);
  }
  for (const [word, times] of words) {
    const bytes = utf8.encode(` ${word} `);
    // Byte offset where each code point starts, plus the end.
    const starts: number[] = [];
    for (let i = 0; i < bytes.length; i++) if ((bytes[i]! & 0xc0) !== 0x80) starts.push(i);
    starts.push(bytes.length);
    const codePoints = starts.length - 1;
    for (let first = 0; first + MIN_GRAM <= codePoints; first++) {
      let hash = CHAR_KEY_SEED;
      for (let size = 1; size <= MAX_GRAM && first + size <= codePoints; size++) {
        hash = foldBytes(hash, bytes, starts[first + size - 1]!, starts[first + size]!);
        if (size >= MIN_GRAM) emit(hash >>> 0, times);
      }
    }
  }
}

/**
 * Counts the word n-gram and char-gram buckets of a text. `wordKeyHashes` is ngramKeyHashes of the
 * text's tokens; pass it when the caller already has it so it is not computed twice.
 */
export function sparseBucketCounts(text: string, buckets: SparseBuckets, wordKeyHashes: Uint32Array): SparseBucketCounts {
  const size = buckets.wordBuckets + buckets.charBuckets;
  // A dense count per bucket (reused across calls, zeroed again below) is much faster than a Map for the
  // ~15k grams of a long prompt; the calls are synchronous, so one scratch array is never shared.
  if (scratch.length < size) scratch = new Float32Array(size);
  const counts = scratch;
  const order: number[] = [];
  const add = (id: number, times: number): void => {
    if (counts[id] === 0) order.push(id);
    counts[id]! += times;
  };
  for (const hash of wordKeyHashes) add(hash % buckets.wordBuckets, 1);
  forEachCharGramHash(text, (hash, times) => add(buckets.wordBuckets + (hash % buckets.charBuckets), times));
  const result = { ids: int64Ids(order, (id) => id), counts: Float32Array.from(order, (id) => counts[id]!) };
  for (const id of order) counts[id] = 0;
  return result;
}

/** Bucket counts of the text being counted; all zero between calls. */
let scratch = new Float32Array(0);
