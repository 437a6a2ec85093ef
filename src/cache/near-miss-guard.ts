import { cosineSimilarity, type Embedder } from '../classifiers/embedder.js';
import { withAlignedRepairs } from './aligned-repair.js';
import type { PromptFacts } from './prompt-facts.js';

/** Why two similar prompts must not share an answer. */
export type NearMissReason = 'number' | 'negation' | 'contrast' | 'entity' | 'word-order' | 'content-word';

/** How the guard judges topic words that only one prompt has. */
export interface WordMatching {
  /** Encodes single words; their cosine says whether two words name the same thing. */
  readonly embedder: Embedder;
  /**
   * A topic word missing from the other prompt is tolerated when some topic word of the other
   * prompt is at least this similar to it ("fix" ~ "repair", "author" ~ "wrote").
   */
  readonly wordSimilarity: number;
}

/**
 * Words that, added alone to a prompt ("the capital city of Australia", "what exactly is…"),
 * restate what the other words already say. Any other added word must be close to a word of the
 * other prompt, since most narrow the question ("what physical issue caused…", "which country
 * won…": adding "country", "name" or "type" raised wrong answers on the AmbigNQ dev half).
 */
const GENERIC_ADDED_WORDS: ReadonlySet<string> = new Set(['city', 'town', 'exactly', 'actually', 'really', 'basically', 'just']);

/** At most this many topic words may lack an exact counterpart, on both sides together. */
const MAX_UNMATCHED_WORDS = 4;
/** Words sharing this long a prefix are one word in two forms ("painter", "painted"). */
const SHARED_PREFIX = 5;

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((value, i) => value === b[i]);
}

/**
 * Adjacent pairs of `b` that `a` does not have. Moving a leading or trailing phrase ("in Python,
 * reverse a list" / "reverse a list in Python") breaks one; swapping two words breaks two or more.
 */
function brokenNeighbours(a: readonly string[], b: readonly string[]): number {
  const pairs = new Set(a.slice(1).map((w, i) => `${a[i]!}\n${w}`));
  return b.slice(1).filter((w, i) => !pairs.has(`${b[i]!}\n${w}`)).length;
}

function sameMap(a: ReadonlyMap<number, string>, b: ReadonlyMap<number, string>): boolean {
  for (const [group, poles] of a) if (b.has(group) && b.get(group) !== poles) return false;
  return true;
}

/**
 * The checks that need no model: numbers (in order), negation count, contrast words, entities, and
 * the order of the topic words both prompts share (up to moving one phrase when there are three or more, so
 * "5 km to miles" ≠ "5 miles to km" and "Who killed Brutus?" ≠ "Who did Brutus kill?").
 */
export function structuralReason(query: PromptFacts, cached: PromptFacts): NearMissReason | undefined {
  if (!sameList(query.numbers, cached.numbers)) return 'number';
  if (query.negations !== cached.negations) return 'negation';
  if (!sameMap(query.contrasts, cached.contrasts)) return 'contrast';
  for (const entity of query.entities) if (!cached.contentStems.includes(entity)) return 'entity';
  for (const entity of cached.entities) if (!query.contentStems.includes(entity)) return 'entity';
  const cachedSet = new Set(cached.contentStems);
  const querySet = new Set(query.contentStems);
  const a = query.contentStems.filter((w) => cachedSet.has(w));
  const b = cached.contentStems.filter((w) => querySet.has(w));
  if (!sameList(a, b) && (a.length < 3 || brokenNeighbours(a, b) > 1)) return 'word-order';
  return undefined;
}

/** Topic words of each prompt that the other lacks (by stem). */
export function unmatchedWords(query: PromptFacts, cached: PromptFacts): { query: string[]; cached: string[] } {
  const cachedSet = new Set(cached.contentStems);
  const querySet = new Set(query.contentStems);
  return { query: query.contentStems.filter((w) => !cachedSet.has(w)), cached: cached.contentStems.filter((w) => !querySet.has(w)) };
}

function sharesPrefix(a: string, b: string): boolean {
  return a.length >= SHARED_PREFIX && b.length >= SHARED_PREFIX && a.slice(0, SHARED_PREFIX) === b.slice(0, SHARED_PREFIX);
}

/**
 * How well the topic words one prompt lacks are covered by the other: the lowest, over those words,
 * of the best similarity to a topic word of the other prompt (1 for a shared 5-letter prefix, as in
 * "painter"/"painted", and for one added generic noun such as "city"). 1 when every topic word has an exact counterpart; -1 when more than
 * MAX_UNMATCHED_WORDS lack one. Embeds the topic words of both prompts in one batch when needed.
 */
export async function unmatchedWordCoverage(query: PromptFacts, cached: PromptFacts, embedder: Embedder): Promise<number> {
  const unmatched = unmatchedWords(query, cached);
  const count = unmatched.query.length + unmatched.cached.length;
  if (count === 0) return 1;
  if (count > MAX_UNMATCHED_WORDS) return -1;
  const surface = (facts: PromptFacts, stems: readonly string[]): string[] => stems.map((s) => facts.contentWords.get(s)!);
  const added = [...surface(query, unmatched.query), ...surface(cached, unmatched.cached)];
  if (added.length === 1 && GENERIC_ADDED_WORDS.has(added[0]!)) return 1;
  const queryWords = surface(query, query.contentStems);
  const cachedWords = surface(cached, cached.contentStems);
  const vectors = await embedder.embed([...queryWords, ...cachedWords]);
  const vectorOf = new Map([...queryWords, ...cachedWords].map((w, i) => [w, vectors[i]!]));
  const coverage = (word: string, others: readonly string[]): number =>
    Math.max(...others.map((other) => (sharesPrefix(word, other) ? 1 : cosineSimilarity(vectorOf.get(word)!, vectorOf.get(other)!))), -1);
  return Math.min(
    ...surface(query, unmatched.query).map((w) => coverage(w, cachedWords)),
    ...surface(cached, unmatched.cached).map((w) => coverage(w, queryWords)),
  );
}

/**
 * The near-miss guard: a similarity hit is served only when the two prompts agree on numbers,
 * negations, contrast words, entities and the order of their shared topic words, and every topic
 * word one of them lacks is a synonym or another form of a topic word of the other (word-level
 * similarity from the encoder at least `wordSimilarity`, or a shared 5-letter prefix). So an extra
 * or swapped word that says the same thing ("capital city", "painter"/"painted") passes, and a
 * different object ("sort"/"reverse") or an added qualifier ("what physical issue caused…") does
 * not. A speech repair that the other prompt locates is cut first (`withAlignedRepairs`). Returns the first reason found, or undefined when the hit may be served.
 */
export async function nearMissReason(asked: PromptFacts, stored: PromptFacts, matching: WordMatching): Promise<NearMissReason | undefined> {
  const { query, cached } = withAlignedRepairs(asked, stored);
  const structural = structuralReason(query, cached);
  if (structural !== undefined) return structural;
  return (await unmatchedWordCoverage(query, cached, matching.embedder)) >= matching.wordSimilarity ? undefined : 'content-word';
}
