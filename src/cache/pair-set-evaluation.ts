import { readFile } from 'node:fs/promises';
import type { Embedder } from '../classifiers/embedder.js';
import { cosineSimilarity } from '../classifiers/embedder.js';
import { nearMissReason, type NearMissReason } from './near-miss-guard.js';
import { promptFacts } from './prompt-facts.js';

/** One labelled pair: would the cached answer for `a` be right for `b`? */
export interface LabelledPair {
  readonly a: string;
  readonly b: string;
  readonly label: 'paraphrase' | 'near-miss';
  /** What differs in a near-miss (entity, number, negation, word, order). */
  readonly kind?: string;
}

/** A pair with its similarity and the guard's verdict. */
export interface ScoredPair extends LabelledPair {
  readonly similarity: number;
  readonly rejectedBy: NearMissReason | undefined;
}

/** Hit and wrong-answer rates of one threshold on a pair set. */
export interface PairSetResult {
  readonly threshold: number;
  readonly paraphrases: number;
  readonly nearMisses: number;
  /** Paraphrase pairs served from the cache. */
  readonly paraphraseHits: number;
  /** Near-miss pairs served from the cache: wrong answers. */
  readonly wrongAnswers: number;
  /** Near-miss pairs that only the guard stopped (similar enough to hit without it). */
  readonly stoppedByGuard: number;
  readonly paraphraseHitRate: number;
  readonly wrongAnswerRate: number;
}

/** Reads a JSONL pair file. */
export async function readPairSet(file: string): Promise<LabelledPair[]> {
  const text = await readFile(file, 'utf8');
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as LabelledPair);
}

/** Embeds both sides of each pair as the cache does and runs the near-miss guard (cached side `a`, query side `b`). */
export async function scorePairs(embedder: Embedder, pairs: readonly LabelledPair[]): Promise<ScoredPair[]> {
  const cached = pairs.map((p) => promptFacts(p.a));
  const queries = pairs.map((p) => promptFacts(p.b));
  const [left, right] = await Promise.all([
    embedder.embed(cached.map((facts) => facts.embeddingText)),
    embedder.embed(queries.map((facts) => facts.embeddingText)),
  ]);
  return pairs.map((pair, i) => ({
    ...pair,
    similarity: cosineSimilarity(left[i]!, right[i]!),
    rejectedBy: nearMissReason(queries[i]!, cached[i]!),
  }));
}

/** What the cache would do with each pair at `threshold`: a hit needs the similarity and the guard. */
export function evaluateThreshold(scored: readonly ScoredPair[], threshold: number): PairSetResult {
  const paraphrases = scored.filter((p) => p.label === 'paraphrase');
  const nearMisses = scored.filter((p) => p.label === 'near-miss');
  const hits = (p: ScoredPair): boolean => p.similarity >= threshold && p.rejectedBy === undefined;
  const paraphraseHits = paraphrases.filter(hits).length;
  const wrongAnswers = nearMisses.filter(hits).length;
  return {
    threshold,
    paraphrases: paraphrases.length,
    nearMisses: nearMisses.length,
    paraphraseHits,
    wrongAnswers,
    stoppedByGuard: nearMisses.filter((p) => p.similarity >= threshold && p.rejectedBy !== undefined).length,
    paraphraseHitRate: paraphrases.length === 0 ? 0 : paraphraseHits / paraphrases.length,
    wrongAnswerRate: nearMisses.length === 0 ? 0 : wrongAnswers / nearMisses.length,
  };
}
