import { readFile, writeFile } from 'node:fs/promises';
import { formatDiagnostic, hasErrors, type Diagnostic } from '../../config/diagnostic.js';
import { compileDslText } from '../../dsl/compile-dsl.js';
import { decompileYamlText } from '../../dsl/decompile.js';
import { parseDsl } from '../../dsl/parser.js';
import { printProgram } from '../../dsl/printer.js';
import { renderTarget, type DslTarget } from '../../dsl/targets.js';
import type { CliIo } from '../cli-io.js';

export interface DslCompileOptions {
  readonly format: DslTarget;
  readonly out?: string;
  readonly name?: string;
  readonly namespace?: string;
}

async function readSource(file: string, io: CliIo): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    io.stderr.write(`switchyard dsl: cannot read "${file}": ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}\n`);
    return undefined;
  }
}

/** Diagnostics go to stderr when the result itself goes to stdout, so the output stays pipeable. */
function report(diagnostics: readonly Diagnostic[], io: CliIo): void {
  for (const diagnostic of diagnostics) io.stderr.write(`${formatDiagnostic(diagnostic)}\n`);
}

async function emit(text: string, out: string | undefined, io: CliIo): Promise<void> {
  if (out === undefined) io.stdout.write(text);
  else await writeFile(out, text);
}

/** `switchyard dsl compile F.dsl [--format yaml|crd|helm] [--out F]` */
export async function runDslCompile(file: string, options: DslCompileOptions, io: CliIo): Promise<number> {
  const text = await readSource(file, io);
  if (text === undefined) return 1;
  const result = compileDslText(text, file);
  report(result.diagnostics, io);
  if (result.document === undefined) return 1;
  await emit(renderTarget(result.document, options.format, options), options.out, io);
  return 0;
}

/** `switchyard dsl decompile config.yaml [--out F]` */
export async function runDslDecompile(file: string, options: { readonly out?: string }, io: CliIo): Promise<number> {
  const text = await readSource(file, io);
  if (text === undefined) return 1;
  const result = decompileYamlText(text, file);
  report(result.diagnostics, io);
  if (result.dsl === undefined) return 1;
  await emit(result.dsl, options.out, io);
  return 0;
}

/** `switchyard dsl validate F.dsl`: every problem, located; exit 1 on any error. */
export async function runDslValidate(file: string, io: CliIo): Promise<number> {
  const text = await readSource(file, io);
  if (text === undefined) return 1;
  const result = compileDslText(text, file);
  for (const diagnostic of result.diagnostics) io.stdout.write(`${formatDiagnostic(diagnostic)}\n`);
  if (hasErrors(result.diagnostics)) return 1;
  const decisions = Array.isArray(result.document?.decisions) ? result.document.decisions.length : 0;
  io.stdout.write(`${file}: ok (${decisions} routes)\n`);
  return 0;
}

/** `switchyard dsl fmt F.dsl [--write | --check]`: the canonical layout, comments kept. */
export async function runDslFmt(file: string, options: { readonly write?: boolean; readonly check?: boolean }, io: CliIo): Promise<number> {
  const text = await readSource(file, io);
  if (text === undefined) return 1;
  const { program, problems } = parseDsl(text);
  if (problems.length > 0) {
    report(problems.map((problem) => ({ file, line: problem.at.line, col: problem.at.col, severity: 'error', code: 'SY_DSL_SYNTAX', message: problem.message })), io);
    return 1;
  }
  const formatted = printProgram(program);
  if (options.check) {
    if (formatted === text) return 0;
    io.stderr.write(`${file}: not formatted (run switchyard dsl fmt --write ${file})\n`);
    return 1;
  }
  if (options.write) await writeFile(file, formatted);
  else io.stdout.write(formatted);
  return 0;
}
