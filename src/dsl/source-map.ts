import type { ConfigPathSegment } from '../config/config-problem.js';
import type { SourcePosition } from './lexer.js';

const SEPARATOR = '\u001f';

function keyOf(path: readonly ConfigPathSegment[]): string {
  return path.map(String).join(SEPARATOR);
}

/**
 * Where each part of a lowered config came from in the DSL source: the position of the value
 * written at a config path, and of its key. A problem found by the config schema or the
 * reference checks (addressed by path) is reported at the token the user wrote, or at the
 * closest enclosing one when the path names something absent (a missing required key).
 */
export class DslSourceMap {
  private readonly values = new Map<string, SourcePosition>();
  private readonly keys = new Map<string, SourcePosition>();

  record(path: readonly ConfigPathSegment[], valueAt: SourcePosition, keyAt?: SourcePosition): void {
    const key = keyOf(path);
    this.values.set(key, valueAt);
    if (keyAt !== undefined) this.keys.set(key, keyAt);
  }

  locate(path: readonly ConfigPathSegment[], at: 'key' | 'value' = 'value'): SourcePosition {
    for (let length = path.length; length >= 0; length -= 1) {
      const key = keyOf(path.slice(0, length));
      const position = (at === 'key' && length === path.length ? this.keys.get(key) : undefined) ?? this.values.get(key);
      if (position !== undefined) return position;
    }
    return { line: 1, col: 1, offset: 0 };
  }
}
