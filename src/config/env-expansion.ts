import type { ConfigDiagnosticCode } from './diagnostic.js';

/** Variables visible to `${VAR}` expansion; `process.env` in production, a literal map in tests. */
export type ConfigEnvironment = Readonly<Record<string, string | undefined>>;

/** An expansion problem at an offset of the original text. */
export interface ExpansionProblem {
  readonly offset: number;
  /** Where the placeholder that stands in for the reference starts in the expanded text. */
  readonly expandedOffset: number;
  readonly code: ConfigDiagnosticCode;
  readonly message: string;
}

/** One replaced span: where it sits in the original text and in the expanded text. */
interface Replacement {
  readonly originalStart: number;
  readonly originalEnd: number;
  readonly expandedStart: number;
  readonly expandedEnd: number;
}

/** The expanded text plus what is needed to point diagnostics back at the original text. */
export interface ExpandedText {
  readonly text: string;
  readonly problems: readonly ExpansionProblem[];
  /** Maps an offset of the expanded text to the offset of the original text it came from. */
  toOriginalOffset(expandedOffset: number): number;
}

// `$${X}` is an escape for a literal `${X}`; otherwise `${NAME}` or `${NAME:-default}`.
const REFERENCE = /\$(\$)?\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

/**
 * What an unset variable expands to: a plain YAML scalar that is also a valid host name, so a
 * host or key built from it checks clean and the variable's own diagnostic is the only one.
 */
export function unsetPlaceholder(name: string): string {
  return `UNSET_${name}`;
}

/**
 * Expands `${VAR}` and `${VAR:-default}` (the default also applies when VAR is empty, as in
 * the shell) and turns `$${VAR}` into a literal `${VAR}`. The whole text is expanded before
 * YAML parsing (comments included, as in docker-compose), so a value lands exactly where its
 * reference stood. An unset variable without a default is reported at the reference and
 * expands to a placeholder (`UNSET_<NAME>`), so the rest of the file is still parsed and checked:
 * every other problem is reported in the same run.
 */
export function expandEnvironment(text: string, env: ConfigEnvironment): ExpandedText {
  const replacements: Replacement[] = [];
  const problems: ExpansionProblem[] = [];
  let expanded = '';
  let copiedUpTo = 0;
  for (const match of text.matchAll(REFERENCE)) {
    const [whole, escape, name, fallback] = match as unknown as [string, string | undefined, string, string | undefined];
    const start = match.index;
    let value: string;
    if (escape !== undefined) {
      value = whole.slice(1);
    } else {
      const set = env[name];
      if (set !== undefined && (set !== '' || fallback === undefined)) {
        value = set;
      } else if (fallback !== undefined) {
        value = fallback;
      } else {
        value = unsetPlaceholder(name);
        problems.push({ offset: start, expandedOffset: expanded.length + (start - copiedUpTo), code: 'SY_CFG_ENV_UNSET', message: `environment variable "${name}" is not set and "${whole}" has no default (write \${${name}:-default})` });
      }
    }
    expanded += text.slice(copiedUpTo, start);
    replacements.push({ originalStart: start, originalEnd: start + whole.length, expandedStart: expanded.length, expandedEnd: expanded.length + value.length });
    expanded += value;
    copiedUpTo = start + whole.length;
  }
  expanded += text.slice(copiedUpTo);

  return {
    text: expanded,
    problems,
    toOriginalOffset(expandedOffset: number): number {
      let shift = 0;
      for (const replacement of replacements) {
        if (expandedOffset < replacement.expandedStart) break;
        // Anything inside an expanded value points at the reference that produced it.
        if (expandedOffset < replacement.expandedEnd) return replacement.originalStart;
        shift = replacement.originalEnd - replacement.expandedEnd;
      }
      return expandedOffset + shift;
    },
  };
}
