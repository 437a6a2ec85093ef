import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import OpenAI from 'openai';
import { loadConfigFile } from '../../src/config/load.js';
import { formatDiagnostic } from '../../src/config/diagnostic.js';
import { startSwitchyard, type SwitchyardStack } from '../../src/serve-stack/switchyard-stack.js';
import { captureLog, type CapturedLog } from '../helpers/log-capture.js';
import { startStubUpstream, type StubUpstream } from '../../src/upstream-stub/stub-upstream.js';

/** Two priced stub models; "fast" answers at once, "slow" after 400 ms. Decisions by keyword. */
function selectionConfig(fast: number, slow: number, extra = ''): string {
  return `version: v0.1
listeners: [{name: "http", address: "127.0.0.1", port: 8080}]
providers:
  models:
    - name: "fast"
      endpoints: [{name: "a", endpoint: "127.0.0.1:${fast}"}]
      pricing: {prompt_per_1m: 1, completion_per_1m: 1}
    - name: "slow"
      endpoints: [{name: "b", endpoint: "127.0.0.1:${slow}"}]
      pricing: {prompt_per_1m: 10, completion_per_1m: 10}
signals:
  keywords:
    - {name: "rate", operator: "OR", keywords: ["rate"]}
    - {name: "bandit", operator: "OR", keywords: ["bandit"]}
    - {name: "speed", operator: "OR", keywords: ["speed"]}
    - {name: "solo", operator: "OR", keywords: ["solo"]}
decisions:
  - name: "rated"
    rules: {type: "keyword", name: "rate"}
    modelRefs: [{model: "fast", use_reasoning: false}, {model: "slow", use_reasoning: false}]
    algorithm: {type: "elo", elo: {k_factor: 64, min_comparisons: 1}}
  - name: "bandit"
    rules: {type: "keyword", name: "bandit"}
    modelRefs: [{model: "fast", use_reasoning: false}, {model: "slow", use_reasoning: false}]
    algorithm: {type: "thompson", rl_driven: {cost_awareness: false, use_router_r1_rewards: false}}
  - name: "speed"
    rules: {type: "keyword", name: "speed"}
    modelRefs: [{model: "slow", use_reasoning: false}, {model: "fast", use_reasoning: false}]
    algorithm: {type: "latency_aware", latency_aware: {ttft_percentile: 90}}
  - name: "solo"
    rules: {type: "keyword", name: "solo"}
    modelRefs: [{model: "slow", use_reasoning: false}]
${extra}`;
}

interface Running {
  readonly stack: SwitchyardStack;
  readonly log: CapturedLog;
  readonly client: OpenAI;
  readonly admin: string;
  close(): Promise<void>;
}

async function startStack(stubs: readonly StubUpstream[], extra = '', adminAddress = '127.0.0.1'): Promise<Running> {
  const dir = await mkdtemp(path.join(tmpdir(), 'switchyard-selection-'));
  const file = path.join(dir, 'config.yaml');
  await writeFile(file, selectionConfig(stubs[0]!.port, stubs[1]!.port, extra));
  const { config, diagnostics } = await loadConfigFile(file, { env: {} });
  if (config === undefined) throw new Error(diagnostics.map(formatDiagnostic).join('\n'));
  const log = captureLog('info');
  const stack = await startSwitchyard({ config, logger: log.logger, grpcPort: 0, listenPort: 0, adminPort: 0, adminAddress });
  return {
    stack,
    log,
    client: new OpenAI({ baseURL: `http://127.0.0.1:${stack.ports.listeners[0]}/v1`, apiKey: 'test', maxRetries: 0 }),
    admin: `http://127.0.0.1:${stack.ports.admin}`,
    async close() {
      await stack.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

async function ask(client: OpenAI, content: string): Promise<Headers> {
  const { response } = await client.chat.completions.create({ model: 'auto', messages: [{ role: 'user', content }] }).withResponse();
  return response.headers;
}

async function post(url: string, body: unknown, token?: string): Promise<{ status: number; json: { error?: { code: string; type: string; param: string | null } } & Record<string, unknown> }> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token === undefined ? {} : { authorization: `Bearer ${token}` }) },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: response.status, json: (await response.json()) as never };
}

describe('model selection through the running stack', () => {
  let fast: StubUpstream;
  let slow: StubUpstream;
  let running: Running;

  beforeAll(async () => {
    fast = await startStubUpstream({ port: 0, model: 'fast' });
    slow = await startStubUpstream({ port: 0, model: 'slow', latencyMs: 400 });
    running = await startStack([fast, slow]);
  }, 30_000);
  afterAll(async () => {
    await running?.close();
    await fast?.close();
    await slow?.close();
  });

  it('elo learns from POST /api/v1/feedback and the choice shows in headers and ratings', async () => {
    const before = await ask(running.client, 'please rate this');
    expect(before.get('x-vsr-selection-algorithm')).toBe('elo');
    expect(before.get('x-vsr-selected-model')).toBe('fast');
    for (let i = 0; i < 3; i++) {
      const reply = await post(`${running.admin}/api/v1/feedback`, { decision_name: 'rated', winner_model: 'slow', loser_model: 'fast', category: 'rated' });
      expect(reply.status).toBe(200);
    }
    const after = await ask(running.client, 'please rate this');
    expect(after.get('x-vsr-selected-model')).toBe('slow');
    expect(after.get('x-vsr-selection-reason')).toMatch(/^elo 1[5-9]\d\d/);
    // The request's log line is written when its ext_proc stream ends, just after the response.
    const logged = (): Record<string, unknown>[] => running.log.lines.filter((line) => line['msg'] === 'request' && line['decision'] === 'rated');
    for (let wait = 0; wait < 40 && logged().length < 2; wait++) await new Promise((resolve) => setTimeout(resolve, 50));
    const requestLines = logged();
    expect(requestLines.at(-1)?.['selection']).toEqual({ algorithm: 'elo', reason: after.get('x-vsr-selection-reason') });
    const ratings = (await (await fetch(`${running.admin}/api/v1/ratings`)).json()) as { global: { model: string; rating: number; games: number }[]; categories: Record<string, unknown> };
    expect(ratings.global.map((entry) => entry.model)).toEqual(['slow', 'fast']);
    expect(ratings.global[0]!.games).toBe(3);
    expect(Object.keys(ratings.categories)).toEqual(['rated']);
    const metrics = await (await fetch(`${running.admin}/metrics`)).text();
    expect(metrics).toMatch(/switchyard_model_selections_total\{decision="rated",algorithm="elo",model="slow"\} 1/);
    expect(metrics).toMatch(/switchyard_selection_events_total\{event="feedback_accepted"\} 3/);
  });

  it('refuses bad feedback with a 4xx OpenAI-style error and writes nothing', async () => {
    const url = `${running.admin}/api/v1/feedback`;
    const stateBefore = await (await fetch(`${running.admin}/api/v1/rl-state`)).text();
    const ratingsBefore = await (await fetch(`${running.admin}/api/v1/ratings`)).text();
    const cases: [unknown, number, string][] = [
      ['{"decision_name": ', 400, 'invalid_json'],
      [[1, 2], 400, 'invalid_value'],
      [{ decision_name: 'rated', winner_model: 'slow', loser_model: 'fast', extra: 1 }, 400, 'unknown_parameter'],
      [{ winner_model: 'slow', loser_model: 'fast' }, 400, 'missing_required_parameter'],
      [{ decision_name: 'nope', winner_model: 'slow', loser_model: 'fast' }, 404, 'decision_not_found'],
      [{ decision_name: 'rated', winner_model: 'gpt-9', loser_model: 'fast' }, 404, 'model_not_found'],
      [{ decision_name: 'solo', model: 'fast', reward: 1 }, 422, 'model_not_in_decision'],
      [{ decision_name: 'rated', winner_model: 'slow', loser_model: 'slow' }, 400, 'invalid_value'],
      [{ decision_name: 'bandit', model: 'fast', reward: 2 }, 400, 'invalid_value'],
      [{ decision_name: 'bandit', model: 'fast' }, 400, 'missing_required_parameter'],
      [{ decision_name: 'bandit', model: 'fast', feedback_type: 'meh' }, 400, 'invalid_value'],
    ];
    for (const [body, status, code] of cases) {
      const reply = await post(url, body);
      expect([JSON.stringify(body), reply.status, reply.json.error?.code, reply.json.error?.type]).toEqual([JSON.stringify(body), status, code, 'invalid_request_error']);
    }
    const wrongMethod = await fetch(url);
    expect(wrongMethod.status).toBe(405);
    expect(await (await fetch(`${running.admin}/api/v1/rl-state`)).text()).toBe(stateBefore);
    expect(await (await fetch(`${running.admin}/api/v1/ratings`)).text()).toBe(ratingsBefore);
    const metrics = await (await fetch(`${running.admin}/metrics`)).text();
    expect(metrics).toMatch(/switchyard_selection_events_total\{event="feedback_rejected"\} 11/);
  });

  it('rl_driven (written as Athena\'s CLI "thompson") learns a posterior per model and per user', async () => {
    for (let i = 0; i < 20; i++) {
      await post(`${running.admin}/api/v1/feedback`, { decision_name: 'bandit', model: 'slow', reward: 1, user_id: 'ana' });
      await post(`${running.admin}/api/v1/feedback`, { decision_name: 'bandit', model: 'fast', feedback_type: 'wrong_answer' });
    }
    const state = (await (await fetch(`${running.admin}/api/v1/rl-state?decision=bandit`)).json()) as { decisions: Record<string, { algorithm: string; models: Record<string, { alpha: number; beta: number }>; users: Record<string, unknown> }> };
    expect(state.decisions.bandit!.algorithm).toBe('rl_driven');
    expect(state.decisions.bandit!.models).toEqual({ fast: { alpha: 1, beta: 21, mean: 1 / 22 }, slow: { alpha: 21, beta: 1, mean: 21 / 22 } });
    expect(Object.keys(state.decisions.bandit!.users)).toEqual(['ana']);
    const chosen = new Set<string>();
    for (let i = 0; i < 5; i++) chosen.add((await ask(running.client, 'one-armed bandit')).get('x-vsr-selected-model')!);
    expect([...chosen]).toEqual(['slow']);
  });

  it('latency_aware keeps to the model with the lower TTFT the response path measured', async () => {
    // Earlier tests sent traffic to both models, so both have TTFT observations; "slow" is listed first.
    const headers: Headers[] = [];
    for (let i = 0; i < 4; i++) headers.push(await ask(running.client, 'need for speed'));
    expect(headers.map((h) => h.get('x-vsr-selected-model'))).toEqual(['fast', 'fast', 'fast', 'fast']);
    expect(headers[0]!.get('x-vsr-selection-reason')).toMatch(/^lowest latency \(ttft p90 \d+\.\dms\)$/);
    const latency = running.stack.store.current().selection!.latency;
    expect(latency.counts('slow').ttft).toBeGreaterThan(0);
    expect(latency.percentile('ttft', 'slow', 90)!).toBeGreaterThan(latency.percentile('ttft', 'fast', 90)!);
  });
});

describe('feedback API token', () => {
  let fast: StubUpstream;
  let slow: StubUpstream;
  beforeAll(async () => {
    fast = await startStubUpstream({ port: 0, model: 'fast' });
    slow = await startStubUpstream({ port: 0, model: 'slow' });
  });
  afterAll(async () => {
    await fast?.close();
    await slow?.close();
  });
  const feedback = { decision_name: 'rated', winner_model: 'slow', loser_model: 'fast' };

  it('is required by default when the admin server listens beyond loopback', async () => {
    const running = await startStack([fast, slow], '', '0.0.0.0');
    try {
      const reply = await post(`${running.admin}/api/v1/feedback`, feedback);
      expect([reply.status, reply.json.error?.code]).toEqual([403, 'token_not_configured']);
    } finally {
      await running.close();
    }
  }, 30_000);

  it('once configured, only the right bearer token writes', async () => {
    const running = await startStack([fast, slow], 'model_selection:\n  api: {token: "0123456789abcdef0123"}\n');
    try {
      expect((await post(`${running.admin}/api/v1/feedback`, feedback)).status).toBe(401);
      expect((await post(`${running.admin}/api/v1/feedback`, feedback, 'wrong-token-wrong-token')).status).toBe(401);
      expect((await post(`${running.admin}/api/v1/feedback`, feedback, '0123456789abcdef0123')).status).toBe(200);
    } finally {
      await running.close();
    }
  }, 30_000);
});
