import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { parseDocument, visit, type Document } from 'yaml';
import { checkConfigDocument } from './check-document.js';
import { compileConfig } from './compile.js';
import type { ConfigDocument } from './config-document.js';
import { formatDiagnostic, hasErrors, type Diagnostic } from './diagnostic.js';
import { expandEnvironment, type ConfigEnvironment, type ExpansionProblem } from './env-expansion.js';
import type { RuntimeConfig } from './runtime-config.js';
import { SourceLocator } from './source-locator.js';
import type { SignalTimeouts } from '../signals/signal.js';

/** How to load a config. */
export interface LoadConfigOptions {
  /** Variables for `${VAR}` expansion; defaults to `process.env`. */
  readonly env?: ConfigEnvironment;
  /** Folder that relative paths in the config are resolved against; defaults to the file's folder. */
  readonly configDir?: string;
  /**
   * `ignore` lets signals run to completion whatever their `timeout_ms`: offline tools (`route`,
   * `eval`) report what the config decides for a prompt, not how loaded the machine was.
   * Serving always enforces them (the default).
   */
  readonly signalTimeouts?: SignalTimeouts;
}

/** A loaded config: `config` is present only when no diagnostic is an error. */
export interface LoadConfigResult {
  readonly config?: RuntimeConfig;
  readonly diagnostics: readonly Diagnostic[];
}

function byPosition(a: Diagnostic, b: Diagnostic): number {
  return a.line - b.line || a.col - b.col;
}

function positionKey(diagnostic: Diagnostic): string {
  return `${diagnostic.line}:${diagnostic.col}`;
}

/**
 * Positions whose diagnostics would only repeat an unset variable: the reference itself and the
 * start of the scalar holding its placeholder (`port: UNSET_PORT` is no number, `UNSET_HOST:x` no
 * endpoint). Diagnostics there are dropped; the SY_CFG_ENV_UNSET one already says what is wrong.
 */
function placeholderPositions(document: Document, unset: readonly ExpansionProblem[], locator: SourceLocator): Set<string> {
  const positions = new Set<string>();
  for (const problem of unset) {
    positions.add(positionKey(locator.atOriginalOffset(problem.offset, problem.code, '')));
    visit(document, {
      Scalar(_key, node) {
        const [start, end] = node.range ?? [0, 0];
        if (start <= problem.expandedOffset && problem.expandedOffset < end) positions.add(positionKey(locator.atParsedOffset(start, problem.code, '')));
      },
    });
  }
  return positions;
}

/**
 * Loads a config from text: `${VAR}` expansion, YAML parsing, schema validation (with
 * defaults), reference and plug-in checks, and compilation. Every problem found is reported with
 * the line and column of the original text, all in one run: an unset variable stands in as a
 * placeholder so the checks still run. Loading stops early only after YAML syntax errors (there
 * is no document to check), and compiles only a config without errors.
 */
export async function loadConfigText(text: string, fileName: string, options: LoadConfigOptions = {}): Promise<LoadConfigResult> {
  const expanded = expandEnvironment(text, options.env ?? process.env);
  const locator = new SourceLocator(fileName, text, expanded.toOriginalOffset);
  const diagnostics: Diagnostic[] = expanded.problems.map((problem) => locator.atOriginalOffset(problem.offset, problem.code, problem.message));

  const document = parseDocument(expanded.text, { prettyErrors: false, uniqueKeys: true });
  const syntax: Diagnostic[] = [
    ...document.errors.map((error) => locator.atParsedOffset(error.pos[0], 'SY_CFG_YAML_SYNTAX', error.message)),
    ...document.warnings.map((warning) => locator.atParsedOffset(warning.pos[0], 'SY_CFG_YAML_SYNTAX', warning.message, 'warning')),
  ];
  diagnostics.push(...syntax);
  if (hasErrors(syntax)) return { diagnostics: diagnostics.sort(byPosition) };

  const data: unknown = document.toJS();
  const placeholders = placeholderPositions(document, expanded.problems, locator);
  diagnostics.push(...checkConfigDocument(data).map((problem) => locator.atProblem(document, problem)).filter((diagnostic) => !placeholders.has(positionKey(diagnostic))));
  if (hasErrors(diagnostics)) return { diagnostics: diagnostics.sort(byPosition) };

  const configDir = options.configDir ?? dirname(resolve(fileName));
  const compiled = await compileConfig(data as ConfigDocument, { path: fileName, text, configDir, signalTimeouts: options.signalTimeouts ?? 'enforce' });
  diagnostics.push(...compiled.problems.map((problem) => locator.atProblem(document, problem)));
  diagnostics.sort(byPosition);
  return compiled.config === undefined || hasErrors(diagnostics) ? { diagnostics } : { config: compiled.config, diagnostics };
}

/** Reads and loads a config file; an unreadable file is an `SY_CFG_FILE` diagnostic. */
export async function loadConfigFile(path: string, options: LoadConfigOptions = {}): Promise<LoadConfigResult> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    return { diagnostics: [{ file: path, line: 1, col: 1, severity: 'error', code: 'SY_CFG_FILE', message: `cannot read config file "${path}": ${reason}` }] };
  }
  return loadConfigText(text, path, options);
}

/**
 * Loads a config file for a command that runs on it: every diagnostic, warnings included, is
 * written formatted to `write`, one per line; the config is absent when any is an error.
 */
export async function loadConfigFileReporting(path: string, write: (text: string) => unknown, options: LoadConfigOptions = {}): Promise<RuntimeConfig | undefined> {
  const { config, diagnostics } = await loadConfigFile(path, options);
  for (const diagnostic of diagnostics) write(`${formatDiagnostic(diagnostic)}\n`);
  return config;
}
