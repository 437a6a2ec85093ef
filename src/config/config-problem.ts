import type { ConfigDiagnosticCode } from './diagnostic.js';

/** A segment of a path into the parsed config: a map key or a sequence index. */
export type ConfigPathSegment = string | number;

/**
 * A problem found in the parsed config, addressed by its path in the document rather
 * than by text position; loading turns it into a `Diagnostic` at the YAML node.
 */
export interface ConfigProblem {
  readonly path: readonly ConfigPathSegment[];
  readonly code: ConfigDiagnosticCode;
  readonly message: string;
  /** Point at the key of the last path segment instead of its value (unknown keys, duplicates). */
  readonly at?: 'key' | 'value';
  /** A warning is reported but does not stop the config from loading; default error. */
  readonly severity?: 'error' | 'warning';
}

/** Renders a path the way users read it: `providers.models[1].endpoints[0]`. */
export function formatConfigPath(path: readonly ConfigPathSegment[]): string {
  let text = '';
  for (const segment of path) {
    text += typeof segment === 'number' ? `[${segment}]` : text === '' ? segment : `.${segment}`;
  }
  return text === '' ? '(root)' : text;
}
