/** A position in DSL source: 1-based line and column, and the 0-based offset. */
export interface SourcePosition {
  readonly line: number;
  readonly col: number;
  readonly offset: number;
}

/**
 * Token kinds. Keywords are upper case and reserved (Athena's DSL keywords plus TRUE/FALSE for
 * the always/never rule); lower-case `true`/`false`/`null` are values and lex as identifiers.
 */
export type TokenKind = 'keyword' | 'ident' | 'string' | 'number' | 'punct' | 'comment' | 'eof';

export interface Token {
  readonly kind: TokenKind;
  /** The token's text; for strings the decoded value, for comments the text after `#`. */
  readonly text: string;
  readonly start: SourcePosition;
}

export const DSL_KEYWORDS: ReadonlySet<string> = new Set([
  'SIGNAL', 'ROUTE', 'PRIORITY', 'WHEN', 'MODEL', 'ALGORITHM', 'PLUGIN', 'BACKEND', 'GLOBAL', 'AND', 'OR', 'NOT', 'TRUE', 'FALSE',
]);

/** Athena's identifier shape: names such as `qwen2.5`, `code-route` or `org/model` need no quotes. */
export const IDENT_PATTERN = /^[A-Za-z_][A-Za-z0-9_\-./]*$/;

const PUNCTUATION = new Set(['{', '}', '(', ')', '[', ']', ':', ',', '=', ';']);

/** A lexing problem: where it is and what is wrong. */
export interface LexProblem {
  readonly at: SourcePosition;
  readonly message: string;
}

/**
 * Splits DSL text into tokens in one linear pass. Comments are kept as tokens so the parser
 * can attach them to the block they precede (`fmt` keeps them). Unknown characters and
 * unterminated strings are reported and skipped, so one bad character does not hide the
 * problems after it.
 */
export function lexDsl(text: string): { tokens: Token[]; problems: LexProblem[] } {
  const tokens: Token[] = [];
  const problems: LexProblem[] = [];
  let offset = 0;
  let line = 1;
  let lineStart = 0;
  const position = (at: number): SourcePosition => ({ line, col: at - lineStart + 1, offset: at });

  while (offset < text.length) {
    const char = text[offset] as string;
    if (char === '\n') {
      offset += 1;
      line += 1;
      lineStart = offset;
      continue;
    }
    if (char === ' ' || char === '\t' || char === '\r') {
      offset += 1;
      continue;
    }
    const start = position(offset);
    if (char === '#') {
      const end = text.indexOf('\n', offset);
      const stop = end === -1 ? text.length : end;
      tokens.push({ kind: 'comment', text: text.slice(offset + 1, stop).replace(/\r$/, ''), start });
      offset = stop;
      continue;
    }
    if (char === '"') {
      const scanned = scanString(text, offset);
      if (scanned.error !== undefined) problems.push({ at: start, message: scanned.error });
      else tokens.push({ kind: 'string', text: scanned.value, start });
      offset = scanned.end;
      continue;
    }
    const number = /^-?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?/.exec(text.slice(offset, offset + 64));
    if (number !== null && (char !== '-' || /\d|\./.test(text[offset + 1] ?? ''))) {
      tokens.push({ kind: 'number', text: number[0], start });
      offset += number[0].length;
      continue;
    }
    if (/[A-Za-z_]/.test(char)) {
      let end = offset + 1;
      while (end < text.length && /[A-Za-z0-9_\-./]/.test(text[end] as string)) end += 1;
      const word = text.slice(offset, end);
      tokens.push({ kind: DSL_KEYWORDS.has(word) ? 'keyword' : 'ident', text: word, start });
      offset = end;
      continue;
    }
    if (PUNCTUATION.has(char)) {
      tokens.push({ kind: 'punct', text: char, start });
      offset += 1;
      continue;
    }
    problems.push({ at: start, message: `unexpected character ${JSON.stringify(char)}` });
    offset += 1;
  }
  tokens.push({ kind: 'eof', text: '', start: position(offset) });
  return { tokens, problems };
}

/** Reads a JSON-style double-quoted string starting at `start`; strings do not span lines. */
function scanString(text: string, start: number): { value: string; end: number; error?: string } {
  let end = start + 1;
  while (end < text.length) {
    const char = text[end];
    if (char === '\\') {
      end += 2;
      continue;
    }
    if (char === '"') break;
    if (char === '\n') return { value: '', end, error: 'unterminated string' };
    end += 1;
  }
  if (end >= text.length) return { value: '', end: text.length, error: 'unterminated string' };
  const raw = text.slice(start, end + 1);
  try {
    return { value: JSON.parse(raw) as string, end: end + 1 };
  } catch {
    return { value: '', end: end + 1, error: `invalid escape in string ${raw.length > 40 ? `${raw.slice(0, 40)}…` : raw}` };
  }
}
