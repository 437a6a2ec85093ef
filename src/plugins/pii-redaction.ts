import { yieldToEventLoop } from '../signals/event-loop.js';
import { detectPiiInPieces, type TaggingBudget } from '../signals/pii/pii-detector.js';

/** Entity values to replace and their typed placeholders, plus the types involved. */
export interface Redaction {
  /** Clear value → placeholder such as `<EMAIL_ADDRESS_1>`; never logged. */
  readonly placeholders: ReadonlyMap<string, string>;
  readonly types: readonly string[];
  /** Some text was past the tagging budget: PERSON and STREET_ADDRESS were not looked for there. */
  readonly partlyTagged: boolean;
}

/**
 * Plans the redaction of a conversation: each distinct entity value (not allowed, at or above
 * `threshold`) gets a placeholder numbered per type in order of first appearance, so the same
 * e-mail address is `<EMAIL_ADDRESS_1>` wherever it occurs. Every character is scanned for the
 * pattern types; the tagger types within the first `taggingBudget` characters of the
 * conversation. Linear in the text, yielding to the event loop every couple of kilobytes.
 */
export async function planRedaction(texts: readonly string[], allowed: ReadonlySet<string>, threshold: number, taggingBudget = Number.POSITIVE_INFINITY): Promise<Redaction> {
  const placeholders = new Map<string, string>();
  const perType = new Map<string, number>();
  const budget: TaggingBudget = { left: taggingBudget, exhausted: false };
  for (const text of texts) {
    for (const entity of await detectPiiInPieces(text, threshold, budget, yieldToEventLoop)) {
      if (allowed.has(entity.type)) continue;
      const value = text.slice(entity.start, entity.end);
      if (placeholders.has(value)) continue;
      const n = (perType.get(entity.type) ?? 0) + 1;
      perType.set(entity.type, n);
      placeholders.set(value, `<${entity.type}_${n}>`);
    }
  }
  return { placeholders, types: [...perType.keys()], partlyTagged: budget.exhausted };
}

// A JSON string literal: no raw quote or control character inside, escapes kept whole.
const STRING_LITERAL = /"(?:[^"\\\u0000-\u001f]|\\.)*"/gu;
/** String literals of about this many characters are rewritten between two event-loop turns. */
const LITERAL_CHARS_PER_TURN = 65_536;

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

/**
 * Replaces the planned values inside every JSON string of a serialised body. Only string literals
 * that contain a value are re-encoded; every other byte of the body stays as it was. One pass of
 * one alternation (longest value first, so a value containing another is replaced whole) per
 * literal; the event loop turns every 64k characters of literals.
 */
export async function redactJsonBody(body: Buffer, redaction: Redaction): Promise<Buffer> {
  if (redaction.placeholders.size === 0) return body;
  const values = [...redaction.placeholders.keys()].sort((a, b) => b.length - a.length);
  const anyValue = new RegExp(values.map(escapeRegExp).join('|'), 'gu');
  const text = body.toString('utf8');
  const parts: string[] = [];
  let copied = 0;
  let sinceTurn = 0;
  for (const literal of text.matchAll(STRING_LITERAL)) {
    const value = JSON.parse(literal[0]) as string;
    const redacted = value.replace(anyValue, (clear) => redaction.placeholders.get(clear)!);
    if (redacted !== value) {
      parts.push(text.slice(copied, literal.index), JSON.stringify(redacted));
      copied = literal.index + literal[0].length;
    }
    sinceTurn += literal[0].length;
    if (sinceTurn >= LITERAL_CHARS_PER_TURN) {
      sinceTurn = 0;
      await yieldToEventLoop();
    }
  }
  parts.push(text.slice(copied));
  return Buffer.from(parts.join(''));
}
