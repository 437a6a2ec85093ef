/**
 * Routing latency of examples/default.yaml with every signal it defines active (keyword, context,
 * embedding, domain, complexity, difficulty, jailbreak): p50/p99 per signal type and for the whole
 * request (body parse, signals, decision, plug-ins, body rewrite) for prompts of about 20, 200 and
 * 500 tokens, a 50k-token code review and a 200k-token conversation (both take the long-context
 * route, whose PII redaction scans every byte), and the longest the event loop was held meanwhile;
 * then a 10 MB prompt; start-up time (process start to config compiled, models loaded) and
 * resident memory. Every run's prompt is distinct (a run number in front), so the sentence
 * encoder embeds each one.
 * Run: `npx tsx bench/routing-default.ts [--runs N]`; results go to bench/results/routing-default.json.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
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
/** Long inputs run fewer times: each is a whole long-context request. */
const LONG_RUNS = Math.max(10, Math.round(RUNS / 20));
const SOURCE_DIR = fileURLToPath(new URL('../src/', import.meta.url));

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

/** The project's own TypeScript sources, concatenated: realistic code for review prompts. */
function sourceText(bytes: number): string {
  const files = readdirSync(SOURCE_DIR, { recursive: true, encoding: 'utf8' }).filter((file) => file.endsWith('.ts')).sort();
  let text = '';
  for (let i = 0; text.length < bytes; i++) text += `// ${files[i % files.length]}\n${readFileSync(SOURCE_DIR + files[i % files.length], 'utf8')}\n`;
  return text.slice(0, bytes);
}

interface Conversation {
  readonly label: string;
  readonly messages: readonly { role: string; content: string }[];
}

/** One user message: review this code (about 4 bytes per token). */
function codeReview(tokens: number): Conversation {
  return { label: `code review ~${tokens / 1000}k tokens`, messages: [{ role: 'user', content: `Please review this code for bugs and style problems.\n\n${sourceText(tokens * 4)}` }] };
}

/** A long working session: turns of pasted code and answers, then a short question. */
function longConversation(tokens: number): Conversation {
  const turns = 100;
  const code = sourceText(tokens * 4);
  const size = Math.floor(code.length / turns);
  const messages: { role: string; content: string }[] = [{ role: 'system', content: 'You are a careful code reviewer.' }];
  for (let i = 0; i < turns; i++) messages.push({ role: i % 2 === 0 ? 'user' : 'assistant', content: code.slice(i * size, (i + 1) * size) });
  messages.push({ role: 'user', content: 'Which of these functions would you refactor first, and why?' });
  return { label: `conversation ~${tokens / 1000}k tokens`, messages };
}

function view(text: string): RequestView {
  return { lastUserText: text, messages: [{ role: 'user', text }], headers: new Map([['content-type', 'application/json']]) };
}

function conversationView(conversation: Conversation): RequestView {
  const messages = conversation.messages.map((m) => ({ role: m.role, text: m.content }));
  return { lastUserText: messages.findLast((m) => m.role === 'user')!.text, messages, headers: new Map([['content-type', 'application/json']]) };
}

/**
 * Runs `fn` with a fresh run number each time: callers make every request's text distinct, so neither
 * the sentence encoder's memo of recent texts nor the signal memo answers for it and each run pays
 * for one embedding and every model.
 */
/** Run numbers are never reused, across signal types and sizes: no memo of recent texts may answer a run. */
let run = 0;

async function percentiles(fn: (run: number) => Promise<unknown>, runs = RUNS, warmup = WARMUP): Promise<{ p50: number; p99: number }> {
  for (let i = 0; i < warmup; i++) await fn(run++);
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
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

/** The longest single stretch the event loop was blocked while `fn` ran, in milliseconds. */
async function longestLoopBlock(fn: () => Promise<unknown>): Promise<number> {
  const histogram = monitorEventLoopDelay({ resolution: 1 });
  histogram.enable();
  await fn();
  histogram.disable();
  return Math.round(histogram.max / 1e4) / 100;
}

/** The conversation with the run number in front of its last message, so every run is a new text. */
function numbered(conversation: Conversation, run: number): Conversation {
  const messages = conversation.messages.map((m, i) => (i === conversation.messages.length - 1 ? { ...m, content: `(${run}) ${m.content}` } : m));
  return { label: conversation.label, messages };
}

for (const conversation of [codeReview(50_000), longConversation(200_000)]) {
  const request = conversationView(conversation);
  const requestOf = (run: number): RequestView => conversationView(numbered(conversation, run));
  const bodyOf = (run: number): Buffer => Buffer.from(JSON.stringify({ model: 'auto', messages: numbered(conversation, run).messages }));
  const row: Record<string, unknown> = { tokens: estimateConversationTokens(request), prompt: conversation.label };
  for (const [type, pipeline] of pipelines) row[type] = await percentiles((run) => pipeline.evaluate(requestOf(run), abort), LONG_RUNS, 3);
  row['all signals'] = await percentiles((run) => config.signals.evaluate(requestOf(run), abort), LONG_RUNS, 3);
  row['whole request'] = await percentiles((run) => routeChatCompletion(config, bodyOf(run), request.headers, abort), LONG_RUNS, 3);
  const result = await routeChatCompletion(config, bodyOf(run++), request.headers, abort);
  row['decision'] = result.kind === 'immediate' ? `${result.status}` : result.kind === 'routed' ? result.trace.decision : result.kind;
  row['longest loop block ms'] = await longestLoopBlock(() => routeChatCompletion(config, bodyOf(run++), request.headers, abort));
  rows.push(row);
}

/** A 10 MB prompt under the 16 MiB body limit: answered (routed or refused) in bounded time. */
const hugeText = sourceText(10_000_000);
const hugeOf = (run: number): Buffer => Buffer.from(JSON.stringify({ model: 'auto', messages: [{ role: 'user', content: `(${run}) ${hugeText}` }] }));
const huge = hugeOf(run++);
const hugeTimes: number[] = [];
let hugeStatus = '';
let hugeBlock = 0;
for (let i = 0; i < 5; i++) {
  const start = performance.now();
  hugeBlock = Math.max(
    hugeBlock,
    await longestLoopBlock(async () => {
      const result = await routeChatCompletion(config, i === 0 ? huge : hugeOf(run++), new Map(), abort);
      hugeStatus = result.kind === 'immediate' ? String(result.status) : result.kind;
    }),
  );
  hugeTimes.push(performance.now() - start);
}
const tenMegabytes = { bytes: huge.length, answer: hugeStatus, median_ms: Math.round(hugeTimes.sort((a, b) => a - b)[2]!), longest_loop_block_ms: hugeBlock };

const rssMb = Math.round(process.memoryUsage().rss / 2 ** 20);
for (const row of rows) {
  console.log(`~${String(row['tokens'])} tokens${row['prompt'] === undefined ? '' : ` (${String(row['prompt'])})`}`);
  for (const [name, value] of Object.entries(row)) {
    if (typeof value === 'object' && value !== null) console.log(`  ${name.padEnd(14)} p50 ${(value as { p50: number }).p50} ms  p99 ${(value as { p99: number }).p99} ms`);
    else if (name !== 'tokens' && name !== 'prompt') console.log(`  ${name}: ${String(value)}`);
  }
}
console.log(`10 MB prompt (${tenMegabytes.bytes} bytes): ${tenMegabytes.answer} in ${tenMegabytes.median_ms} ms (median of 5), longest loop block ${tenMegabytes.longest_loop_block_ms} ms`);
console.log(`start-up (process start to config compiled with models loaded): ${Math.round(startupMs)} ms`);
console.log(`rss: ${rssMb} MB`);
writeFileSync(
  RESULTS,
  `${JSON.stringify({ config: 'examples/default.yaml', node: process.version, cpus: cpus().length, cpu: cpus()[0]?.model, runs: RUNS, startup_ms: Math.round(startupMs), rss_mb: rssMb, latency_ms: rows, ten_megabyte_prompt: tenMegabytes }, null, 2)}\n`,
);
for (const pipeline of pipelines.values()) await pipeline.close?.();
await config.close();
