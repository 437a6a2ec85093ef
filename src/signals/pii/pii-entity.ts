/** A span of personal data found in a text, with Presidio's entity name. */
export interface PiiEntity {
  readonly type: string;
  /** UTF-16 offsets into the scanned text, end exclusive. */
  readonly start: number;
  readonly end: number;
  /** 0..1: 1 for checksum-validated types, lower for pattern- and context-based ones. */
  readonly score: number;
}

/** Finds one entity type in a text. */
export interface PiiRecognizer {
  readonly type: string;
  find(text: string): PiiEntity[];
}

/** Every match of a global regex as [match, index] pairs. */
export function matchesOf(pattern: RegExp, text: string): RegExpExecArray[] {
  return [...text.matchAll(pattern)];
}
