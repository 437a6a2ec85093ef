import { setTimeout as delay } from 'node:timers/promises';
import type { SeedStubs } from '../helpers/e2e-stack.js';
import { startRedisServer, type RedisServer } from '../helpers/redis-server.js';
import { captureLog } from '../helpers/log-capture.js';
import { cacheEventCount, startCacheStubs, startReplica, type CacheReplica } from '../fixtures/cache/cache-stack.js';

const USER = (content: string) => [{ role: 'user' as const, content }];

async function ask(replica: CacheReplica, content: string, stream = false): Promise<{ hit: boolean; text: string }> {
  if (stream) {
    const response = await replica.client.chat.completions.create({ model: 'auto', messages: USER(content), stream: true }).withResponse();
    let text = '';
    for await (const chunk of response.data) text += chunk.choices[0]?.delta.content ?? '';
    return { hit: response.response.headers.get('x-vsr-cache-hit') === 'true', text };
  }
  const answer = await replica.client.chat.completions.create({ model: 'auto', messages: USER(content) }).withResponse();
  return { hit: answer.response.headers.get('x-vsr-cache-hit') === 'true', text: answer.data.choices[0]!.message.content ?? '' };
}

/** Retries `check` until it holds (pub/sub and reconnects are asynchronous), up to `timeoutMs`. */
async function eventually(check: () => Promise<boolean>, timeoutMs = 5000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await delay(50);
  }
  return check();
}

describe('semantic cache on a shared Redis (two in-process replicas, each with its own sidecar and gateway)', () => {
  let redis: RedisServer;
  let stubs: SeedStubs;
  const replicas: CacheReplica[] = [];

  beforeAll(async () => {
    redis = await startRedisServer();
    stubs = await startCacheStubs({ semanticCache: { backend_type: 'redis', redis: { url: redis.url, key_prefix: 'replicas:' } } });
  });
  afterAll(async () => {
    for (const replica of replicas) await replica.close();
    await stubs.close();
    await redis.stop();
  });

  it('a miss answered through replica A is a hit through replica B, and a replica started later loads it', async () => {
    const a = await startReplica(stubs);
    const b = await startReplica(stubs);
    replicas.push(a, b);
    const first = await ask(a, 'How do I undo the last git commit?', true);
    expect(first.hit).toBe(false);
    const calls = stubs.local.requests.length + stubs.cloud.requests.length;
    // A writes once its response completed and tells B over pub/sub; one ask after a pause, since a
    // miss on B would write B's own entry and prove nothing.
    await delay(300);
    const throughB = await ask(b, 'How can I undo the last git commit?');
    expect(throughB.hit).toBe(true);
    expect(throughB.text).toBe(first.text);
    const c = await startReplica(stubs);
    replicas.push(c);
    expect((await ask(c, 'How do I undo the last git commit?')).hit).toBe(true);
    expect(stubs.local.requests.length + stubs.cloud.requests.length).toBe(calls);
  });

  it('a hit checks Redis: an answer gone from Redis (expired, evicted, flushed) is not served', async () => {
    const [a, b] = replicas as [CacheReplica, CacheReplica];
    await ask(a, 'What is the chemical formula for water?');
    await delay(300);
    expect((await ask(b, 'What is the chemical formula for water?')).hit).toBe(true);
    const { Redis } = await import('ioredis');
    const client = new Redis(redis.url);
    const keys = await client.keys('replicas:entry:*');
    await client.del(...keys);
    await client.quit();
    // Redis no longer has the answers: each replica finds out on its next hit and goes upstream.
    expect((await ask(b, 'What is the chemical formula for water?')).hit).toBe(false);
  });
});

describe('semantic cache when Redis goes down mid-test', () => {
  it('keeps answering without the cache, logs once, and recovers after Redis restarts', async () => {
    const redis = await startRedisServer();
    const stubs = await startCacheStubs({ semanticCache: { backend_type: 'redis', redis: { url: redis.url, key_prefix: 'outage:' } } });
    const log = captureLog('info');
    const replica = await startReplica(stubs, log.logger);
    try {
      await ask(replica, 'Why is the sky blue?');
      expect((await ask(replica, 'Why is the sky blue?')).hit).toBe(true);

      const writesBefore = cacheEventCount(await replica.metrics(), 'write');
      await redis.kill();
      for (const question of ['Why is the sky blue?', 'What causes the seasons on Earth?', 'What causes the seasons on Earth?']) {
        const answer = await ask(replica, question);
        expect(answer.hit).toBe(false);
        expect(answer.text).toContain('[stub');
      }
      const streamed = await ask(replica, 'How do airplanes stay in the air?', true);
      expect(streamed.text).toContain('airplanes');
      const metrics = await replica.metrics();
      expect(cacheEventCount(metrics, 'backend_error')).toBeGreaterThanOrEqual(1);
      // Regression: a write was counted before Redis took it, so the outage showed as writes.
      expect(cacheEventCount(metrics, 'write')).toBe(writesBefore);
      expect(cacheEventCount(metrics, 'not_written')).toBeGreaterThanOrEqual(1);
      const outageLines = log.lines.filter((line) => String(line['msg']).includes('Redis unreachable'));
      expect(outageLines).toHaveLength(1);

      await redis.restart();
      // Redis came back empty; once reconnected, a miss is written again and then served.
      expect(
        await eventually(async () => {
          await ask(replica, 'What is machine learning?');
          return (await ask(replica, 'What is machine learning?')).hit;
        }, 8000),
      ).toBe(true);
      expect(log.lines.some((line) => String(line['msg']).includes('reachable again'))).toBe(true);
    } finally {
      await replica.close();
      await stubs.close();
      await redis.stop();
    }
  });
});
