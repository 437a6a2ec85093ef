import type { ScoringSelector, Selection, SelectionCandidate, SelectionRequest } from './selection-algorithm.js';

/** The index of the highest score; ties go to the earlier candidate (modelRef order). */
export function bestIndex(scores: readonly number[]): number {
  let best = 0;
  for (let i = 1; i < scores.length; i++) if (scores[i]! > scores[best]!) best = i;
  return best;
}

/** Scores rescaled to 0..1 (all 0.5 when they are equal), so different algorithms can be blended. */
export function minMaxNormalised(scores: readonly number[]): number[] {
  const low = Math.min(...scores);
  const high = Math.max(...scores);
  return high - low < 1e-12 ? scores.map(() => 0.5) : scores.map((score) => (score - low) / (high - low));
}

/** A scoring selector that picks the best score and reports it with a label ("rating 1532"). */
export function scoringSelector(
  needsEmbedding: boolean,
  scores: (request: SelectionRequest, candidates: readonly SelectionCandidate[]) => readonly number[],
  reason: (score: number) => string,
): ScoringSelector {
  return {
    needsEmbedding,
    scores,
    select(request, candidates): Selection {
      const values = scores(request, candidates);
      const index = bestIndex(values);
      return { index, reason: reason(values[index]!) };
    },
  };
}

/** A number as it reads in a header: at most 4 significant decimals. */
export function short(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toFixed(Math.abs(value) >= 100 ? 1 : 4);
}
