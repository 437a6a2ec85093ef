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
  /**
   * Entities of the text; one that cannot reach `minScore` may be left out without the work of
   * scoring it. `tagged` false: the sequence tagger must not run on this text (it is past the
   * request's tagging budget).
   */
  find(text: string, minScore?: number, tagged?: boolean): PiiEntity[];
}

/** Every match of a global regex as [match, index] pairs. */
export function matchesOf(pattern: RegExp, text: string): RegExpExecArray[] {
  return [...text.matchAll(pattern)];
}
