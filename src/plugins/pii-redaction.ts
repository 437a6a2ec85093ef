import { detectPii } from '../signals/pii/pii-detector.js';

/** Entity values to replace and their typed placeholders, plus the types involved. */
export interface Redaction {
  /** Clear value → placeholder such as `<EMAIL_ADDRESS_1>`; never logged. */
  readonly placeholders: ReadonlyMap<string, string>;
  readonly types: readonly string[];
}

/**
 * Plans the redaction of a conversation: each distinct entity value (not allowed, at or above
 * `threshold`) gets a placeholder numbered per type in order of first appearance, so the same
 * e-mail address is `<EMAIL_ADDRESS_1>` wherever it occurs.
 */
export function planRedaction(texts: readonly string[], allowed: ReadonlySet<string>, threshold: number): Redaction {
  const placeholders = new Map<string, string>();
  const perType = new Map<string, number>();
  for (const text of texts) {
    for (const entity of detectPii(text, threshold)) {
      if (allowed.has(entity.type)) continue;
      const value = text.slice(entity.start, entity.end);
      if (placeholders.has(value)) continue;
      const n = (perType.get(entity.type) ?? 0) + 1;
      perType.set(entity.type, n);
      placeholders.set(value, `<${entity.type}_${n}>`);
    }
  }
  return { placeholders, types: [...perType.keys()] };
}

// A JSON string literal: no raw quote or control character inside, escapes kept whole.
const STRING_LITERAL = /"(?:[^"\\\u0000-\u001f]|\\.)*"/gu;

/**
 * Replaces the planned values inside every JSON string of a serialised body. Only string literals
 * that contain a value are re-encoded; every other byte of the body stays as it was.
 */
export function redactJsonBody(body: Buffer, redaction: Redaction): Buffer {
  if (redaction.placeholders.size === 0) return body;
  // Longest first, so a value containing another is replaced whole.
  const values = [...redaction.placeholders.keys()].sort((a, b) => b.length - a.length);
  const text = body.toString('utf8').replace(STRING_LITERAL, (literal) => {
    const value = JSON.parse(literal) as string;
    let redacted = value;
    for (const clear of values) if (redacted.includes(clear)) redacted = redacted.split(clear).join(redaction.placeholders.get(clear)!);
    return redacted === value ? literal : JSON.stringify(redacted);
  });
  return Buffer.from(text);
}
