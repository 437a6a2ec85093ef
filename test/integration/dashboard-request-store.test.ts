import { once } from 'node:events';
import http from 'node:http';
import { createSilentLogger } from '../../src/telemetry/logger.js';
import { logRequest, type RequestLogEntry } from '../../src/telemetry/request-log.js';
import { RequestStore } from '../../src/dashboard/request-store.js';
import { startE2eStack, type E2eStack } from '../helpers/e2e-stack.js';
import { startRedisServer, type RedisServer } from '../helpers/redis-server.js';
import { cli } from '../helpers/run-cli.js';

const logger = createSilentLogger();

function entry(requestId: string, prompt?: string): RequestLogEntry {
  return { requestId, method: 'POST', path: '/v1/chat/completions', decision: 'd', model: 'm', reasoning: false, blocked: false, cached: false, status: 200, routingMs: 1, upstreamMs: 2, latencyMs: 3, traceId: null, ...(prompt === undefined ? {} : { prompt }) };
}

const settings = (store: 'memory' | 'redis', url = 'redis://127.0.0.1:1/0') => ({ capacity: 3, store, redisUrl: url, redisKey: 'test:dashboard:requests' });

describe('RequestStore', () => {
  it('records every request log entry, whatever the log level, and keeps only the newest `capacity`', async () => {
    const store = await RequestStore.open(settings('memory'), logger);
    try {
      for (let i = 1; i <= 5; i++) logRequest(logger, entry(`r${i}`));
      expect(store.records().map((record) => record.entry.requestId)).toEqual(['r3', 'r4', 'r5']);
      expect(store.records({ since: 4 }).map((record) => record.seq)).toEqual([5]);
      expect(store.find('r4')?.seq).toBe(4);
    } finally {
      await store.close();
    }
    logRequest(logger, entry('after-close'));
    expect(store.records().map((record) => record.entry.requestId)).not.toContain('after-close');
  });

  describe('with the redis store', () => {
    let redis: RedisServer;
    beforeAll(async () => {
      redis = await startRedisServer();
    });
    afterAll(async () => {
      await redis.stop();
    });

    it('mirrors records to a bounded Redis list that a restarted process loads', async () => {
      const first = await RequestStore.open(settings('redis', redis.url), logger);
      for (let i = 1; i <= 4; i++) first.add(entry(`q${i}`, `prompt ${i}`), 1000 + i);
      await new Promise((resolve) => setTimeout(resolve, 200));
      await first.close();
      const second = await RequestStore.open(settings('redis', redis.url), logger);
      try {
        expect(second.records().map((record) => [record.entry.requestId, record.entry.prompt, record.time])).toEqual([
          ['q2', 'prompt 2', 1002],
          ['q3', 'prompt 3', 1003],
          ['q4', 'prompt 4', 1004],
        ]);
      } finally {
        await second.close();
      }
    });

    it('keeps recording in memory when Redis is down', async () => {
      const store = await RequestStore.open(settings('redis', 'redis://127.0.0.1:1/0'), logger);
      try {
        store.add(entry('offline'), 1);
        expect(store.records().map((record) => record.entry.requestId)).toEqual(['offline']);
      } finally {
        await store.close();
      }
    });
  });
});

describe('the dashboard on a running stack', () => {
  let stack: E2eStack;
  beforeAll(async () => {
    stack = await startE2eStack({ router: { log_prompts: true }, watch: true });
  });
  afterAll(async () => {
    await stack.close();
  });
  const admin = () => `http://127.0.0.1:${stack.switchyard.ports.admin}`;

  it('streams new requests to a live client over SSE, without prompt text unless show_prompts', async () => {
    const events: string[] = [];
    const request = http.get(`${admin()}/dashboard/api/live`);
    const [response] = (await once(request, 'response')) as [http.IncomingMessage];
    expect(response.headers['content-type']).toBe('text/event-stream');
    response.setEncoding('utf8');
    response.on('data', (chunk: string) => events.push(chunk));
    await stack.client.chat.completions.create({ model: 'MoM', messages: [{ role: 'user', content: 'refactor this secret class' }] }, { headers: { 'x-request-id': 'sse-1' } });
    for (let waited = 0; waited < 5000 && !events.join('').includes('sse-1'); waited += 50) await new Promise((resolve) => setTimeout(resolve, 50));
    request.destroy();
    const text = events.join('');
    expect(text).toContain('"requestId":"sse-1"');
    expect(text).toContain('"decision":"coding-route"');
    expect(text).toContain('"signals":{"keyword":["coding_keywords"]}');
    expect(text).not.toContain('secret class');
  });

  it('refuses unknown methods and serves the read API without a token', async () => {
    expect((await fetch(`${admin()}/dashboard/api/savings`, { method: 'DELETE' })).status).toBe(405);
    expect((await fetch(`${admin()}/dashboard/api/models`)).status).toBe(200);
    const explained = await fetch(`${admin()}/dashboard/api/explain`, { method: 'POST', body: '{"messages":[]}' });
    expect(explained.status).toBe(400);
    expect(await explained.json()).toMatchObject({ error: { type: 'invalid_request_error', param: 'messages' } });
  });

  it('`switchyard dashboard` prints the URL of the running dashboard, and fails when nothing answers', async () => {
    const running = await cli('dashboard', '--admin-port', String(stack.switchyard.ports.admin));
    expect(running.code).toBe(0);
    expect(running.stdout).toBe(`http://127.0.0.1:${stack.switchyard.ports.admin}/dashboard/\n`);
    expect(running.stderr).toMatch(/read-only \(no dashboard.token\)/);
    const missing = await cli('dashboard', '--admin-port', '1');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/nothing answers at http:\/\/127.0.0.1:1\/dashboard\//);
  });
});
