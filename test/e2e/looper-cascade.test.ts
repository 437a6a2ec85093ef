import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import OpenAI from 'openai';
import { loadConfigFile } from '../../src/config/load.js';
import { formatDiagnostic } from '../../src/config/diagnostic.js';
import { startSwitchyard, type SwitchyardStack } from '../../src/serve-stack/switchyard-stack.js';
import { startStubUpstream, type StubUpstream } from '../../src/upstream-stub/stub-upstream.js';
import { captureLog, type CapturedLog } from '../helpers/log-capture.js';
import { cli } from '../helpers/run-cli.js';

/**
 * The confidence cascade end to end: openai SDK → built-in gateway → ext_proc sidecar, which calls
 * the cheap stub models itself, and three stub upstreams whose token logprobs depend on the prompt.
 * "small" is sure of prompts saying "easy", "medium" of prompts saying "easy" or "medium";
 * "large" is the last resort, reached by routing (so it streams).
 */
function cascadeConfig(ports: Ports): string {
  return `version: v0.1
listeners: [{name: "http", address: "127.0.0.1", port: 8080}]
providers:
  models:
    - {name: "large", param_size: "400b", endpoints: [{name: "l", endpoint: "127.0.0.1:${ports.large}"}]}
    - {name: "small", param_size: "7b", endpoints: [{name: "s", endpoint: "127.0.0.1:${ports.small}"}]}
    - {name: "medium", param_size: "8x7b", endpoints: [{name: "m", endpoint: "127.0.0.1:${ports.medium}"}]}
    - {name: "gone", param_size: "1b", endpoints: [{name: "g", endpoint: "127.0.0.1:${ports.dead}"}]}
    - {name: "slow", param_size: "1b", endpoints: [{name: "w", endpoint: "127.0.0.1:${ports.slow}"}]}
    - {name: "broken", param_size: "1b", endpoints: [{name: "x", endpoint: "127.0.0.1:${ports.broken}"}]}
signals:
  keywords:
    - {name: "cascade", operator: "OR", keywords: ["question"]}
    - {name: "margin", operator: "OR", keywords: ["margin"]}
    - {name: "skip", operator: "OR", keywords: ["skipper"]}
    - {name: "fail", operator: "OR", keywords: ["failer"]}
    - {name: "cancel", operator: "OR", keywords: ["canceller"]}
    - {name: "broken", operator: "OR", keywords: ["breaker"]}
decisions:
  - name: "cascade"
    priority: 10
    rules: {type: "keyword", name: "cascade"}
    modelRefs: [{model: "large", use_reasoning: false}, {model: "small", use_reasoning: false}, {model: "medium", use_reasoning: false}]
    algorithm: {type: "confidence", confidence: {confidence_method: "avg_logprob", threshold: -1.0}}
  - name: "margin"
    priority: 20
    rules: {type: "keyword", name: "margin"}
    modelRefs: [{model: "small", use_reasoning: false}, {model: "large", use_reasoning: false}]
    algorithm: {type: "confidence", confidence: {confidence_method: "margin", threshold: 0.5}}
  - name: "skip"
    priority: 30
    rules: {type: "keyword", name: "skip"}
    modelRefs: [{model: "gone", use_reasoning: false}, {model: "small", use_reasoning: false}, {model: "large", use_reasoning: false}]
    algorithm: {type: "confidence", on_error: "skip"}
  - name: "fail"
    priority: 40
    rules: {type: "keyword", name: "fail"}
    modelRefs: [{model: "gone", use_reasoning: false}, {model: "large", use_reasoning: false}]
    algorithm: {type: "confidence", confidence: {on_error: "fail"}}
  - name: "cancel"
    priority: 50
    rules: {type: "keyword", name: "cancel"}
    modelRefs: [{model: "slow", use_reasoning: false}, {model: "large", use_reasoning: false}]
    algorithm: {type: "confidence"}
  - name: "broken"
    priority: 60
    rules: {type: "keyword", name: "broken"}
    modelRefs: [{model: "broken", use_reasoning: false}, {model: "small", use_reasoning: false}]
    algorithm: {type: "confidence"}
looper:
  timeout_seconds: 5
  retry_count: 1
  headers: {x-looper-team: "routing"}
`;
}

interface Ports {
  readonly small: number;
  readonly medium: number;
  readonly large: number;
  readonly dead: number;
  readonly slow: number;
  readonly broken: number;
}

const SURE = -0.2;
const UNSURE = -2.5;

interface Running {
  readonly stack: SwitchyardStack;
  readonly client: OpenAI;
  readonly log: CapturedLog;
  readonly admin: string;
  readonly configPath: string;
  close(): Promise<void>;
}

async function startStack(ports: Ports): Promise<Running> {
  const dir = await mkdtemp(path.join(tmpdir(), 'switchyard-looper-'));
  const file = path.join(dir, 'config.yaml');
  await writeFile(file, cascadeConfig(ports));
  const { config, diagnostics } = await loadConfigFile(file, { env: {} });
  if (config === undefined) throw new Error(diagnostics.map(formatDiagnostic).join('\n'));
  const log = captureLog('info');
  const stack = await startSwitchyard({ config, logger: log.logger, grpcPort: 0, listenPort: 0, adminPort: 0 });
  return {
    stack,
    log,
    client: new OpenAI({ baseURL: `http://127.0.0.1:${stack.ports.listeners[0]}/v1`, apiKey: 'test', maxRetries: 0 }),
    admin: `http://127.0.0.1:${stack.ports.admin}`,
    configPath: file,
    async close() {
      await stack.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

const user = (content: string) => [{ role: 'user' as const, content }];

function bodies(stub: StubUpstream, from: number): Record<string, unknown>[] {
  return stub.requests.slice(from).map((request) => JSON.parse(request.body) as Record<string, unknown>);
}

describe('confidence cascade through the gateway (openai SDK, stub upstreams)', () => {
  let small: StubUpstream;
  let medium: StubUpstream;
  let large: StubUpstream;
  let slow: StubUpstream;
  let broken: Server;
  let brokenCalls = 0;
  let running: Running;
  const counts = () => ({ small: small.requests.length, medium: medium.requests.length, large: large.requests.length });

  beforeAll(async () => {
    small = await startStubUpstream({ port: 0, model: 'small', tokenLogprob: (text) => (text.includes('easy') ? SURE : UNSURE) });
    medium = await startStubUpstream({ port: 0, model: 'medium', tokenLogprob: (text) => (/easy|medium/.test(text) ? SURE : UNSURE) });
    large = await startStubUpstream({ port: 0, model: 'large', chunkIntervalMs: 20 });
    // A port nobody listens on: a stub started and closed.
    const closed = await startStubUpstream({ port: 0, model: 'gone' });
    await closed.close();
    slow = await startStubUpstream({ port: 0, model: 'slow', latencyMs: 4000 });
    // An upstream that fails with a 500 whose message no header may carry.
    broken = createServer((_request, response) => {
      brokenCalls += 1;
      response.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { message: 'model crashed:\r\nstack trace – line 2' } }));
    });
    await new Promise<void>((resolve) => broken.listen(0, '127.0.0.1', resolve));
    running = await startStack({ small: small.port, medium: medium.port, large: large.port, dead: closed.port, slow: slow.port, broken: (broken.address() as AddressInfo).port });
  }, 30_000);
  afterAll(async () => {
    await running?.close();
    await Promise.all([small?.close(), medium?.close(), large?.close(), slow?.close(), new Promise((resolve) => broken?.close(resolve))]);
  });

  it('answers from the smallest model when it is sure, without calling the others', async () => {
    const before = counts();
    const { data, response } = await running.client.chat.completions.create({ model: 'auto', messages: user('an easy question') }).withResponse();
    expect(data.choices[0]!.message.content).toContain('[stub small] model=small');
    expect(data.choices[0]!.logprobs ?? null).toBeNull();
    expect(data.model).toBe('small');
    expect(Object.fromEntries([...response.headers].filter(([name]) => name.startsWith('x-vsr-looper') || name.startsWith('x-vsr-selection') || name === 'x-vsr-selected-model'))).toEqual({
      'x-vsr-looper-algorithm': 'confidence',
      'x-vsr-looper-model': 'small',
      'x-vsr-looper-models-used': 'small',
      'x-vsr-looper-iterations': '1',
      'x-vsr-looper-confidence': '-0.2000',
      'x-vsr-selected-model': 'small',
      'x-vsr-selection-algorithm': 'confidence',
      'x-vsr-selection-reason': 'small avg_logprob -0.2000 >= -1',
    });
    expect(counts()).toEqual({ ...before, small: before.small + 1 });
    const call = small.requests.at(-1)!;
    expect(JSON.parse(call.body)).toMatchObject({ model: 'small', stream: false, logprobs: true });
    expect(call.headers['x-vsr-looper-request']).toBe('true');
    expect(call.headers['x-vsr-looper-decision']).toBe('cascade');
    expect(call.headers['x-vsr-looper-iteration']).toBe('1');
    expect(call.headers['x-looper-team']).toBe('routing');
    expect(call.headers['authorization']).toBe('Bearer test');
  });

  it('escalates an unsure answer to the next size up, and keeps logprobs when the client asked for them', async () => {
    const before = counts();
    const { data, response } = await running.client.chat.completions.create({ model: 'auto', messages: user('a medium question'), logprobs: true }).withResponse();
    expect(data.choices[0]!.message.content).toContain('[stub medium]');
    expect(data.choices[0]!.logprobs?.content?.[0]?.logprob).toBe(SURE);
    expect(response.headers.get('x-vsr-looper-models-used')).toBe('small,medium');
    expect(response.headers.get('x-vsr-looper-iterations')).toBe('2');
    expect(response.headers.get('x-vsr-selection-reason')).toBe('small avg_logprob -2.5000 < -1; medium avg_logprob -0.2000 >= -1');
    expect(counts()).toEqual({ small: before.small + 1, medium: before.medium + 1, large: before.large });
  });

  it('routes to the largest model when every cheaper answer is unsure, and its answer streams from the upstream', async () => {
    const before = counts();
    const { data: stream, response } = await running.client.chat.completions
      .create({ model: 'auto', messages: user('a hard question'), stream: true, stream_options: { include_usage: true } })
      .withResponse();
    const arrivals: number[] = [];
    const chunks = [];
    for await (const chunk of stream) {
      arrivals.push(performance.now());
      chunks.push(chunk);
    }
    expect(chunks.map((chunk) => chunk.choices[0]?.delta.content ?? '').join('')).toContain('[stub large] model=large');
    expect(chunks.at(-1)?.usage?.total_tokens).toBeGreaterThan(0);
    // The large stub pauses 20 ms between chunks: they arrive apart, not in one buffered reply.
    expect(arrivals.at(-1)! - arrivals[0]!).toBeGreaterThanOrEqual(40);
    expect(response.headers.get('content-type')).toContain('text/event-stream');
    expect(response.headers.get('x-vsr-looper-model')).toBe('large');
    expect(response.headers.get('x-vsr-looper-models-used')).toBe('small,medium,large');
    expect(response.headers.get('x-vsr-looper-iterations')).toBe('3');
    expect(response.headers.get('x-vsr-selection-reason')).toBe('escalated to large: small avg_logprob -2.5000 < -1; medium avg_logprob -2.5000 < -1');
    expect(counts()).toEqual({ small: before.small + 1, medium: before.medium + 1, large: before.large + 1 });
    const routed = bodies(large, before.large)[0]!;
    expect(routed).toMatchObject({ model: 'large', stream: true, stream_options: { include_usage: true } });
    expect(routed).not.toHaveProperty('logprobs');
    expect(large.requests.at(-1)!.headers['x-vsr-looper-request']).toBeUndefined();
  });

  it('streams a kept cheap answer as SSE chunks ending in [DONE], with usage when asked', async () => {
    const buffered = await running.client.chat.completions.create({ model: 'auto', messages: user('another easy question') });
    const stream = await running.client.chat.completions.create({ model: 'auto', messages: user('another easy question'), stream: true, stream_options: { include_usage: true } });
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks.map((chunk) => chunk.choices[0]?.delta.content ?? '').join('')).toBe(buffered.choices[0]!.message.content);
    expect(chunks.length).toBeGreaterThan(3);
    expect(chunks.at(-2)?.choices[0]?.finish_reason).toBe('stop');
    expect(chunks.at(-1)?.usage).toEqual(buffered.usage);
    expect(chunks.every((chunk) => chunk.object === 'chat.completion.chunk' && chunk.model === 'small')).toBe(true);
  });

  it('asks for the top two tokens under the margin method', async () => {
    const before = counts();
    const { data, response } = await running.client.chat.completions.create({ model: 'auto', messages: user('an easy margin') }).withResponse();
    expect(data.choices[0]!.message.content).toContain('[stub small]');
    expect(bodies(small, before.small)[0]).toMatchObject({ logprobs: true, top_logprobs: 2 });
    // p = e^-0.2 = 0.819 against a runner-up of (1 - p) / 2 = 0.091: margin 0.728.
    expect(response.headers.get('x-vsr-looper-confidence')).toBe('0.7281');
  });

  it('escalates past a model that cannot be reached under on_error skip, counting and logging the failure', async () => {
    const { data, response } = await running.client.chat.completions.create({ model: 'auto', messages: user('easy skipper') }).withResponse();
    expect(data.choices[0]!.message.content).toContain('[stub small]');
    expect(response.headers.get('x-vsr-looper-models-used')).toBe('gone,small');
    expect(response.headers.get('x-vsr-selection-reason')).toMatch(/^gone failed \(cannot reach gone: .+\); small avg_logprob -0\.2000 >= -1$/);
    const metrics = await (await fetch(`${running.admin}/metrics`)).text();
    expect(metrics).toMatch(/switchyard_looper_calls_total\{decision="skip",model="gone",outcome="failed"\} 1/);
    expect(metrics).toMatch(/switchyard_looper_calls_total\{decision="cascade",model="small",outcome="answered"\} [1-9]/);
    expect(metrics).toMatch(/switchyard_looper_calls_total\{decision="cascade",model="medium",outcome="escalated"\} [1-9]/);
    expect(metrics).toMatch(/switchyard_model_selections_total\{decision="skip",algorithm="confidence",model="small"\} 1/);
    expect(running.log.lines.some((line) => line['msg'] === 'looper call failed; the cascade went on' && line['model'] === 'gone')).toBe(true);
    const access = running.log.lines.filter((line) => (line['selection'] as { algorithm?: string } | undefined)?.algorithm === 'confidence');
    expect(access.length).toBeGreaterThan(0);
  });

  it('retries a 5xx retry_count times, then escalates with the upstream message made header-safe', async () => {
    const { data, response } = await running.client.chat.completions.create({ model: 'auto', messages: user('easy breaker') }).withResponse();
    expect(data.choices[0]!.message.content).toContain('[stub small]');
    expect(brokenCalls).toBe(2);
    expect(response.headers.get('x-vsr-selection-reason')).toBe('escalated to small: broken failed (HTTP 500: model crashed:??stack trace ? line 2)');
  });

  it('answers 502 with an OpenAI error body when a call fails under on_error fail', async () => {
    const before = counts();
    const failure = await running.client.chat.completions.create({ model: 'auto', messages: user('failer') }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(OpenAI.APIError);
    expect((failure as InstanceType<typeof OpenAI.APIError>).status).toBe(502);
    expect((failure as InstanceType<typeof OpenAI.APIError>).message).toMatch(/confidence cascade: gone failed: cannot reach gone/);
    expect(counts()).toEqual(before);
  });

  it('cancels the cheap model call when the client goes away mid-cascade, and never calls the next model', async () => {
    const before = counts();
    const controller = new AbortController();
    const request = running.client.chat.completions.create({ model: 'auto', messages: user('canceller') }, { signal: controller.signal }).catch((error: unknown) => error);
    while (slow.requests.length === 0) await new Promise((resolve) => setTimeout(resolve, 10));
    controller.abort();
    expect(await request).toBeInstanceOf(OpenAI.APIUserAbortError);
    const deadline = Date.now() + 3000;
    while (!slow.requests[0]!.aborted && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(slow.requests[0]!.aborted).toBe(true);
    expect(counts()).toEqual(before);
  });

  it('route --explain prints the cascade plan and calls no model', async () => {
    const before = counts();
    const run = await cli('route', '--config', running.configPath, '--prompt', 'an easy question', '--explain');
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout.split('\n')[0]!).selection).toEqual({ algorithm: 'confidence', model: 'small', reason: 'cascade small -> medium -> large, escalating when avg_logprob < -1' });
    expect(run.stdout).toContain('model selection (confidence over large, small, medium): small, cascade small -> medium -> large');
    expect(counts()).toEqual(before);
  });

  it('leaves a request that names its model alone', async () => {
    const before = counts();
    const { data, response } = await running.client.chat.completions.create({ model: 'medium', messages: user('a hard question') }).withResponse();
    expect(data.choices[0]!.message.content).toContain('[stub medium]');
    expect(response.headers.get('x-vsr-looper-model')).toBeNull();
    expect(counts()).toEqual({ ...before, medium: before.medium + 1 });
  });
});
