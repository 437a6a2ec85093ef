import { CORRECTION_CUES, CORRECTION_CUE_PAIRS, WH_WORDS } from './function-words.js';
import { promptFacts, type PromptFacts, type PromptWord } from './prompt-facts.js';

/** Words after which "or" opens a correction ("or rather", "or I mean", "or who was"), not a choice. */
const OR_CORRECTS_BEFORE: ReadonlySet<string> = new Set([...CORRECTION_CUES, ...WH_WORDS, 'i', 'let', 'make']);

/** Length of the correction cue at `i` (1, or 2 for "make that"), or 0. */
function cueAt(words: readonly PromptWord[], i: number): number {
  const word = words[i]!.lower;
  const next = words[i + 1]?.lower;
  if (CORRECTION_CUES.has(word)) return 1;
  if (word === 'or') return next !== undefined && OR_CORRECTS_BEFORE.has(next) ? 1 : 0;
  return next !== undefined && CORRECTION_CUE_PAIRS.get(word) === next ? 2 : 0;
}

/**
 * `disfluent` read against `fluent`: where the two differ, a span of `disfluent` that starts with
 * replaced words and runs through a correction cue ("What territory was ceded to [Spain ugh should
 * say] France?", "What [happens no] tell me what is …") is cut, and the text after the cue stays.
 * The span starts where the prompts stop sharing words (a stuttered word, "what what", does not
 * count) and ends at the last cue before the words they share again at the end; a cue that ends the
 * prompt ("… the ctenophora rather?") is cut alone. Undefined when there is no such span:
 * no cue where they differ, no replaced word before it ("Is there no cure" is a negation, not a
 * repair), or nothing after it. The cached prompt says where a repair is, so no parser is needed.
 */
export function alignedRepair(disfluent: PromptFacts, fluent: PromptFacts): string | undefined {
  const d = disfluent.words.filter((w, i, all) => i === 0 || w.lower !== all[i - 1]!.lower);
  const f = fluent.words;
  if (d.length === 0) return undefined;
  let prefix = 0;
  while (prefix < d.length && prefix < f.length && d[prefix]!.lower === f[prefix]!.lower) prefix += 1;
  let suffix = 0;
  while (suffix < d.length - prefix && suffix < f.length - prefix && d[d.length - 1 - suffix]!.lower === f[f.length - 1 - suffix]!.lower) suffix += 1;
  // A cue that ends the prompt follows its correction: it goes, and so does nothing else.
  const last = cueAt(d, d.length - 1) === 1 && d.length - 1 > prefix ? d.length - 1 : d.length;
  let first = -1;
  let cutEnd = -1;
  for (let i = prefix; i < Math.min(last, d.length - suffix); i++) {
    const length = cueAt(d, i);
    if (length === 0) continue;
    if (first === -1) first = i;
    cutEnd = i + length;
  }
  if (first <= prefix || cutEnd >= last) return undefined;
  const kept = disfluent.normalised.slice(0, d[prefix]!.start) + disfluent.normalised.slice(d[cutEnd]!.start, last < d.length ? d[last]!.start : undefined);
  return last < d.length ? kept.trimEnd() + disfluent.normalised.slice(d[last]!.end) : kept;
}

/**
 * The two prompts as the guard judges them: a side with a speech repair that the other side locates
 * (`alignedRepair`) is read without its replaced words.
 */
export function withAlignedRepairs(query: PromptFacts, cached: PromptFacts): { query: PromptFacts; cached: PromptFacts } {
  if (process.env.NOALIGN) return { query, cached };
  const queryRepaired = alignedRepair(query, cached);
  const cachedRepaired = queryRepaired === undefined ? alignedRepair(cached, query) : undefined;
  return {
    query: queryRepaired === undefined ? query : promptFacts(queryRepaired),
    cached: cachedRepaired === undefined ? cached : promptFacts(cachedRepaired),
  };
}
