import { readFile } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import { formatDiagnostic } from '../../config/diagnostic.js';
import { loadConfigFile } from '../../config/load.js';
import type { ModelTarget, RuntimeConfig } from '../../config/runtime-config.js';
import { routeChatCompletion } from '../../router/route-request.js';
import type { CliIo } from '../cli-io.js';

/** Options of `switchyard eval`. */
export interface EvalOptions {
  readonly config: string;
  readonly input: string;
  readonly json?: boolean;
  /** Only lines whose `split` field has this value (e.g. a held-out "test" half). */
  readonly split?: string;
  /** Fraction (0..1) of lines that must meet every expectation they carry. */
  readonly minAccuracy?: number;
}

/** Cost tier of a model: `local` when its pricing is zero (or absent), `cloud` when it costs money. */
export type ModelTier = 'local' | 'cloud';

/**
 * What one line of the input expects; any subset. `expect_tier` lets one labelled file judge
 * configs whose model names differ: the tier of the routed model is read from its pricing.
 */
interface Expectations {
  readonly decision?: string | null;
  readonly model?: string;
  readonly tier?: ModelTier;
  readonly blocked?: boolean;
}

type Field = keyof Expectations;
const FIELDS: readonly Field[] = ['decision', 'model', 'tier', 'blocked'];

interface EvalCase {
  readonly line: number;
  readonly id: unknown;
  readonly messages: unknown;
  readonly preview: string;
  readonly expect: Expectations;
}

/** What routing made of one line. */
interface Outcome {
  readonly decision: string | null;
  readonly model: string;
  /** `blocked` when the request was refused: no model answered, so a line expecting a tier missed it. */
  readonly tier: ModelTier | 'blocked';
  readonly blocked: boolean;
  readonly reasoning: boolean;
  readonly signals: Readonly<Record<string, readonly string[]>>;
}

/** A line that missed an expectation or could not be routed. */
interface Failure {
  readonly line: number;
  readonly id: unknown;
  readonly prompt: string;
  readonly mismatches: Readonly<Partial<Record<Field, { expected: unknown; actual: unknown }>>>;
  readonly error?: string;
  readonly routed?: Outcome;
}

interface FieldScore {
  correct: number;
  total: number;
}

/** A confusion matrix: expected label → routed label → count. */
type Confusion = Record<string, Record<string, number>>;

/** The report `--json` prints. */
export interface EvalReport {
  readonly config: string;
  readonly input: string;
  readonly split?: string;
  readonly total: number;
  /** Lines that met every expectation they carry. */
  readonly passed: number;
  readonly accuracy: number;
  readonly fields: Readonly<Partial<Record<Field, FieldScore & { accuracy: number }>>>;
  readonly confusion: { readonly model?: Confusion; readonly tier?: Confusion };
  readonly failures: readonly Failure[];
  readonly latency_ms: { readonly p50: number; readonly p99: number; readonly max: number };
}

const REQUEST_HEADERS: ReadonlyMap<string, string> = new Map([['content-type', 'application/json']]);

/** The tier of a model from its pricing. */
function modelTier(model: ModelTarget | undefined): ModelTier {
  const pricing = model?.pricing;
  return pricing === undefined || (pricing.promptPer1M === 0 && pricing.completionPer1M === 0) ? 'local' : 'cloud';
}

function parseExpectations(entry: Record<string, unknown>, source: string): Expectations {
  const expect: { -readonly [K in Field]?: Expectations[K] } = {};
  const decision = entry['expect_decision'];
  if (decision !== undefined) {
    if (decision !== null && typeof decision !== 'string') throw new Error(`${source}: expect_decision must be a string or null`);
    expect.decision = decision;
  }
  const model = entry['expect_model'];
  if (model !== undefined) {
    if (typeof model !== 'string') throw new Error(`${source}: expect_model must be a string`);
    expect.model = model;
  }
  const tier = entry['expect_tier'];
  if (tier !== undefined) {
    if (tier !== 'local' && tier !== 'cloud') throw new Error(`${source}: expect_tier must be "local" or "cloud"`);
    expect.tier = tier;
  }
  const blocked = entry['expect_blocked'];
  if (blocked !== undefined) {
    if (typeof blocked !== 'boolean') throw new Error(`${source}: expect_blocked must be true or false`);
    expect.blocked = blocked;
  }
  if (Object.keys(expect).length === 0) throw new Error(`${source}: needs at least one of expect_decision, expect_model, expect_tier, expect_blocked`);
  return expect;
}

/** Parses the JSONL input; every bad line is reported, not just the first. */
function parseCases(text: string, file: string, split: string | undefined): EvalCase[] {
  const cases: EvalCase[] = [];
  const problems: string[] = [];
  text.split('\n').forEach((raw, index) => {
    if (raw.trim() === '') return;
    const source = `${file}:${index + 1}`;
    try {
      const entry = JSON.parse(raw) as unknown;
      if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) throw new Error(`${source}: each line must be a JSON object`);
      const fields = entry as Record<string, unknown>;
      if (split !== undefined && fields['split'] !== split) return;
      const text = fields['text'];
      if (fields['messages'] === undefined && typeof text !== 'string') throw new Error(`${source}: needs "text" (a string) or "messages"`);
      const messages = fields['messages'] ?? [{ role: 'user', content: text }];
      const preview = typeof text === 'string' ? text : JSON.stringify(messages);
      cases.push({ line: index + 1, id: fields['id'] ?? index + 1, messages, preview, expect: parseExpectations(fields, source) });
    } catch (error) {
      problems.push(error instanceof SyntaxError ? `${source}: not valid JSON (${error.message})` : (error as Error).message);
    }
  });
  if (problems.length > 0) throw new Error(problems.join('\n'));
  if (cases.length === 0) throw new Error(`${file}: no prompts${split === undefined ? '' : ` in split "${split}"`}`);
  return cases;
}

function replyMessage(body: Buffer): string {
  try {
    return (JSON.parse(body.toString('utf8')) as { error?: { message?: string } }).error?.message ?? body.toString('utf8');
  } catch {
    return body.toString('utf8');
  }
}

async function routeCase(config: RuntimeConfig, evalCase: EvalCase): Promise<Outcome | Error> {
  const body = Buffer.from(JSON.stringify({ model: config.router.primaryAutoModelName, messages: evalCase.messages }));
  const result = await routeChatCompletion(config, body, REQUEST_HEADERS, new AbortController().signal, Math.random, { callUpstreams: false });
  if (result.kind === 'passthrough') return new Error('not routed');
  const trace = result.trace;
  if (trace === undefined) return new Error(result.kind === 'immediate' ? `${result.status} ${replyMessage(result.body)}` : 'not routed');
  return {
    decision: trace.decision,
    model: trace.model,
    tier: trace.blocked ? 'blocked' : modelTier(config.models.get(trace.model)),
    blocked: trace.blocked,
    reasoning: trace.reasoning,
    signals: trace.signals,
  };
}

/** Nearest-rank percentile of sorted values. */
function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

function round(value: number, digits: number): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}

function count(matrix: Confusion, expected: string, actual: string): void {
  const row = (matrix[expected] ??= {});
  row[actual] = (row[actual] ?? 0) + 1;
}

/** Redraws a one-line progress bar on a terminal; silent elsewhere so logs and pipes stay clean. */
function progressBar(io: CliIo, total: number): { tick(done: number): void; end(): void } {
  const stream = io.stderr as CliIo['stderr'] & { isTTY?: boolean };
  if (stream.isTTY !== true) return { tick: () => undefined, end: () => undefined };
  const width = 30;
  return {
    tick(done) {
      const filled = Math.round((done / total) * width);
      stream.write(`\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total}`);
    },
    end() {
      stream.write('\r\x1b[K');
    },
  };
}

async function evaluate(config: RuntimeConfig, cases: readonly EvalCase[], options: EvalOptions, io: CliIo): Promise<EvalReport> {
  const scores: Partial<Record<Field, FieldScore>> = {};
  const confusion: { model?: Confusion; tier?: Confusion } = {};
  const failures: Failure[] = [];
  const latencies: number[] = [];
  let passed = 0;
  const progress = progressBar(io, cases.length);
  for (const [index, evalCase] of cases.entries()) {
    const started = performance.now();
    const outcome = await routeCase(config, evalCase);
    latencies.push(performance.now() - started);
    progress.tick(index + 1);
    const prompt = evalCase.preview;
    if (outcome instanceof Error) {
      for (const field of FIELDS) if (evalCase.expect[field] !== undefined) (scores[field] ??= { correct: 0, total: 0 }).total += 1;
      failures.push({ line: evalCase.line, id: evalCase.id, prompt, mismatches: {}, error: outcome.message });
      continue;
    }
    const mismatches: Partial<Record<Field, { expected: unknown; actual: unknown }>> = {};
    for (const field of FIELDS) {
      const expected = evalCase.expect[field];
      if (expected === undefined) continue;
      const score = (scores[field] ??= { correct: 0, total: 0 });
      score.total += 1;
      if (outcome[field] === expected) score.correct += 1;
      else mismatches[field] = { expected, actual: outcome[field] };
    }
    if (evalCase.expect.model !== undefined) count((confusion.model ??= {}), evalCase.expect.model, outcome.model);
    if (evalCase.expect.tier !== undefined) count((confusion.tier ??= {}), evalCase.expect.tier, outcome.tier);
    if (Object.keys(mismatches).length === 0) passed += 1;
    else failures.push({ line: evalCase.line, id: evalCase.id, prompt, mismatches, routed: outcome });
  }
  progress.end();
  const sorted = [...latencies].sort((a, b) => a - b);
  const fields: EvalReport['fields'] = Object.fromEntries(
    Object.entries(scores).map(([field, score]) => [field, { ...score, accuracy: round(score.correct / score.total, 4) }]),
  );
  return {
    config: options.config,
    input: options.input,
    ...(options.split === undefined ? {} : { split: options.split }),
    total: cases.length,
    passed,
    accuracy: round(passed / cases.length, 4),
    fields,
    confusion,
    failures,
    latency_ms: { p50: round(percentile(sorted, 50), 3), p99: round(percentile(sorted, 99), 3), max: round(sorted[sorted.length - 1] ?? 0, 3) },
  };
}

function percent(value: number): string {
  return `${(value * 100).toFixed(1)}%`;
}

function formatConfusion(title: string, matrix: Confusion): string[] {
  const expected = Object.keys(matrix).sort();
  const routed = [...new Set(Object.values(matrix).flatMap((row) => Object.keys(row)))].sort();
  const labelWidth = Math.max(title.length, ...expected.map((label) => label.length));
  const widths = routed.map((label) => Math.max(label.length, 5));
  const lines = [`${title.padEnd(labelWidth)}  ${routed.map((label, i) => label.padStart(widths[i]!)).join('  ')}`];
  for (const row of expected) {
    lines.push(`${row.padEnd(labelWidth)}  ${routed.map((label, i) => String(matrix[row]?.[label] ?? 0).padStart(widths[i]!)).join('  ')}`);
  }
  return lines;
}

function formatFailure(failure: Failure): string {
  const prompt = failure.prompt.length > 80 ? `${failure.prompt.slice(0, 77)}...` : failure.prompt;
  const what =
    failure.error !== undefined
      ? `error: ${failure.error}`
      : Object.entries(failure.mismatches)
          .map(([field, { expected, actual }]) => `${field} expected ${JSON.stringify(expected)} got ${JSON.stringify(actual)}`)
          .join(', ');
  const via = failure.routed === undefined ? '' : ` (decision ${JSON.stringify(failure.routed.decision)})`;
  return `  line ${failure.line} [${String(failure.id)}]: ${what}${via}: ${JSON.stringify(prompt)}`;
}

function formatReport(report: EvalReport): string {
  const input = report.split === undefined ? report.input : `${report.input} (split ${report.split})`;
  const lines = [`${input}: ${report.passed}/${report.total} lines passed (${percent(report.accuracy)}) with ${report.config}`, '', 'accuracy per field:'];
  for (const [field, score] of Object.entries(report.fields)) {
    lines.push(`  ${field.padEnd(8)} ${String(score.correct).padStart(5)}/${String(score.total).padEnd(5)} ${percent(score.accuracy)}`);
  }
  for (const [kind, matrix] of Object.entries(report.confusion)) {
    lines.push('', `confusion (rows: expected ${kind}, columns: routed ${kind}):`, ...formatConfusion(`expected ${kind}`, matrix).map((line) => `  ${line}`));
  }
  lines.push('', `failed lines (${report.failures.length}):`, ...report.failures.map(formatFailure));
  lines.push('', `latency per request: p50 ${report.latency_ms.p50} ms, p99 ${report.latency_ms.p99} ms, max ${report.latency_ms.max} ms`);
  return `${lines.join('\n')}\n`;
}

/**
 * `switchyard eval`: routes every line of a labelled JSONL file as `route` would and scores it
 * against the line's `expect_decision`, `expect_model`, `expect_tier` and `expect_blocked`.
 * Exits 1 when the input or config is unusable, or when `--min-accuracy` is not met.
 */
export async function runEval(options: EvalOptions, io: CliIo): Promise<number> {
  let cases: EvalCase[];
  try {
    cases = parseCases(await readFile(options.input, 'utf8'), options.input, options.split);
  } catch (error) {
    io.stderr.write(`eval: ${(error as Error).message}\n`);
    return 1;
  }
  const { config, diagnostics } = await loadConfigFile(options.config, { signalTimeouts: 'ignore' });
  if (config === undefined) {
    for (const diagnostic of diagnostics) io.stderr.write(`${formatDiagnostic(diagnostic)}\n`);
    return 1;
  }
  let report: EvalReport;
  try {
    report = await evaluate(config, cases, options, io);
  } finally {
    await config.close();
  }
  io.stdout.write(options.json === true ? `${JSON.stringify(report)}\n` : formatReport(report));
  if (options.minAccuracy !== undefined && report.accuracy < options.minAccuracy) {
    io.stderr.write(`eval: accuracy ${percent(report.accuracy)} is below --min-accuracy ${percent(options.minAccuracy)}\n`);
    return 1;
  }
  return 0;
}
