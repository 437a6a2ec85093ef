import { checkConfigDocument } from '../config/check-document.js';
import { hasErrors, type Diagnostic } from '../config/diagnostic.js';
import type { DslProgram } from './ast.js';
import { checkSignalReferences } from './check-signal-references.js';
import { lowerProgram } from './lower.js';
import { parseDsl } from './parser.js';

/** A compiled DSL file: the config document (present only without errors) and every diagnostic. */
export interface DslCompileResult {
  readonly program: DslProgram;
  readonly document?: Record<string, unknown>;
  readonly diagnostics: readonly Diagnostic[];
}

/**
 * Compiles routing-DSL text: lex and parse (syntax errors), lower to the config document, then
 * the config's own schema and reference checks, with every problem located at its DSL token.
 * `${VAR}` references stay as written: they are expanded when the output config is loaded.
 * The returned document is the one YAML would hold, without schema defaults filled in.
 */
export function compileDslText(text: string, fileName: string): DslCompileResult {
  const { program, problems: syntaxProblems } = parseDsl(text);
  const diagnostics: Diagnostic[] = syntaxProblems.map((problem) => ({ file: fileName, line: problem.at.line, col: problem.at.col, severity: 'error', code: 'SY_DSL_SYNTAX', message: problem.message }));
  const lowered = lowerProgram(program);
  for (const problem of [...lowered.problems, ...checkSignalReferences(program, lowered.document)]) {
    diagnostics.push({ file: fileName, line: problem.at.line, col: problem.at.col, severity: 'error', code: problem.code, message: problem.message });
  }
  // One problem, one diagnostic: the config's own checks may find what the DSL checks found.
  const seen = new Set(diagnostics.map((diagnostic) => `${diagnostic.line}:${diagnostic.col}:${diagnostic.code}`));
  // The checks fill in defaults; keep the document as written for the output.
  for (const problem of checkConfigDocument(structuredClone(lowered.document))) {
    const at = lowered.sourceMap.locate(problem.path, problem.at ?? 'value');
    const key = `${at.line}:${at.col}:${problem.code}`;
    if (seen.has(key)) continue;
    seen.add(key);
    diagnostics.push({ file: fileName, line: at.line, col: at.col, severity: problem.severity ?? 'error', code: problem.code, message: problem.message });
  }
  diagnostics.sort((a, b) => a.line - b.line || a.col - b.col);
  return hasErrors(diagnostics) ? { program, diagnostics } : { program, document: lowered.document, diagnostics };
}
