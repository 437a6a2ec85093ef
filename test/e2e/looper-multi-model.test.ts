import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import OpenAI from 'openai';
import { loadConfigFile } from '../../src/config/load.js';
import { formatDiagnostic } from '../../src/config/diagnostic.js';
import { startSwitchyard, type SwitchyardStack } from '../../src/serve-stack/switchyard-stack.js';
import { startStubUpstream, type StubUpstream } from '../../src/upstream-stub/stub-upstream.js';
import { captureLog, type CapturedLog } from '../helpers/log-capture.js';
import { cli } from '../helpers/run-cli.js';

/**
 * Athena's ratings (`concurrent`), `sequential` and `remom` loopers end to end: openai SDK →
 * built-in gateway → ext_proc sidecar, which calls the stub models itself. "alpha" and "beta" are
 * stub upstreams; "qa" and "qb" reach the same two stubs through a proxy that counts the calls in
 * flight, so `max_concurrent` can be seen at work; "gone" is a port nobody listens on; "slow"
 * answers after 4 s; "streamer" pauses between SSE chunks.
 */
function config(ports: Ports): string {
  const model = (name: string, port: number, extra = '') => `    - {name: "${name}", ${extra}endpoints: [{name: "${name}", endpoint: "127.0.0.1:${port}"}]}`;
  const decision = (name: string, priority: number, refs: string[], algorithm: string) =>
    `  - name: "${name}"\n    priority: ${priority}\n    rules: {type: "keyword", name: "${name}"}\n    modelRefs: [${refs.map((ref) => `{model: "${ref}", use_reasoning: false}`).join(', ')}]\n    algorithm: ${algorithm}`;
  const names = ['arena', 'queue', 'arenaskip', 'arenafail', 'chain', 'chainfail', 'mix', 'mixstream', 'mixcancel', 'herd', 'keepcache', 'routecache'];
  return `version: v0.1
listeners: [{name: "http", address: "127.0.0.1", port: 8080}]
providers:
  models:
${[
  model('alpha', ports.alpha),
  model('beta', ports.beta),
  model('qa', ports.countedAlpha),
  model('qb', ports.countedBeta),
  model('gone', ports.dead),
  model('slow', ports.slow),
  model('streamer', ports.streamer),
  model('unsure', ports.unsure),
].join('\n')}
signals:
  keywords:
${names.map((name) => `    - {name: "${name}", operator: "OR", keywords: ["${name}"]}`).join('\n')}
decisions:
${[
  decision('arena', 10, ['alpha', 'beta'], '{type: "ratings"}'),
  decision('queue', 20, ['qa', 'qb'], '{type: "concurrent", concurrent: {max_concurrent: 1}}'),
  decision('arenaskip', 30, ['gone', 'beta'], '{type: "ratings", ratings: {on_error: "skip"}}'),
  decision('arenafail', 40, ['gone', 'beta'], '{type: "ratings", on_error: "fail"}'),
  decision('chain', 50, ['alpha', 'beta'], '{type: "sequential"}'),
  decision('chainfail', 60, ['gone', 'beta'], '{type: "sequential", sequential: {on_error: "fail"}}'),
  decision(
    'mix',
    70,
    ['alpha', 'beta'],
    `{type: "remom", remom: {breadth_schedule: [3], model_distribution: "round_robin", temperature: 0.7, synthesis_template: "Q={{.OriginalContent}}{{range $i, $r := .ReferenceResponses}} | {{add $i 1}}:{{$r.Model}}{{end}}"}}`,
  ),
  decision('mixstream', 80, ['streamer', 'beta'], '{type: "remom", remom: {breadth_schedule: [2, 2], model_distribution: "equal", include_intermediate_responses: false, compaction_strategy: "last_n_tokens", compaction_tokens: 5}}'),
  decision('mixcancel', 90, ['slow', 'alpha'], '{type: "remom", remom: {model_distribution: "first_only", breadth_schedule: [2]}}'),
  decision('herd', 100, ['qa', 'qb'], '{type: "ratings"}'),
  decision('keepcache', 110, ['alpha', 'beta'], '{type: "confidence"}'),
  decision('routecache', 120, ['unsure', 'beta'], '{type: "confidence"}'),
].join('\n')}
looper:
  timeout_seconds: 8
semantic_cache: {enabled: true, similarity_threshold: 0.99}
`;
}

interface Ports {
  readonly alpha: number;
  readonly beta: number;
  readonly countedAlpha: number;
  readonly countedBeta: number;
  readonly dead: number;
  readonly slow: number;
  readonly streamer: number;
  readonly unsure: number;
}

interface Running {
  readonly stack: SwitchyardStack;
  readonly client: OpenAI;
  readonly log: CapturedLog;
  readonly admin: string;
  readonly configPath: string;
  close(): Promise<void>;
}

async function startStack(ports: Ports): Promise<Running> {
  const dir = await mkdtemp(path.join(tmpdir(), 'switchyard-loopers-'));
  const file = path.join(dir, 'config.yaml');
  await writeFile(file, config(ports));
  const { config: runtime, diagnostics } = await loadConfigFile(file, { env: {} });
  if (runtime === undefined) throw new Error(diagnostics.map(formatDiagnostic).join('\n'));
  const log = captureLog('info');
  const stack = await startSwitchyard({ config: runtime, logger: log.logger, grpcPort: 0, listenPort: 0, adminPort: 0 });
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

/** A proxy in front of a stub that holds each call 150 ms and counts how many are in flight at once. */
async function countingProxy(target: number, counter: { inFlight: number; most: number }): Promise<Server> {
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      counter.inFlight += 1;
      counter.most = Math.max(counter.most, counter.inFlight);
      void (async () => {
        await delay(150);
        const answer = await fetch(`http://127.0.0.1:${target}${request.url ?? '/'}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: Buffer.concat(chunks) });
        const body = await answer.text();
        counter.inFlight -= 1;
        response.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'application/json' }).end(body);
      })();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

const user = (content: string) => [{ role: 'user' as const, content }];
const portOf = (server: Server) => (server.address() as AddressInfo).port;

function bodies(stub: StubUpstream, from: number): Record<string, unknown>[] {
  return stub.requests.slice(from).map((request) => JSON.parse(request.body) as Record<string, unknown>);
}

function looperHeaders(response: Response): Record<string, string> {
  return Object.fromEntries([...response.headers].filter(([name]) => name.startsWith('x-vsr-looper') || name === 'x-vsr-selection-algorithm' || name === 'x-vsr-selected-model'));
}

describe('ratings, sequential and remom loopers through the gateway (openai SDK, stub upstreams)', () => {
  let alpha: StubUpstream;
  let beta: StubUpstream;
  let slow: StubUpstream;
  let streamer: StubUpstream;
  let unsure: StubUpstream;
  const counter = { inFlight: 0, most: 0 };
  let proxies: Server[];
  let running: Running;
  const counts = () => ({ alpha: alpha.requests.length, beta: beta.requests.length, streamer: streamer.requests.length, slow: slow.requests.length });

  beforeAll(async () => {
    alpha = await startStubUpstream({ port: 0, model: 'alpha' });
    beta = await startStubUpstream({ port: 0, model: 'beta' });
    slow = await startStubUpstream({ port: 0, model: 'slow', latencyMs: 4000 });
    streamer = await startStubUpstream({ port: 0, model: 'streamer', chunkIntervalMs: 20 });
    unsure = await startStubUpstream({ port: 0, model: 'unsure', tokenLogprob: () => -3 });
    const closed = await startStubUpstream({ port: 0, model: 'gone' });
    await closed.close();
    proxies = [await countingProxy(alpha.port, counter), await countingProxy(beta.port, counter)];
    running = await startStack({ alpha: alpha.port, beta: beta.port, countedAlpha: portOf(proxies[0]!), countedBeta: portOf(proxies[1]!), dead: closed.port, slow: slow.port, streamer: streamer.port, unsure: unsure.port });
  }, 30_000);
  afterAll(async () => {
    await running?.close();
    await Promise.all([alpha?.close(), beta?.close(), slow?.close(), streamer?.close(), unsure?.close(), ...(proxies ?? []).map((proxy) => new Promise((resolve) => proxy.close(resolve)))]);
  });

  it('ratings: every model answers the same request at once; one choice per model, usage summed', async () => {
    const before = counts();
    const { data, response } = await running.client.chat.completions.create({ model: 'auto', messages: user('arena: name a colour') }).withResponse();
    expect(data.choices.map((choice) => [choice.index, (choice as unknown as { model: string }).model, choice.message.content?.split('\n')[0]])).toEqual([
      [0, 'alpha', '[stub alpha] model=alpha'],
      [1, 'beta', '[stub beta] model=beta'],
    ]);
    expect(data.id).toMatch(/^chatcmpl-looper-/);
    expect(data.model).toBe('alpha,beta');
    expect(looperHeaders(response)).toEqual({
      'x-vsr-looper-algorithm': 'ratings',
      'x-vsr-looper-model': 'beta',
      'x-vsr-looper-models-used': 'alpha,beta',
      'x-vsr-looper-iterations': '2',
      'x-vsr-selected-model': 'beta',
      'x-vsr-selection-algorithm': 'ratings',
    });
    expect(response.headers.get('x-vsr-selection-reason')).toBe('2 of 2 answered');
    expect(counts()).toEqual({ ...before, alpha: before.alpha + 1, beta: before.beta + 1 });
    const [toAlpha] = bodies(alpha, before.alpha);
    expect(toAlpha).toMatchObject({ model: 'alpha', stream: false });
    expect(alpha.requests.at(-1)!.headers['x-vsr-looper-iteration']).toBe('1');
    expect(beta.requests.at(-1)!.headers['x-vsr-looper-iteration']).toBe('2');
    const single = JSON.parse(alpha.requests.at(-1)!.body) as { messages: unknown };
    const answerWords = (text: string) => text.split(/\s+/).filter(Boolean).length;
    const alphaUsage = answerWords(data.choices[0]!.message.content!);
    expect(data.usage?.completion_tokens).toBe(alphaUsage + answerWords(data.choices[1]!.message.content!));
    expect(single.messages).toEqual(user('arena: name a colour'));
  });

  it('ratings: a streaming client gets every model\'s answer as its own choice index, ending in [DONE]', async () => {
    const buffered = await running.client.chat.completions.create({ model: 'auto', messages: user('arena: stream it') });
    const stream = await running.client.chat.completions.create({ model: 'auto', messages: user('arena: stream it'), stream: true, stream_options: { include_usage: true } });
    const text: Record<number, string> = {};
    const chunks = [];
    for await (const chunk of stream) {
      chunks.push(chunk);
      for (const choice of chunk.choices) text[choice.index] = (text[choice.index] ?? '') + (choice.delta.content ?? '');
    }
    expect(text).toEqual({ 0: buffered.choices[0]!.message.content, 1: buffered.choices[1]!.message.content });
    expect(chunks.at(-1)?.usage?.total_tokens).toBe(buffered.usage?.total_tokens);
  });

  it('concurrent (the CLI\'s name) honours max_concurrent: 1, one call in flight at a time', async () => {
    counter.most = 0;
    const { response } = await running.client.chat.completions.create({ model: 'auto', messages: user('queue me') }).withResponse();
    expect(response.headers.get('x-vsr-looper-algorithm')).toBe('ratings');
    expect(response.headers.get('x-vsr-looper-models-used')).toBe('qa,qb');
    expect(counter.most).toBe(1);
    // The same two upstreams without a limit: both calls overlap.
    counter.most = 0;
    await running.client.chat.completions.create({ model: 'auto', messages: user('herd') });
    expect(counter.most).toBe(2);
  });

  it('ratings: a model that cannot be reached is left out under on_error skip, and fails the request under fail', async () => {
    const { data, response } = await running.client.chat.completions.create({ model: 'auto', messages: user('arenaskip') }).withResponse();
    expect(data.choices.map((choice) => (choice as unknown as { model: string }).model)).toEqual(['beta']);
    expect(response.headers.get('x-vsr-looper-models-used')).toBe('gone,beta');
    expect(response.headers.get('x-vsr-selection-reason')).toMatch(/^1 of 2 answered \(gone failed: cannot reach gone: .+\)$/);
    const failure = await running.client.chat.completions.create({ model: 'auto', messages: user('arenafail') }).catch((error: unknown) => error);
    expect((failure as InstanceType<typeof OpenAI.APIError>).status).toBe(502);
    expect((failure as InstanceType<typeof OpenAI.APIError>).message).toMatch(/ratings looper: gone failed: cannot reach gone/);
    const metrics = await (await fetch(`${running.admin}/metrics`)).text();
    expect(metrics).toMatch(/switchyard_looper_calls_total\{decision="arenaskip",model="gone",outcome="failed"\} 1/);
    expect(metrics).toMatch(/switchyard_looper_calls_total\{decision="arena",model="alpha",outcome="answered"\} [1-9]/);
  });

  it('sequential: models answer one after another and the reply joins their answers under labels', async () => {
    const before = counts();
    const { data, response } = await running.client.chat.completions.create({ model: 'auto', messages: user('a chain question') }).withResponse();
    const [first, second] = data.choices[0]!.message.content!.split('\n\n---\n\n');
    expect(first).toMatch(/^\*\*\[alpha\]:\*\*\n\[stub alpha\] model=alpha\n/);
    expect(second).toMatch(/^\*\*\[beta\]:\*\*\n\[stub beta\] model=beta\n/);
    expect(data.model).toBe('beta');
    expect(looperHeaders(response)).toMatchObject({ 'x-vsr-looper-algorithm': 'sequential', 'x-vsr-looper-model': 'beta', 'x-vsr-looper-models-used': 'alpha,beta', 'x-vsr-looper-iterations': '2' });
    expect(response.headers.get('x-vsr-selection-reason')).toBe('joined alpha, beta');
    expect(counts()).toEqual({ ...before, alpha: before.alpha + 1, beta: before.beta + 1 });
  });

  it('sequential: on_error fail answers 502 at the first failure and calls no later model', async () => {
    const before = counts();
    const failure = await running.client.chat.completions.create({ model: 'auto', messages: user('chainfail') }).catch((error: unknown) => error);
    expect((failure as InstanceType<typeof OpenAI.APIError>).status).toBe(502);
    expect((failure as InstanceType<typeof OpenAI.APIError>).message).toMatch(/sequential looper: gone failed/);
    expect(counts()).toEqual(before);
  });

  it('remom: a round spread round-robin, then a synthesis written by the template; every round in reasoning_mom_responses', async () => {
    const before = counts();
    const { data, response } = await running.client.chat.completions
      .create({ model: 'auto', messages: user('mix: what is 2+2?'), tools: [{ type: 'function', function: { name: 'lookup', parameters: { type: 'object' } } }] })
      .withResponse();
    // Round 1: alpha, beta, alpha (round robin); the synthesis goes to alpha, the first of the distribution.
    expect(counts()).toEqual({ ...before, alpha: before.alpha + 3, beta: before.beta + 1 });
    const round = [...bodies(alpha, before.alpha).slice(0, 2), ...bodies(beta, before.beta)];
    for (const body of round) {
      expect(body).toMatchObject({ stream: false, temperature: 0.7, messages: user('mix: what is 2+2?') });
      expect(body).not.toHaveProperty('tools');
    }
    const synthesis = bodies(alpha, before.alpha)[2]!;
    expect((synthesis.messages as { content: string }[]).at(-1)!.content).toMatch(/^Q=mix: what is 2\+2\? \| 1:(alpha|beta) \| 2:(alpha|beta) \| 3:(alpha|beta)$/);
    expect(data.choices[0]!.message.content).toContain('user: Q=mix: what is 2+2?');
    const rounds = (data as unknown as { reasoning_mom_responses: { round: number; breadth: number; responses: { model: string }[] }[] }).reasoning_mom_responses;
    expect(rounds.map((r) => [r.round, r.breadth, r.responses.map((answer) => answer.model).sort()])).toEqual([
      [1, 3, ['alpha', 'alpha', 'beta']],
      [2, 1, ['alpha']],
    ]);
    expect(looperHeaders(response)).toMatchObject({ 'x-vsr-looper-algorithm': 'remom', 'x-vsr-looper-model': 'alpha', 'x-vsr-looper-models-used': 'alpha,beta', 'x-vsr-looper-iterations': '4' });
    expect(response.headers.get('x-vsr-selection-reason')).toBe('round 1: 3 of 3 kept; synthesis by alpha');
  });

  it('remom without intermediate responses routes the synthesis, so it streams from its upstream; answers are compacted', async () => {
    const before = counts();
    const stream = await running.client.chat.completions.create({ model: 'auto', messages: user('mixstream: explain tides'), stream: true });
    const arrivals: number[] = [];
    let text = '';
    for await (const chunk of stream) {
      arrivals.push(performance.now());
      text += chunk.choices[0]?.delta.content ?? '';
    }
    // Two rounds of two (streamer, beta each, equal split), then the synthesis by streamer, routed.
    expect(counts()).toEqual({ ...before, streamer: before.streamer + 3, beta: before.beta + 2 });
    const synthesis = bodies(streamer, before.streamer).at(-1)!;
    expect(synthesis).toMatchObject({ model: 'streamer', stream: true });
    expect(streamer.requests.at(-1)!.headers['x-vsr-looper-request']).toBeUndefined();
    const prompt = (synthesis.messages as { content: string }[]).at(-1)!.content;
    expect(prompt).toContain('Problem:\nmixstream: explain tides');
    // last_n_tokens with 5 tokens keeps the last 20 characters of each answer.
    expect(prompt).toMatch(/Answer 1 \((streamer|beta)\):\n.{20}\n/);
    expect(text).toContain('[stub streamer] model=streamer');
    expect(arrivals.at(-1)! - arrivals[0]!).toBeGreaterThanOrEqual(40);
  });

  it('remom: a client that goes away cancels the round in flight, and no synthesis is called', async () => {
    const before = counts();
    const controller = new AbortController();
    const request = running.client.chat.completions.create({ model: 'auto', messages: user('mixcancel') }, { signal: controller.signal }).catch((error: unknown) => error);
    while (slow.requests.length < before.slow + 2) await delay(10);
    controller.abort();
    expect(await request).toBeInstanceOf(OpenAI.APIUserAbortError);
    const deadline = Date.now() + 3000;
    while (slow.requests.slice(before.slow).some((call) => !call.aborted) && Date.now() < deadline) await delay(20);
    expect(slow.requests.slice(before.slow).every((call) => call.aborted)).toBe(true);
    await delay(100);
    expect(counts()).toEqual({ ...before, slow: before.slow + 2 });
  });

  it('the semantic cache answers a looper decision before any model is called, for a kept and for a routed answer', async () => {
    const ask = async (prompt: string) => {
      const { data, response } = await running.client.chat.completions.create({ model: 'auto', messages: user(prompt) }).withResponse();
      return { content: data.choices[0]!.message.content, hit: response.headers.get('x-vsr-cache-hit'), model: response.headers.get('x-vsr-looper-model') };
    };
    // The cheap model is sure: its answer is the reply, and is cached under the looper.
    const before = { ...counts(), unsure: unsure.requests.length };
    const kept = await ask('keepcache: what is the capital of France?');
    expect(kept).toMatchObject({ hit: 'false', model: 'alpha' });
    expect(await ask('keepcache: what is the capital of France?')).toEqual({ content: kept.content, hit: 'true', model: null });
    // The cheap model is unsure: the request is routed to the last model, whose answer is cached as it passes.
    const routed = await ask('routecache: what is the capital of Peru?');
    expect(routed).toMatchObject({ hit: 'false', model: 'beta' });
    expect(routed.content).toContain('[stub beta]');
    expect(await ask('routecache: what is the capital of Peru?')).toEqual({ content: routed.content, hit: 'true', model: null });
    // Each answer cost its calls once; the hits called no model.
    expect({ ...counts(), unsure: unsure.requests.length }).toEqual({ ...before, alpha: before.alpha + 1, beta: before.beta + 1, unsure: before.unsure + 1 });
  });

  it('route --explain prints each looper\'s plan and calls no model', async () => {
    const before = counts();
    const remom = await cli('route', '--config', running.configPath, '--prompt', 'mix it', '--explain');
    expect(remom.code).toBe(0);
    expect(JSON.parse(remom.stdout.split('\n')[0]!).selection).toEqual({ algorithm: 'remom', model: 'alpha', reason: 'remom rounds [3] then synthesis by alpha, round_robin over alpha, beta' });
    const arena = await cli('route', '--config', running.configPath, '--prompt', 'queue', '--explain');
    expect(JSON.parse(arena.stdout.split('\n')[0]!).selection).toEqual({ algorithm: 'ratings', model: 'qa', reason: 'arena of qa, qb, 1 at a time' });
    expect(counts()).toEqual(before);
  });
});
