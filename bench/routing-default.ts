/**
 * Routing latency of examples/default.yaml with every signal it defines active (keyword, context,
 * embedding, domain, complexity): p50/p99 per signal type and for the whole request (body parse,
 * signals, decision, body rewrite) for prompts of about 20, 200 and 500 tokens; start-up time
 * (process start to config compiled, models loaded) and resident memory. Every run's prompt is
 * distinct (a run number in front), so the sentence encoder embeds each one.
 * Run: `npx tsx bench/routing-default.ts [--runs N]`; results go to bench/results/routing-default.json.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { loadConfigFile } from '../src/config/load.js';
import { estimateConversationTokens } from '../src/signals/context.js';
import { createSignalPipeline } from '../src/signals/pipeline.js';
import { findSignalPluginByConfigKey } from '../src/signals/registry.js';
import type { RequestView, SignalId, SignalPipeline } from '../src/signals/signal.js';
import { routeChatCompletion } from '../src/router/route-request.js';
import { parse } from 'yaml';

const CONFIG = fileURLToPath(new URL('../examples/default.yaml', import.meta.url));
const EVAL = fileURLToPath(new URL('../eval/routing.jsonl', import.meta.url));
const RESULTS = fileURLToPath(new URL('./results/routing-default.json', import.meta.url));
const runsFlag = process.argv.indexOf('--runs');
const RUNS = runsFlag === -1 ? 2000 : Number(process.argv[runsFlag + 1]);
const WARMUP = 200;
const TARGET_TOKENS = [20, 200, 500];

const loaded = await loadConfigFile(CONFIG, { env: {} });
const startupMs = performance.now();
if (loaded.config === undefined) throw new Error(`${CONFIG} does not load`);
const config = loaded.config;

/** Real prompts from the eval file, joined until the router's own token estimate reaches the target. */
function promptOf(tokens: number): string {
  const texts = readFileSync(EVAL, 'utf8').split('\n').filter(Boolean).map((line) => (JSON.parse(line) as { text: string }).text);
  let prompt = '';
  for (const text of texts) {
    const next = prompt === '' ? text : `${prompt}\n${text}`;
    if (Math.ceil(Buffer.byteLength(next) / 4) > tokens) continue;
    prompt = next;
  }
  return prompt;
}

function view(text: string): RequestView {
  return { lastUserText: text, messages: [{ role: 'user', text }], headers: new Map([['content-type', 'application/json']]) };
}

/**
 * Runs `fn` with a fresh run number each time: callers make every request's text distinct, so the
 * sentence encoder's memo of recent texts never answers for it and each run pays for one embedding.
 */
async function percentiles(fn: (run: number) => Promise<unknown>): Promise<{ p50: number; p99: number }> {
  let run = 0;
  for (let i = 0; i < WARMUP; i++) await fn(run++);
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const start = performance.now();
    await fn(run++);
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  const at = (q: number): number => Math.round(times[Math.min(times.length - 1, Math.ceil(q * times.length) - 1)]! * 1000) / 1000;
  return { p50: at(0.5), p99: at(0.99) };
}

/** One pipeline per signal type of the config, each with every rule of that type referenced. */
async function perTypePipelines(): Promise<Map<string, SignalPipeline>> {
  const document = parse(readFileSync(CONFIG, 'utf8')) as { signals: Record<string, { name: string }[]> };
  const pipelines = new Map<string, SignalPipeline>();
  for (const [configKey, rules] of Object.entries(document.signals)) {
    const plugin = findSignalPluginByConfigKey(configKey)!;
    const referenced = new Set<SignalId>(rules.flatMap((rule) => plugin.emittedNames(rule).map((name): SignalId => `${plugin.type}:${name}`)));
    pipelines.set(plugin.type, await createSignalPipeline({ [configKey]: rules }, referenced, { configDir: '.' }));
  }
  return pipelines;
}

const pipelines = await perTypePipelines();
const abort = new AbortController().signal;
const rows: Record<string, unknown>[] = [];
for (const target of TARGET_TOKENS) {
  const prompt = promptOf(target);
  // The run number goes first: the encoder reads the first 128 tokens, so it must see the change.
  const variant = (run: number): string => `(${run}) ${prompt}`;
  const row: Record<string, unknown> = { tokens: estimateConversationTokens(view(prompt)) };
  for (const [type, pipeline] of pipelines) row[type] = await percentiles((run) => pipeline.evaluate(view(variant(run)), abort));
  row['all signals'] = await percentiles((run) => config.signals.evaluate(view(variant(run)), abort));
  const headers = view(prompt).headers;
  const body = (run: number): Buffer => Buffer.from(JSON.stringify({ model: 'auto', messages: [{ role: 'user', content: variant(run) }] }));
  row['whole request'] = await percentiles((run) => routeChatCompletion(config, body(run), headers, abort));
  rows.push(row);
}

const rssMb = Math.round(process.memoryUsage().rss / 2 ** 20);
for (const row of rows) {
  console.log(`~${String(row['tokens'])} tokens`);
  for (const [name, value] of Object.entries(row)) {
    if (name !== 'tokens') console.log(`  ${name.padEnd(14)} p50 ${(value as { p50: number }).p50} ms  p99 ${(value as { p99: number }).p99} ms`);
  }
}
console.log(`start-up (process start to config compiled with models loaded): ${Math.round(startupMs)} ms`);
console.log(`rss: ${rssMb} MB`);
writeFileSync(
  RESULTS,
  `${JSON.stringify({ config: 'examples/default.yaml', node: process.version, cpus: cpus().length, cpu: cpus()[0]?.model, runs: RUNS, startup_ms: Math.round(startupMs), rss_mb: rssMb, latency_ms: rows }, null, 2)}\n`,
);
for (const pipeline of pipelines.values()) await pipeline.close?.();
await config.close();
