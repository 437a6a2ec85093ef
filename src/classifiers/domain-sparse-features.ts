/**
 * Hashed bucket counts for the domain classifier's sparse TF-IDF model. Mirrors
 * training/domain_sparse_features.py exactly; the ONNX graph applies tf, idf and normalisation.
 */
import { fnv1a, ngramKeys, tokenize } from './text-features.js';

const MIN_GRAM = 2;
const MAX_GRAM = 5;
const WHITESPACE = /\s+/u;

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
/** FNV-1a state after hashing the key prefix "c:". */
const CHAR_KEY_SEED = fnv1a('c:');

/**
 * Calls `emit` with FNV-1a("c:" + gram) of every 2..5-code-point gram of each whitespace-separated,
 * NFKC lower-cased word padded as " word " — the same hashes as hashing the key strings, computed
 * incrementally over the UTF-8 bytes so a 500-token prompt builds no per-gram strings.
 */
function forEachCharGramHash(text: string, emit: (hash: number) => void): void {
  for (const word of text.normalize('NFKC').toLowerCase().split(WHITESPACE)) {
    if (word === '') continue;
    const bytes = utf8.encode(` ${word} `);
    // Byte offset where each code point starts, plus the end.
    const starts: number[] = [];
    for (let i = 0; i < bytes.length; i++) if ((bytes[i]! & 0xc0) !== 0x80) starts.push(i);
    starts.push(bytes.length);
    const codePoints = starts.length - 1;
    for (let first = 0; first + MIN_GRAM <= codePoints; first++) {
      let hash = CHAR_KEY_SEED;
      for (let size = 1; size <= MAX_GRAM && first + size <= codePoints; size++) {
        for (let b = starts[first + size - 1]!; b < starts[first + size]!; b++) {
          hash = Math.imul(hash ^ bytes[b]!, FNV_PRIME);
        }
        if (size >= MIN_GRAM) emit(hash >>> 0);
      }
    }
  }
}

/** Counts the word n-gram and char-gram buckets of a text. */
export function sparseBucketCounts(text: string, buckets: SparseBuckets): SparseBucketCounts {
  const counts = new Map<number, number>();
  const add = (id: number): void => {
    counts.set(id, (counts.get(id) ?? 0) + 1);
  };
  for (const key of ngramKeys(tokenize(text))) add(fnv1a(key) % buckets.wordBuckets);
  forEachCharGramHash(text, (hash) => add(buckets.wordBuckets + (hash % buckets.charBuckets)));
  return {
    ids: BigInt64Array.from(counts.keys(), (id) => BigInt(id)),
    counts: Float32Array.from(counts.values()),
  };
}
