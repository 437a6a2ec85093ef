import { taggerFeatures, taggerTokens, type TaggerToken, type WordEntry } from './tagger-features.js';

/** Serialised tagger weights (models/pii/tagger.json). */
export interface TaggerWeights {
  /** BIO tags; index 0 is "O". */
  readonly tags: readonly string[];
  /** transitions[from][to]; row `tags.length` is the start of the text. */
  readonly transitions: readonly (readonly number[])[];
  /** Feature string → one weight per tag. */
  readonly features: Readonly<Record<string, readonly number[]>>;
}

/** A tagged entity span with its Presidio type. */
export interface TaggedSpan {
  readonly type: string;
  readonly start: number;
  readonly end: number;
  /** Mean per-token margin of the entity tag over "O", squashed to 0..1. */
  readonly score: number;
}

/** BIO constraints: allowed[from][to], where row `tags.length` is the start of the text; an I- tag only continues its own entity. */
export function bioConstraints(tags: readonly string[]): boolean[][] {
  const entityOf = (tag: string) => tag.slice(2);
  return [...tags, 'START'].map((from) => tags.map((to) => !to.startsWith('I-') || ((from.startsWith('B-') || from.startsWith('I-')) && entityOf(from) === entityOf(to))));
}

/** Per-token tag scores: the sum of the weights of each token's features. */
export function emissionScores(features: readonly (readonly string[])[], tagCount: number, weightOf: (feature: string) => ArrayLike<number> | undefined): Float64Array[] {
  return features.map((list) => {
    const scores = new Float64Array(tagCount);
    for (const feature of list) {
      const w = weightOf(feature);
      if (w !== undefined) for (let t = 0; t < tagCount; t++) scores[t]! += w[t]!;
    }
    return scores;
  });
}

/** Best tag sequence under emissions plus transitions, within the allowed transitions. */
export function viterbi(emissions: readonly Float64Array[], transitions: readonly ArrayLike<number>[], allowed: readonly (readonly boolean[])[]): number[] {
  const n = emissions.length;
  if (n === 0) return [];
  const tagCount = emissions[0]!.length;
  const back: Int32Array[] = [];
  let best = Float64Array.from({ length: tagCount }, (_, t) => (allowed[tagCount]![t] ? transitions[tagCount]![t]! + emissions[0]![t]! : -Infinity));
  for (let i = 1; i < n; i++) {
    const next = new Float64Array(tagCount).fill(-Infinity);
    const pointers = new Int32Array(tagCount);
    for (let to = 0; to < tagCount; to++) {
      for (let from = 0; from < tagCount; from++) {
        if (!allowed[from]![to]) continue;
        const score = best[from]! + transitions[from]![to]!;
        if (score > next[to]!) {
          next[to] = score;
          pointers[to] = from;
        }
      }
      next[to]! += emissions[i]![to]!;
    }
    back.push(pointers);
    best = next;
  }
  let tag = best.indexOf(Math.max(...best));
  // Built backwards and reversed once: unshift per token is quadratic on a long text.
  const path = [tag];
  for (let i = back.length - 1; i >= 0; i--) path.push((tag = back[i]![tag]!));
  return path.reverse();
}

/** First-order linear sequence tagger (averaged structured perceptron) over BIO tags. */
export class SequenceTagger {
  private readonly weights: Map<string, readonly number[]>;
  private readonly allowed: boolean[][];

  constructor(
    private readonly model: TaggerWeights,
    private readonly words: ReadonlyMap<string, WordEntry>,
  ) {
    this.weights = new Map(Object.entries(model.features));
    this.allowed = bioConstraints(model.tags);
  }

  /** Entity spans of a text. */
  tag(text: string): TaggedSpan[] {
    const tokens = taggerTokens(text);
    const emissions = emissionScores(taggerFeatures(tokens, this.words), this.model.tags.length, (f) => this.weights.get(f));
    return spansOf(tokens, viterbi(emissions, this.model.transitions, this.allowed), this.model.tags, emissions);
  }
}

/** Groups B-/I- runs into spans; the score is the mean margin of each token's tag over "O". */
function spansOf(tokens: readonly TaggerToken[], path: readonly number[], tags: readonly string[], emissions: readonly Float64Array[]): TaggedSpan[] {
  const spans: TaggedSpan[] = [];
  let open: { type: string; first: number; margin: number } | undefined;
  const close = (last: number) => {
    if (open === undefined) return;
    const count = last - open.first + 1;
    spans.push({ type: open.type, start: tokens[open.first]!.start, end: tokens[last]!.end, score: 1 / (1 + Math.exp(-open.margin / count)) });
    open = undefined;
  };
  path.forEach((tagIndex, i) => {
    const tag = tags[tagIndex]!;
    if (tag === 'O' || tag.startsWith('B-')) close(i - 1);
    if (tag === 'O') return;
    open ??= { type: tag.slice(2), first: i, margin: 0 };
    open.margin += emissions[i]![tagIndex]! - emissions[i]![0]!;
  });
  close(path.length - 1);
  return spans;
}
