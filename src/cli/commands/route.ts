import { readFile } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import type { RuntimeConfig } from '../../config/runtime-config.js';
import { formatDiagnostic } from '../../config/diagnostic.js';
import { loadConfigFile } from '../../config/load.js';
import { routeChatCompletion } from '../../router/route-request.js';
import type { RoutingTrace } from '../../router/route-result.js';
import type { CliIo } from '../cli-io.js';
import { explainRouting } from './route-explanation.js';

/** Options of `switchyard route`: exactly one of `prompt` and `input`. */
export interface RouteOptions {
  readonly config: string;
  readonly prompt?: string;
  /** A JSONL file: one `{"id"?, "text"}` or `{"id"?, "messages": [...]}` per line. */
  readonly input?: string;
  /** Under each JSON line, why: signal scores against thresholds, classifier labels, each decision's rule. */
  readonly explain?: boolean;
}

/** One routed prompt, in the stable line format `route` prints. */
export interface RouteLine {
  readonly id: unknown;
  readonly decision: string | null;
  readonly model: string;
  readonly reasoning: boolean;
  readonly blocked: boolean;
  readonly signals: RoutingTrace['signals'];
  readonly confidence: number;
  /** The decision's selection algorithm, its choice and why (absent when no decision matched). */
  readonly selection?: RoutingTrace['selection'];
  readonly latency_ms: number;
}

export interface Prompt {
  readonly id: unknown;
  readonly messages: unknown;
  /** Where the prompt came from, for error messages. */
  readonly source: string;
}

export const REQUEST_HEADERS: ReadonlyMap<string, string> = new Map([['content-type', 'application/json']]);

/**
 * `switchyard route`: decides where prompts would go without calling any upstream, one JSON
 * object per line. A prompt that cannot be routed is reported on stderr and makes the exit code 1.
 */
export async function runRoute(options: RouteOptions, io: CliIo): Promise<number> {
  if ((options.prompt === undefined) === (options.input === undefined)) {
    io.stderr.write('route: give exactly one of --prompt TEXT and --input FILE.jsonl\n');
    return 1;
  }
  const { config, diagnostics } = await loadConfigFile(options.config, { signalTimeouts: 'ignore' });
  if (config === undefined) {
    for (const diagnostic of diagnostics) io.stderr.write(`${formatDiagnostic(diagnostic)}\n`);
    return 1;
  }
  try {
    const prompts =
      options.prompt !== undefined
        ? [{ id: 1, messages: [{ role: 'user', content: options.prompt }], source: '--prompt' }]
        : parsePromptFile(await readFile(options.input!, 'utf8'), options.input!);
    let exitCode = 0;
    for (const prompt of prompts) {
      const line = prompt instanceof Error ? prompt : await routePrompt(config, prompt);
      if (line instanceof Error) {
        io.stderr.write(`${line.message}\n`);
        exitCode = 1;
      } else {
        io.stdout.write(`${JSON.stringify(line)}\n`);
        if (options.explain === true && !(prompt instanceof Error)) io.stdout.write(await explainRouting(config, promptBody(config, prompt), REQUEST_HEADERS, line));
      }
    }
    return exitCode;
  } finally {
    await config.close();
  }
}

function parsePromptFile(text: string, file: string): (Prompt | Error)[] {
  const prompts: (Prompt | Error)[] = [];
  text.split('\n').forEach((raw, index) => {
    if (raw.trim() === '') return;
    const source = `${file}:${index + 1}`;
    let entry: { id?: unknown; text?: unknown; messages?: unknown };
    try {
      entry = JSON.parse(raw) as typeof entry;
    } catch (error) {
      prompts.push(new Error(`${source}: not valid JSON (${(error as Error).message})`));
      return;
    }
    if (entry.messages === undefined && typeof entry.text !== 'string') {
      prompts.push(new Error(`${source}: needs "text" (a string) or "messages"`));
      return;
    }
    const messages = entry.messages ?? [{ role: 'user', content: entry.text }];
    prompts.push({ id: entry.id ?? index + 1, messages, source });
  });
  return prompts;
}

export function promptBody(config: RuntimeConfig, prompt: Prompt): Buffer {
  return Buffer.from(JSON.stringify({ model: config.router.primaryAutoModelName, messages: prompt.messages }));
}

export async function routePrompt(config: RuntimeConfig, prompt: Prompt): Promise<RouteLine | Error> {
  const body = promptBody(config, prompt);
  const started = performance.now();
  const result = await routeChatCompletion(config, body, REQUEST_HEADERS, new AbortController().signal, Math.random, { callUpstreams: false });
  const latencyMs = Math.round((performance.now() - started) * 1000) / 1000;
  const trace = result.kind === 'passthrough' ? undefined : result.trace;
  if (trace === undefined) {
    const reason = result.kind === 'immediate' ? `${result.status} ${errorMessage(result.body)}` : 'not routed';
    return new Error(`${prompt.source}: ${reason}`);
  }
  return {
    id: prompt.id,
    decision: trace.decision,
    model: trace.model,
    reasoning: trace.reasoning,
    blocked: trace.blocked,
    signals: trace.signals,
    confidence: trace.confidence,
    ...(trace.selection === undefined ? {} : { selection: trace.selection }),
    latency_ms: latencyMs,
  };
}

function errorMessage(body: Buffer): string {
  try {
    return (JSON.parse(body.toString('utf8')) as { error?: { message?: string } }).error?.message ?? body.toString('utf8');
  } catch {
    return body.toString('utf8');
  }
}
