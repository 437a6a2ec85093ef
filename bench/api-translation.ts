/**
 * What API translation costs (issue 20's targets):
 *
 * 1. Added routing time, in process: the same conversation routed as a chat request to an
 *    OpenAI-compatible model (the baseline, no translation) and, for each translated pair, the
 *    request side (parse, read as chat, route, write the backend's format) plus the answer side
 *    (a JSON answer and a 40-event stream translated for the client). p50 and p99 of each, and the
 *    p50 added over the baseline. Target: < 0.2 ms at p50.
 * 2. Time to first byte through the whole stack (gateway → sidecar → stub), streaming: a chat
 *    client on a chat backend (untranslated: the body bypasses the sidecar) against a chat client
 *    on a Claude backend and a Claude client on a chat backend (translated chunk by chunk in
 *    STREAMED mode). Target: translated within 1 ms of untranslated at p50.
 *
 *   npx tsx bench/api-translation.ts [--iterations N] [--requests N]
 *
 * Prints tables and writes bench/results/api-translation.json.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { Pool } from 'undici';
import { routeApiRequest, type ApiRoutingContext } from '../src/apis/api-routing.js';
import type { ClientApi } from '../src/apis/api-format.js';
import { answerTranslator, type AnswerTranslation } from '../src/apis/response-translator.js';
import { responseShellOf } from '../src/apis/responses-response.js';
import { MemoryResponsesStore } from '../src/apis/responses-store.js';
import { routeChatCompletion } from '../src/router/route-request.js';
import { CHAT_MODEL, CLAUDE_MODEL, startApisStack } from '../test/helpers/apis-stack.js';

function argument(name: string, fallback: number): number {
  const index = process.argv.indexOf(name);
  return index === -1 ? fallback : Number(process.argv[index + 1]);
}

const ITERATIONS = argument('--iterations', 5000);
const REQUESTS = argument('--requests', 400);

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function timed(iterations: number, run: () => Promise<unknown> | unknown): Promise<{ p50: number; p99: number }> {
  for (let i = 0; i < Math.min(500, iterations); i++) await run();
  const samples: number[] = [];
  for (let i = 0; i < iterations; i++) {
    const t0 = performance.now();
    await run();
    samples.push(performance.now() - t0);
  }
  samples.sort((a, b) => a - b);
  return { p50: percentile(samples, 50), p99: percentile(samples, 99) };
}

const TURNS = [
  { role: 'user', content: 'I am planning a trip to Lisbon in May. What should I pack?' },
  { role: 'assistant', content: 'Light layers, a rain jacket and comfortable walking shoes for the hills.' },
  { role: 'user', content: 'Write a short poem about the trams there, and check the weather.' },
];
const TOOL = { type: 'function', function: { name: 'get_weather', description: 'Weather in a city', parameters: { type: 'object', properties: { city: { type: 'string' } } } } };
const BODIES: Record<ClientApi, (model: string) => Buffer> = {
  chat: (model) => Buffer.from(JSON.stringify({ model, messages: [{ role: 'system', content: 'You are a travel guide.' }, ...TURNS], tools: [TOOL], max_tokens: 300 })),
  messages: (model) =>
    Buffer.from(JSON.stringify({ model, system: 'You are a travel guide.', messages: TURNS, max_tokens: 300, tools: [{ name: 'get_weather', description: 'Weather in a city', input_schema: TOOL.function.parameters }] })),
  responses: (model) => Buffer.from(JSON.stringify({ model, instructions: 'You are a travel guide.', input: TURNS, max_output_tokens: 300, tools: [{ type: 'function', name: 'get_weather', parameters: TOOL.function.parameters }] })),
};

function chatStream(events: number): Buffer {
  const chunk = (delta: object, finish: string | null = null): string =>
    `data: ${JSON.stringify({ id: 'chatcmpl-1', object: 'chat.completion.chunk', created: 1, model: CHAT_MODEL, choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
  const body = [chunk({ role: 'assistant', content: '' }), ...Array.from({ length: events }, (_, i) => chunk({ content: `word${i} ` })), chunk({}, 'stop')];
  body.push(`data: ${JSON.stringify({ id: 'chatcmpl-1', object: 'chat.completion.chunk', created: 1, model: CHAT_MODEL, choices: [], usage: { prompt_tokens: 40, completion_tokens: events, total_tokens: 40 + events } })}\n\n`, 'data: [DONE]\n\n');
  return Buffer.from(body.join(''));
}

function anthropicStream(events: number): Buffer {
  const event = (type: string, data: object): string => `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;
  return Buffer.from(
    [
      event('message_start', { message: { id: 'msg_1', type: 'message', role: 'assistant', model: CLAUDE_MODEL, content: [], stop_reason: null, stop_sequence: null, usage: { input_tokens: 40, output_tokens: 1 } } }),
      event('content_block_start', { index: 0, content_block: { type: 'text', text: '' } }),
      ...Array.from({ length: events }, (_, i) => event('content_block_delta', { index: 0, delta: { type: 'text_delta', text: `word${i} ` } })),
      event('content_block_stop', { index: 0 }),
      event('message_delta', { delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: events } }),
      event('message_stop', {}),
    ].join(''),
  );
}

const CHAT_JSON = Buffer.from(JSON.stringify({ id: 'chatcmpl-1', object: 'chat.completion', created: 1, model: CHAT_MODEL, choices: [{ index: 0, message: { role: 'assistant', content: 'Trams climb the hills of Lisbon. '.repeat(20) }, finish_reason: 'stop' }], usage: { prompt_tokens: 40, completion_tokens: 120, total_tokens: 160 } }));
const ANTHROPIC_JSON = Buffer.from(JSON.stringify({ id: 'msg_1', type: 'message', role: 'assistant', model: CLAUDE_MODEL, content: [{ type: 'text', text: 'Trams climb the hills of Lisbon. '.repeat(20) }], stop_reason: 'end_turn', stop_sequence: null, usage: { input_tokens: 40, output_tokens: 120 } }));

function translateAnswer(translation: AnswerTranslation, contentType: string, body: Buffer): void {
  const translator = answerTranslator(translation, 200, contentType, 1 << 24);
  translator.push(body);
  translator.end();
}

async function inProcess(): Promise<Record<string, unknown>[]> {
  const stack = await startApisStack();
  const config = stack.switchyard.store.current();
  const context: ApiRoutingContext = { config, route: routeChatCompletion, abort: new AbortController().signal, store: new MemoryResponsesStore({ ttlSeconds: 60, maxResponses: 100 }), onStoreError: () => undefined };
  const headers = new Map<string, string>();
  const baseline = await timed(ITERATIONS, () => routeApiRequest('chat', context, BODIES.chat(CHAT_MODEL), headers));
  const pairs: { name: string; api: ClientApi; model: string; answer: () => void }[] = [
    { name: 'chat → Claude', api: 'chat', model: CLAUDE_MODEL, answer: () => translateAnswer({ from: 'anthropic', to: 'chat', includeUsage: true }, 'application/json', ANTHROPIC_JSON) },
    { name: 'Claude client → chat', api: 'messages', model: CHAT_MODEL, answer: () => translateAnswer({ from: 'chat', to: 'messages', includeUsage: true }, 'application/json', CHAT_JSON) },
    { name: 'Responses → chat', api: 'responses', model: CHAT_MODEL, answer: () => translateAnswer({ from: 'chat', to: 'responses', includeUsage: true, shell: responseShellOf({}) }, 'application/json', CHAT_JSON) },
    { name: 'chat → Claude (40-event stream)', api: 'chat', model: CLAUDE_MODEL, answer: () => translateAnswer({ from: 'anthropic', to: 'chat', includeUsage: true }, 'text/event-stream', anthropicStream(40)) },
    { name: 'Responses → chat (40-event stream)', api: 'responses', model: CHAT_MODEL, answer: () => translateAnswer({ from: 'chat', to: 'responses', includeUsage: true, shell: responseShellOf({}) }, 'text/event-stream', chatStream(40)) },
  ];
  const rows: Record<string, unknown>[] = [{ pair: 'chat → chat (baseline, untranslated)', request_p50_ms: baseline.p50, request_p99_ms: baseline.p99, answer_p50_ms: 0, added_p50_ms: 0 }];
  for (const pair of pairs) {
    const request = await timed(ITERATIONS, () => routeApiRequest(pair.api, context, BODIES[pair.api](pair.model), headers));
    const answer = await timed(ITERATIONS, pair.answer);
    rows.push({ pair: pair.name, request_p50_ms: request.p50, request_p99_ms: request.p99, answer_p50_ms: answer.p50, answer_p99_ms: answer.p99, added_p50_ms: request.p50 - baseline.p50 + answer.p50 });
  }
  await stack.close();
  return rows;
}

/** Time to the first body byte of a streamed answer, sequential requests through the whole stack. */
async function firstByte(): Promise<Record<string, unknown>[]> {
  const stack = await startApisStack();
  const pool = new Pool(stack.gatewayUrl, { connections: 1 });
  // Each translated case is compared with the untranslated case on the same backend (same stub timing).
  const chatDirect = 'chat client → chat backend (untranslated)';
  const claudeDirect = 'Claude client → Claude backend (untranslated)';
  const cases = [
    { name: chatDirect, baseline: chatDirect, path: '/v1/chat/completions', body: JSON.stringify({ model: CHAT_MODEL, stream: true, messages: [{ role: 'user', content: 'hello' }] }) },
    { name: claudeDirect, baseline: claudeDirect, path: '/v1/messages', body: JSON.stringify({ model: CLAUDE_MODEL, stream: true, max_tokens: 50, messages: [{ role: 'user', content: 'hello' }] }) },
    { name: 'chat client → Claude backend (translated)', baseline: claudeDirect, path: '/v1/chat/completions', body: JSON.stringify({ model: CLAUDE_MODEL, stream: true, messages: [{ role: 'user', content: 'hello' }] }) },
    { name: 'Claude client → chat backend (translated)', baseline: chatDirect, path: '/v1/messages', body: JSON.stringify({ model: CHAT_MODEL, stream: true, max_tokens: 50, messages: [{ role: 'user', content: 'hello' }] }) },
    { name: 'Responses client → chat backend (translated)', baseline: chatDirect, path: '/v1/responses', body: JSON.stringify({ model: CHAT_MODEL, stream: true, store: false, input: 'hello' }) },
  ];
  const samples = new Map<string, number[]>(cases.map((entry) => [entry.name, []]));
  const once = async (entry: (typeof cases)[number]): Promise<number> => {
    const t0 = performance.now();
    const response = await pool.request({ method: 'POST', path: entry.path, headers: { 'content-type': 'application/json', 'x-api-key': 'k' }, body: entry.body });
    let first = 0;
    for await (const chunk of response.body) {
      if (first === 0 && (chunk as Buffer).length > 0) first = performance.now() - t0;
    }
    if (response.statusCode !== 200) throw new Error(`${entry.name}: status ${response.statusCode}`);
    return first;
  };
  for (let i = 0; i < 50; i++) for (const entry of cases) await once(entry);
  // Interleaved rounds, so a load spike on the shared machine hits every case alike.
  for (let i = 0; i < REQUESTS; i++) for (const entry of cases) samples.get(entry.name)!.push(await once(entry));
  await pool.close();
  await stack.close();
  const p50 = (name: string): number => percentile([...samples.get(name)!].sort((a, b) => a - b), 50);
  return cases.map((entry) => {
    const sorted = [...samples.get(entry.name)!].sort((a, b) => a - b);
    return { case: entry.name, ttfb_p50_ms: percentile(sorted, 50), ttfb_p99_ms: percentile(sorted, 99), over_untranslated_p50_ms: percentile(sorted, 50) - p50(entry.baseline) };
  });
}

const round = (rows: Record<string, unknown>[]): Record<string, unknown>[] =>
  rows.map((row) => Object.fromEntries(Object.entries(row).map(([key, value]) => [key, typeof value === 'number' ? Number(value.toFixed(4)) : value])));

const translation = round(await inProcess());
console.table(translation);
const ttfb = round(await firstByte());
console.table(ttfb);
const outDir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'results');
await mkdir(outDir, { recursive: true });
const machine = { node: process.version, cpus: os.cpus().length, cpu: os.cpus()[0]?.model ?? 'unknown', load_average_1m: Number(os.loadavg()[0]!.toFixed(2)), iterations: ITERATIONS, requests_per_case: REQUESTS };
await writeFile(path.join(outDir, 'api-translation.json'), `${JSON.stringify({ machine, translation, ttfb }, null, 2)}\n`);
