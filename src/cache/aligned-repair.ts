import { CORRECTION_CUES, CORRECTION_CUE_PAIRS, WH_WORDS } from './function-words.js';
import { promptFacts, type PromptFacts, type PromptWord } from './prompt-facts.js';

/** Words after which "or" opens a correction ("or rather", "or I mean", "or who was"), not a choice. */
const OR_CORRECTS_BEFORE: ReadonlySet<string> = new Set([...CORRECTION_CUES, ...WH_WORDS, 'i', 'let', 'make']);

/** Longest prompt (in words) read for a repair: spoken questions are short, and the search below is cubic. */
const MAX_WORDS = 64;
/** At most this many cue chains are tried as the end of the repair (the search stays well under a millisecond). */
const MAX_CUES = 6;
/** How far before the first differing word a replaced part may start ("What literature did … no what literature did"). */
const MAX_EARLIER_START = 8;

/**
 * Which words are correction cues: the cue words, "or" before one of them or a question word,
 * "make that"-style pairs, and "not", "that", "but" that continue a cue ("no not Irish but",
 * "nope not that").
 */
function correctionCues(words: readonly PromptWord[]): boolean[] {
  const cue: boolean[] = [];
  for (const [i, { lower }] of words.entries()) {
    const next = words[i + 1]?.lower;
    const previous = cue[i - 1] === true;
    cue.push(
      CORRECTION_CUES.has(lower) ||
        (lower === 'or' && next !== undefined && OR_CORRECTS_BEFORE.has(next)) ||
        (next !== undefined && CORRECTION_CUE_PAIRS.get(lower) === next) ||
        (i > 0 && CORRECTION_CUE_PAIRS.get(words[i - 1]!.lower) === lower) ||
        ((lower === 'not' || lower === 'that') && previous) ||
        (lower === 'but' && words.slice(Math.max(0, i - 3), i).some((w, k, near) => w.lower === 'not' && cue[i - near.length + k] === true)),
    );
  }
  return cue;
}

/** Words of one list missing from the other, counted with repeats, both ways. */
function wordDistance(a: readonly string[], b: readonly string[]): number {
  const counts = new Map<string, number>();
  for (const w of a) counts.set(w, (counts.get(w) ?? 0) + 1);
  for (const w of b) counts.set(w, (counts.get(w) ?? 0) - 1);
  let distance = 0;
  for (const count of counts.values()) distance += Math.abs(count);
  return distance;
}

/** Adjacent word pairs, so the closest cut also keeps the fluent prompt's word order. */
function bigrams(words: readonly string[]): string[] {
  return words.slice(1).map((w, i) => `${words[i]!} ${w}`);
}

/**
 * `disfluent` read against `fluent`: a span of `disfluent` that holds replaced words and runs
 * through a correction cue ("What territory was ceded to [Spain ugh should say] France?", "What
 * [happens no] tell me what is …") is cut, and the text after the cue stays. The span covers the
 * first word where the prompts differ (a stuttered word, "what what", does not count) and ends
 * after a cue before the words they share again at the end; of the possible spans, the one whose
 * cut leaves the words and word pairs closest to the fluent prompt's is taken ("What drove residents or [who was
 * responsible] rather for …" keeps the bracketed part). A cue that ends the prompt ("… the
 * ctenophora rather?") is cut alone, and so is a "not X" after the cut naming only cut words
 * ("… to Japan not China?"). A correction that ends the prompt may instead replace a short part
 * before the cue ("When did [Hu Sihui] die no Wei Yilin?" → "When did Wei Yilin die?"). Undefined when there is no such span: no cue where they differ, no
 * replaced word before it ("Is there no cure" is a negation, not a repair), nothing after it, or
 * a prompt longer than MAX_WORDS. The cached prompt says where a repair is, so no parser is needed.
 */
export function alignedRepair(disfluent: PromptFacts, fluent: PromptFacts): string | undefined {
  const d = disfluent.words.filter((w, i, all) => i === 0 || w.lower !== all[i - 1]!.lower);
  const f = fluent.words.map((w) => w.lower);
  if (d.length === 0 || d.length > MAX_WORDS || f.length > MAX_WORDS) return undefined;
  const lower = d.map((w) => w.lower);
  let prefix = 0;
  while (prefix < d.length && prefix < f.length && lower[prefix] === f[prefix]) prefix += 1;
  let suffix = 0;
  while (suffix < d.length - prefix && suffix < f.length - prefix && lower[d.length - 1 - suffix] === f[f.length - 1 - suffix]) suffix += 1;
  const cue = correctionCues(d);
  const fluentBigrams = bigrams(f);
  const fluentSet = new Set(f);
  // A cue that ends the prompt follows its correction: it goes, and so does nothing else.
  const last = cue[d.length - 1] === true && d.length - 1 > prefix ? d.length - 1 : d.length;
  // Candidates: the replaced part [start, end) and the correction that replaces it, which follows
  // the cue chain ending at i; either the correction runs on after the cue (end is the chain's
  // start: "ceded to [Spain ugh should say] France") or it ends the prompt and replaces a short part
  // earlier on, with no other cue in between, where the replaced words are not the fluent prompt's
  // and the words between them and the cue are ("When did [Hu Sihui] die no Wei Yilin?").
  // Ties go to the later cue ("no no sorry": the last one ends the repair), then to the first candidate.
  let best: { kept: PromptWord[]; cut: ReadonlySet<string>; distance: number; cue: number } | undefined;
  const consider = (kept: PromptWord[], cut: readonly PromptWord[], cue: number): void => {
    const words = kept.map((w) => w.lower);
    const distance = wordDistance(words, f) + wordDistance(bigrams(words), fluentBigrams);
    if (best === undefined || distance < best.distance || (distance === best.distance && cue > best.cue)) best = { kept, cut: new Set(cut.map((w) => w.lower)), distance, cue };
  };
  let chains = 0;
  for (let i = prefix + 1; i < Math.min(last, d.length - suffix) && chains < MAX_CUES; i++) {
    if (!cue[i] || cue[i + 1] === true || i + 1 >= last) continue;
    chains += 1;
    let chain = i;
    while (chain > 0 && cue[chain - 1]) chain -= 1;
    const correction = d.slice(i + 1, last);
    for (let start = prefix; start >= Math.max(0, prefix - MAX_EARLIER_START); start--) {
      if (cue[start]) break;
      consider([...d.slice(0, start), ...correction], d.slice(start, i + 1), i);
      if (last < d.length - suffix || correction.length > MAX_EARLIER_START) continue;
      for (let end = start + 1; end < Math.min(chain, start + MAX_EARLIER_START) && !cue[end - 1]; end++) {
        // The replaced words are not the fluent prompt's, and the words kept around them are.
        if (cue.slice(end, chain).includes(true) || fluentSet.has(lower[end - 1]!) || lower.slice(end, chain).some((w) => !fluentSet.has(w))) continue;
        consider([...d.slice(0, start), ...correction, ...d.slice(end, chain)], d.slice(start, end), i);
      }
    }
  }
  if (best === undefined) return undefined;
  const { kept, cut } = best;
  const negated = kept.findIndex((w, k) => w.lower === 'not' && kept[k + 1] !== undefined && cut.has(kept[k + 1]!.lower) && !d.slice(0, prefix).includes(w));
  if (negated !== -1) {
    let end = negated + 1;
    while (end < kept.length && end - negated <= 3 && cut.has(kept[end]!.lower)) end += 1;
    kept.splice(negated, end - negated);
  }
  const text = disfluent.normalised;
  const parts: string[] = [];
  for (const [k, word] of kept.entries()) {
    const next = kept[k + 1];
    const joined = next !== undefined && d.indexOf(next) === d.indexOf(word) + 1 ? text.slice(word.end, next.start) : ' ';
    parts.push(word.text, next === undefined ? text.slice(d[d.length - 1]!.end) : joined);
  }
  return parts.join('').trim();
}

/**
 * The two prompts as the guard judges them: a side with a speech repair that the other side locates
 * (`alignedRepair`) is read without its replaced words.
 */
export function withAlignedRepairs(query: PromptFacts, cached: PromptFacts): { query: PromptFacts; cached: PromptFacts } {
  const queryRepaired = alignedRepair(query, cached);
  const cachedRepaired = queryRepaired === undefined ? alignedRepair(cached, query) : undefined;
  return {
    query: queryRepaired === undefined ? query : promptFacts(queryRepaired),
    cached: cachedRepaired === undefined ? cached : promptFacts(cachedRepaired),
  };
}
