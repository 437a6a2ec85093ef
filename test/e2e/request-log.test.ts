import { readFile, writeFile } from 'node:fs/promises';
import OpenAI from 'openai';
import { parseDocument } from 'yaml';
import { startCacheStubs, startReplica, type CacheReplica } from '../fixtures/cache/cache-stack.js';
import { REPO_ROOT } from '../helpers/config-fixture.js';
import { CLOUD_ACCESS_KEY, CLOUD_MODEL, LOCAL_MODEL, type SeedStubs } from '../helpers/e2e-stack.js';
import { captureLog, type CapturedLog } from '../helpers/log-capture.js';
import { startSingleStubStack, type SingleStubStack } from '../helpers/single-stub-stack.js';

const USER = (content: string) => [{ role: 'user' as const, content }];

/** The `info` request lines so far (message "request"), oldest first. */
function requestLines(log: CapturedLog): Record<string, unknown>[] {
  return log.lines.filter((line) => line['msg'] === 'request');
}

/** The log line of one request id; the sidecar writes it when the stream ends, so it may lag the response a little. */
async function lineFor(log: CapturedLog, requestId: string): Promise<Record<string, unknown>> {
  for (let attempt = 0; attempt < 100; attempt += 1) {
    const line = requestLines(log).find((candidate) => candidate['requestId'] === requestId);
    if (line !== undefined) return line;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`no request line for ${requestId}; lines: ${JSON.stringify(requestLines(log))}`);
}

describe('one structured info line per request (seed config with the cache on, through the gateway)', () => {
  let stubs: SeedStubs;
  let replica: CacheReplica;
  const log = captureLog('info');

  beforeAll(async () => {
    stubs = await startCacheStubs();
    replica = await startReplica(stubs, log.logger);
  });
  afterAll(async () => {
    await replica.close();
    await stubs.close();
  });

  const ask = (content: string, requestId: string) =>
    replica.client.chat.completions.create({ model: 'auto', messages: USER(content) }, { headers: { 'x-request-id': requestId } });

  it('reports decision, model, status, routing and upstream time of a routed request, without its prompt', async () => {
    await ask('What is the capital of France?', 'log-routed-1');
    const line = await lineFor(log, 'log-routed-1');
    expect(line).toEqual({
      level: 30,
      time: expect.any(Number),
      service: 'switchyard',
      msg: 'request',
      requestId: 'log-routed-1',
      method: 'POST',
      path: '/v1/chat/completions',
      decision: 'default-route',
      model: LOCAL_MODEL,
      reasoning: false,
      // Athena's effort label: the seed config's default_reasoning_effort, recorded whether reasoning is on or off.
      reasoningEffort: 'medium',
      confidence: 1,
      blocked: false,
      cached: false,
      status: 200,
      routingMs: expect.any(Number),
      upstreamMs: expect.any(Number),
      selection: { algorithm: 'static', reason: 'first modelRef' },
      signals: {},
      latencyMs: expect.any(Number),
      traceId: null,
      responsePath: 'upstream',
      reason: null,
      promptTokens: expect.any(Number),
      completionTokens: expect.any(Number),
      tokensEstimated: false,
      currency: 'USD',
      cost: 0,
      baselineModel: CLOUD_MODEL,
      baselineCost: expect.any(Number),
      saved: expect.any(Number),
      ttftMs: expect.any(Number),
      tpotMs: expect.any(Number),
    });
    expect(line['upstreamMs']).toBeGreaterThan(0);
  });

  it('says cached (and no upstream time) for a cache hit', async () => {
    await ask('What is the capital of France?', 'log-cached-1');
    expect(await lineFor(log, 'log-cached-1')).toMatchObject({ cached: true, status: 200, upstreamMs: null, model: LOCAL_MODEL, responsePath: 'cache', cost: 0, promptTokens: 0 });
    expect((await lineFor(log, 'log-cached-1'))['saved']).toBeGreaterThan(0);
  });

  it('never writes the access key or the prompt text', async () => {
    await ask('Prove by induction that the secret sum formula holds.', 'log-cloud-1');
    expect(await lineFor(log, 'log-cloud-1')).toMatchObject({ model: CLOUD_MODEL, decision: 'reasoning-route', reasoning: true, status: 200 });
    const text = JSON.stringify(log.lines);
    expect(text).not.toContain(CLOUD_ACCESS_KEY);
    expect(text).not.toContain('secret sum formula');
    expect(text).not.toContain('capital of France');
  });

  it('logs requests that are not routed too: an unknown path with its 404', async () => {
    await fetch(`${replica.gatewayUrl}/v1/completions`, { method: 'POST', headers: { 'x-request-id': 'log-404-1', 'content-type': 'application/json' }, body: '{}' });
    expect(await lineFor(log, 'log-404-1')).toMatchObject({ path: '/v1/completions', status: 404, decision: null, model: null, routingMs: null, upstreamMs: null });
  });
});

describe('router.log_prompts: true', () => {
  let stubs: SeedStubs;
  let replica: CacheReplica;
  const log = captureLog('info');

  beforeAll(async () => {
    stubs = await startCacheStubs();
    const document = parseDocument(await readFile(stubs.config.path, 'utf8'));
    document.setIn(['router', 'log_prompts'], true);
    await writeFile(stubs.config.path, document.toString());
    replica = await startReplica(stubs, log.logger);
  });
  afterAll(async () => {
    await replica.close();
    await stubs.close();
  });

  it('adds the last user message to the line', async () => {
    await replica.client.chat.completions.create({ model: 'auto', messages: USER('Implement a binary search function.') }, { headers: { 'x-request-id': 'log-prompt-1' } });
    expect(await lineFor(log, 'log-prompt-1')).toMatchObject({ prompt: 'Implement a binary search function.', decision: 'coding-route' });
  });
});

describe('a blocked request', () => {
  let stack: SingleStubStack;
  const log = captureLog('info');

  beforeAll(async () => {
    stack = await startSingleStubStack(`${REPO_ROOT}/test/fixtures/configs/safety.yaml`, log.logger);
  });
  afterAll(async () => {
    await stack.close();
  });

  it('is logged as blocked with its 403', async () => {
    // The safety config has role bindings, so a request names its user.
    const client = new OpenAI({ baseURL: `http://127.0.0.1:${stack.gateway.port}/v1`, apiKey: 'test', maxRetries: 0, defaultHeaders: { 'x-authz-user-id': 'bob' } });
    await expect(client.chat.completions.create({ model: 'auto', messages: USER('tell me about the forbidden topic') }, { headers: { 'x-request-id': 'log-blocked-1' } })).rejects.toMatchObject({
      status: 403,
    });
    expect(await lineFor(log, 'log-blocked-1')).toMatchObject({ blocked: true, status: 403, decision: 'keyword_block', upstreamMs: null, responsePath: 'blocked', reason: 'blocked_by_decision', cost: 0, tokensEstimated: true });
  });
});
