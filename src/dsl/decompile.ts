import { parseDocument } from 'yaml';
import { checkConfigDocument } from '../config/check-document.js';
import { hasErrors, type Diagnostic } from '../config/diagnostic.js';
import { SourceLocator } from '../config/source-locator.js';
import { printProgram } from './printer.js';
import { DecompileError, raiseDocument } from './raise.js';

/** A decompiled config: DSL text (present only without errors) and every diagnostic. */
export interface DecompileResult {
  readonly dsl?: string;
  readonly diagnostics: readonly Diagnostic[];
}

/**
 * Decompiles a YAML config to DSL source. The YAML is checked as `validate` would (so only a
 * config that loads is decompiled) but `${VAR}` references are kept as written: decompiling
 * must never copy a secret from the environment into a file.
 */
export function decompileYamlText(text: string, fileName: string): DecompileResult {
  const locator = new SourceLocator(fileName, text);
  const document = parseDocument(text, { prettyErrors: false, uniqueKeys: true });
  const diagnostics: Diagnostic[] = document.errors.map((error) => locator.atParsedOffset(error.pos[0], 'SY_CFG_YAML_SYNTAX', error.message));
  if (hasErrors(diagnostics)) return { diagnostics };
  const data: unknown = document.toJS();
  diagnostics.push(...checkConfigDocument(structuredClone(data)).map((problem) => locator.atProblem(document, problem)));
  if (hasErrors(diagnostics)) return { diagnostics };
  try {
    return { dsl: printProgram(raiseDocument(data as Record<string, unknown>)), diagnostics };
  } catch (error) {
    if (!(error instanceof DecompileError)) throw error;
    return { diagnostics: [...diagnostics, { file: fileName, line: 1, col: 1, severity: 'error', code: 'SY_CFG_SCHEMA', message: `cannot decompile: ${error.message}` }] };
  }
}
