import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { parseDocument } from 'yaml';
import { SIGNAL_PLUGINS } from '../signals/registry.js';
import { checkReferences, type CheckedSection } from './check-references.js';
import { compileConfig } from './compile.js';
import type { ConfigDocument } from './config-document.js';
import type { ConfigProblem } from './config-problem.js';
import { formatDiagnostic, hasErrors, type Diagnostic } from './diagnostic.js';
import { expandEnvironment, type ConfigEnvironment } from './env-expansion.js';
import type { RuntimeConfig } from './runtime-config.js';
import { CONFIG_SCHEMA } from './schema.js';
import { SourceLocator } from './source-locator.js';
import { validateConfigSchema } from './validate-schema.js';

/** How to load a config. */
export interface LoadConfigOptions {
  /** Variables for `${VAR}` expansion; defaults to `process.env`. */
  readonly env?: ConfigEnvironment;
  /** Folder that relative paths in the config are resolved against; defaults to the file's folder. */
  readonly configDir?: string;
}

/** A loaded config: `config` is present only when no diagnostic is an error. */
export interface LoadConfigResult {
  readonly config?: RuntimeConfig;
  readonly diagnostics: readonly Diagnostic[];
}

// Top-level keys whose schema errors make each checked section unsafe to read.
const SECTION_KEYS: Readonly<Record<CheckedSection, readonly string[]>> = {
  providers: ['providers', 'default_model', 'reasoning_families', 'default_reasoning_effort'],
  signals: ['signals'],
  decisions: ['decisions'],
  envoy: ['envoy'],
};

function cleanSections(data: unknown, schemaProblems: readonly ConfigProblem[]): Set<CheckedSection> {
  const clean = new Set<CheckedSection>();
  const root = data as Record<string, unknown> | null;
  if (typeof root !== 'object' || root === null || Array.isArray(root)) return clean;
  const broken = new Set(schemaProblems.map((problem) => String(problem.path[0] ?? '')));
  for (const [section, keys] of Object.entries(SECTION_KEYS) as [CheckedSection, readonly string[]][]) {
    const present = section !== 'providers' || (typeof root.providers === 'object' && root.providers !== null);
    if (present && !keys.some((key) => broken.has(key))) clean.add(section);
  }
  return clean;
}

function byPosition(a: Diagnostic, b: Diagnostic): number {
  return a.line - b.line || a.col - b.col;
}

/**
 * Loads a config from text: `${VAR}` expansion, YAML parsing, schema validation (with
 * defaults), reference checks and compilation. Every problem found is reported with the
 * line and column of the original text. Loading stops after a stage that found errors
 * only where later stages would just repeat them: after YAML errors, and after an unset
 * variable (whose value, and so everything built on it, is unknown).
 */
export async function loadConfigText(text: string, fileName: string, options: LoadConfigOptions = {}): Promise<LoadConfigResult> {
  const expanded = expandEnvironment(text, options.env ?? process.env);
  const locator = new SourceLocator(fileName, text, expanded.toOriginalOffset);
  const diagnostics: Diagnostic[] = expanded.problems.map((problem) => locator.atOriginalOffset(problem.offset, problem.code, problem.message));

  const document = parseDocument(expanded.text, { prettyErrors: false, uniqueKeys: true });
  for (const error of document.errors) diagnostics.push(locator.atParsedOffset(error.pos[0], 'SY_CFG_YAML_SYNTAX', error.message));
  for (const warning of document.warnings) diagnostics.push(locator.atParsedOffset(warning.pos[0], 'SY_CFG_YAML_SYNTAX', warning.message, 'warning'));
  if (hasErrors(diagnostics)) return { diagnostics: diagnostics.sort(byPosition) };

  const data: unknown = document.toJS();
  const schemaProblems = validateConfigSchema(data, CONFIG_SCHEMA);
  const problems = [...schemaProblems, ...checkReferences(data as ConfigDocument, SIGNAL_PLUGINS, cleanSections(data, schemaProblems))];
  diagnostics.push(...problems.map((problem) => locator.atProblem(document, problem)));
  if (hasErrors(diagnostics)) return { diagnostics: diagnostics.sort(byPosition) };

  const configDir = options.configDir ?? dirname(resolve(fileName));
  const compiled = await compileConfig(data as ConfigDocument, { path: fileName, text, configDir });
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
