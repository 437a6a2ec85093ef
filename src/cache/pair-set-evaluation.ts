import { readFile } from 'node:fs/promises';
import type { Embedder } from '../classifiers/embedder.js';
import { cosineSimilarity } from '../classifiers/embedder.js';
import { structuralReason, unmatchedWordCoverage, type NearMissReason } from './near-miss-guard.js';
import { promptFacts } from './prompt-facts.js';
import { withAlignedRepairs } from './aligned-repair.js';

/** One labelled pair: would the cached answer for `a` be right for `b`? */
export interface LabelledPair {
  readonly a: string;
  readonly b: string;
  readonly label: 'paraphrase' | 'near-miss';
  /** What differs in a near-miss (entity, number, negation, word, order). */
  readonly kind?: string;
}

/** A pair with its similarity and what the guard sees in it. */
export interface ScoredPair extends LabelledPair {
  readonly similarity: number;
  /** The guard's verdict before topic-word coverage (numbers, negation, contrast, entity, order). */
  readonly structural: NearMissReason | undefined;
  /** See `unmatchedWordCoverage`: the guard passes when it reaches the word-similarity setting. */
  readonly coverage: number;
}

/** Hit and wrong-answer rates of one threshold on a pair set. */
export interface PairSetResult {
  readonly threshold: number;
  readonly wordSimilarity: number;
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

/** Embeds both sides of each pair as the cache does and reads what the guard sees (cached side `a`, query side `b`). */
export async function scorePairs(embedder: Embedder, pairs: readonly LabelledPair[]): Promise<ScoredPair[]> {
  const scored: ScoredPair[] = [];
  for (let start = 0; start < pairs.length; start += 64) {
    const part = pairs.slice(start, start + 64);
    // Both sides as the cache embeds them: with their speech repairs cut out.
    const [left, right] = await Promise.all([embedder.embed(part.map((p) => promptFacts(p.a).repaired)), embedder.embed(part.map((p) => promptFacts(p.b).repaired))]);
    for (const [i, pair] of part.entries()) {
      const { query, cached } = withAlignedRepairs(promptFacts(pair.b), promptFacts(pair.a));
      const structural = structuralReason(query, cached);
      scored.push({
        ...pair,
        similarity: cosineSimilarity(left[i]!, right[i]!),
        structural,
        coverage: structural === undefined ? await unmatchedWordCoverage(query, cached, embedder) : -1,
      });
    }
  }
  return scored;
}

/** Whether the guard lets a pair through at a word-similarity setting. */
export function guardPasses(pair: ScoredPair, wordSimilarity: number): boolean {
  return pair.structural === undefined && pair.coverage >= wordSimilarity;
}

/** What the cache would do with each pair at `threshold`: a hit needs the similarity and the guard. */
export function evaluateThreshold(scored: readonly ScoredPair[], threshold: number, wordSimilarity: number): PairSetResult {
  const paraphrases = scored.filter((p) => p.label === 'paraphrase');
  const nearMisses = scored.filter((p) => p.label === 'near-miss');
  const hits = (p: ScoredPair): boolean => p.similarity >= threshold && guardPasses(p, wordSimilarity);
  const paraphraseHits = paraphrases.filter(hits).length;
  const wrongAnswers = nearMisses.filter(hits).length;
  return {
    threshold,
    wordSimilarity,
    paraphrases: paraphrases.length,
    nearMisses: nearMisses.length,
    paraphraseHits,
    wrongAnswers,
    stoppedByGuard: nearMisses.filter((p) => p.similarity >= threshold && !guardPasses(p, wordSimilarity)).length,
    paraphraseHitRate: paraphrases.length === 0 ? 0 : paraphraseHits / paraphrases.length,
    wrongAnswerRate: nearMisses.length === 0 ? 0 : wrongAnswers / nearMisses.length,
  };
}
