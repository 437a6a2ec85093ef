import type { PromptFacts } from './prompt-facts.js';

/** Why two similar prompts must not share an answer. */
export type NearMissReason = 'number' | 'negation' | 'entity' | 'content-word' | 'word-order';

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((value, i) => value === b[i]);
}

/** True when `b` is `a` turned around at some point ("in Python, reverse a list" vs "reverse a list in Python"). */
function isRotation(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  const start = b.indexOf(a[0]!);
  return start !== -1 && a.every((value, i) => value === b[(start + i) % b.length]);
}

/**
 * The near-miss guard: a similarity hit is only served when the two prompts agree on their
 * numbers, their count of negations, and their topic words (stems; entities are always topic
 * words, so "capital of Germany" never takes the answer for "capital of France"). Topic words
 * must also keep their order, up to moving a leading or trailing phrase (a rotation) when there
 * are three or more, so "celsius to fahrenheit" is not "fahrenheit to celsius". Returns the
 * first reason found, or undefined when the hit may be served.
 */
export function nearMissReason(query: PromptFacts, cached: PromptFacts): NearMissReason | undefined {
  if (!sameList(query.numbers, cached.numbers)) return 'number';
  if (query.negations !== cached.negations) return 'negation';
  const cachedWords = new Set(cached.contentStems);
  const queryWords = new Set(query.contentStems);
  const missing = [...query.contentStems.filter((w) => !cachedWords.has(w)), ...cached.contentStems.filter((w) => !queryWords.has(w))];
  if (missing.length > 0) {
    return missing.some((w) => query.entities.has(w) || cached.entities.has(w)) ? 'entity' : 'content-word';
  }
  const a = query.contentStems;
  const b = cached.contentStems;
  if (sameList(a, b) || (a.length >= 3 && isRotation(a, b))) return undefined;
  return 'word-order';
}
