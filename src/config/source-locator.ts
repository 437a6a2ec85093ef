import { isAlias, isMap, isScalar, isSeq, LineCounter, type Document, type Node } from 'yaml';
import type { ConfigPathSegment, ConfigProblem } from './config-problem.js';
import type { Diagnostic } from './diagnostic.js';

/** Turns offsets and config paths into `line:col` of the file as the user wrote it. */
export class SourceLocator {
  private readonly lines = new LineCounter();

  /**
   * @param originalText the file before `${VAR}` expansion, whose positions users see
   * @param toOriginalOffset maps an offset of the parsed (expanded) text to `originalText`
   */
  constructor(
    private readonly file: string,
    originalText: string,
    private readonly toOriginalOffset: (offset: number) => number = (offset) => offset,
  ) {
    this.lines.addNewLine(0);
    for (let index = originalText.indexOf('\n'); index !== -1; index = originalText.indexOf('\n', index + 1)) {
      this.lines.addNewLine(index + 1);
    }
  }

  /** A diagnostic at an offset of the original text. */
  atOriginalOffset(offset: number, code: Diagnostic['code'], message: string, severity: Diagnostic['severity'] = 'error'): Diagnostic {
    const { line, col } = this.lines.linePos(offset);
    return { file: this.file, line, col, severity, code, message };
  }

  /** A diagnostic at an offset of the parsed (expanded) text. */
  atParsedOffset(offset: number, code: Diagnostic['code'], message: string, severity: Diagnostic['severity'] = 'error'): Diagnostic {
    return this.atOriginalOffset(this.toOriginalOffset(offset), code, message, severity);
  }

  /** A diagnostic at the YAML node a problem's path names (or its closest existing ancestor). */
  atProblem(document: Document, problem: ConfigProblem): Diagnostic {
    return this.atParsedOffset(nodeOffset(document, problem.path, problem.at ?? 'value'), problem.code, problem.message, problem.severity ?? 'error');
  }
}

function resolveAlias(document: Document, node: unknown): unknown {
  return isAlias(node) ? node.resolve(document) : node;
}

function startOf(node: Node | null | undefined, fallback: number): number {
  return node?.range?.[0] ?? fallback;
}

/**
 * The offset of the node at `path`. A path can run past what the file holds (a key Ajv
 * filled in from a default, a missing key): then the deepest node that exists is used.
 */
function nodeOffset(document: Document, path: readonly ConfigPathSegment[], at: 'key' | 'value'): number {
  let node = resolveAlias(document, document.contents);
  let offset = startOf(node as Node | null, 0);
  for (const [index, segment] of path.entries()) {
    const last = index === path.length - 1;
    if (isMap(node)) {
      const pair = node.items.find((item) => isScalar(item.key) && String(item.key.value) === String(segment));
      if (pair === undefined) return offset;
      const keyOffset = startOf(pair.key as Node, offset);
      if (last && at === 'key') return keyOffset;
      node = resolveAlias(document, pair.value);
      // `key:` with nothing after it has no value node worth pointing at.
      offset = isScalar(node) && node.value === null ? keyOffset : startOf(node as Node | null, keyOffset);
    } else if (isSeq(node)) {
      const item = node.items[Number(segment)];
      if (item === undefined) return offset;
      node = resolveAlias(document, item);
      offset = startOf(node as Node | null, offset);
    } else {
      return offset;
    }
  }
  return offset;
}
