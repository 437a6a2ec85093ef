/**
 * Locates the first JSON syntax error of a text, for error messages. V8's JSON.parse
 * names a position for some errors but not for "Unexpected token", so this scanner
 * walks the RFC 8259 grammar after JSON.parse has failed. It keeps an explicit stack
 * instead of recursing, so deeply nested garbage cannot overflow the call stack.
 */

const WHITESPACE = new Set([' ', '\t', '\n', '\r']);
const SIMPLE_ESCAPES = new Set(['"', '\\', '/', 'b', 'f', 'n', 'r', 't']);
const HEX_DIGIT = /^[0-9a-fA-F]$/;
const DIGIT = /^[0-9]$/;
const LITERALS = ['true', 'false', 'null'] as const;

class Scanner {
  offset = 0;
  constructor(private readonly text: string) {}

  peek(): string | undefined {
    return this.text[this.offset];
  }

  skipWhitespace(): void {
    while (WHITESPACE.has(this.peek() ?? '')) this.offset++;
  }

  /** Consumes a string starting at the current quote; false at the first bad character. */
  string(): boolean {
    if (this.peek() !== '"') return false;
    this.offset++;
    for (;;) {
      const char = this.peek();
      if (char === undefined || char < ' ') return false;
      if (char === '"') {
        this.offset++;
        return true;
      }
      if (char === '\\') {
        this.offset++;
        if (this.peek() === 'u') {
          for (let i = 0; i < 4; i++) {
            this.offset++;
            if (!HEX_DIGIT.test(this.peek() ?? '')) return false;
          }
        } else if (!SIMPLE_ESCAPES.has(this.peek() ?? '')) {
          return false;
        }
      }
      this.offset++;
    }
  }

  private digits(): boolean {
    if (!DIGIT.test(this.peek() ?? '')) return false;
    while (DIGIT.test(this.peek() ?? '')) this.offset++;
    return true;
  }

  number(): boolean {
    if (this.peek() === '-') this.offset++;
    if (this.peek() === '0') this.offset++;
    else if (!this.digits()) return false;
    if (this.peek() === '.') {
      this.offset++;
      if (!this.digits()) return false;
    }
    if (this.peek() === 'e' || this.peek() === 'E') {
      this.offset++;
      if (this.peek() === '+' || this.peek() === '-') this.offset++;
      if (!this.digits()) return false;
    }
    return true;
  }

  literal(): boolean {
    const word = LITERALS.find((candidate) => candidate[0] === this.peek());
    if (word === undefined) return false;
    for (const expected of word) {
      if (this.peek() !== expected) return false;
      this.offset++;
    }
    return true;
  }

  /** Consumes `"key" :` inside an object. */
  member(): boolean {
    this.skipWhitespace();
    if (!this.string()) return false;
    this.skipWhitespace();
    if (this.peek() !== ':') return false;
    this.offset++;
    return true;
  }
}

/** The character offset of the first syntax error in `text`, or undefined when it is valid JSON. */
export function jsonSyntaxErrorOffset(text: string): number | undefined {
  const scanner = new Scanner(text);
  const open: ('{' | '[')[] = [];
  let expectValue = true;
  for (;;) {
    scanner.skipWhitespace();
    if (expectValue) {
      const char = scanner.peek();
      if (char === '{' || char === '[') {
        scanner.offset++;
        scanner.skipWhitespace();
        const close = char === '{' ? '}' : ']';
        if (scanner.peek() === close) {
          scanner.offset++;
          expectValue = false;
        } else {
          open.push(char);
          if (char === '{' && !scanner.member()) return scanner.offset;
        }
        continue;
      }
      const ok = char === '"' ? scanner.string() : char === '-' || DIGIT.test(char ?? '') ? scanner.number() : scanner.literal();
      if (!ok) return scanner.offset;
      expectValue = false;
      continue;
    }
    const container = open[open.length - 1];
    if (container === undefined) return scanner.peek() === undefined ? undefined : scanner.offset;
    if (scanner.peek() === ',') {
      scanner.offset++;
      if (container === '{' && !scanner.member()) return scanner.offset;
      expectValue = true;
    } else if (scanner.peek() === (container === '{' ? '}' : ']')) {
      scanner.offset++;
      open.pop();
    } else {
      return scanner.offset;
    }
  }
}
