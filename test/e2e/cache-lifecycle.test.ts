import { setTimeout as delay } from 'node:timers/promises';
import type { SeedStubs } from '../helpers/e2e-stack.js';
import { cacheEventCount, startCacheStubs, startReplica, type CacheReplica } from '../fixtures/cache/cache-stack.js';

const USER = (content: string) => [{ role: 'user' as const, content }];

async function ask(replica: CacheReplica, content: string): Promise<boolean> {
  const answer = await replica.client.chat.completions.create({ model: 'auto', messages: USER(content) }).withResponse();
  return answer.response.headers.get('x-vsr-cache-hit') === 'true';
}

describe('semantic cache entry lifetime', () => {
  let stubs: SeedStubs;
  let replica: CacheReplica;

  afterEach(async () => {
    await replica.close();
    await stubs.close();
  });

  it('expires an entry after the decision ttl_seconds', async () => {
    stubs = await startCacheStubs({ plugin: { ttl_seconds: 1 } });
    replica = await startReplica(stubs);
    expect(await ask(replica, 'What is the speed of light?')).toBe(false);
    expect(await ask(replica, 'What is the speed of light?')).toBe(true);
    await delay(1100);
    expect(await ask(replica, 'What is the speed of light?')).toBe(false);
    expect(cacheEventCount(await replica.metrics(), 'expiry')).toBeGreaterThanOrEqual(1);
  });

  it('evicts the oldest entry (fifo) at max_entries, and the index keeps answering afterwards', async () => {
    stubs = await startCacheStubs({ semanticCache: { max_entries: 2, eviction_policy: 'fifo' } });
    replica = await startReplica(stubs);
    for (const question of ['Who painted the Mona Lisa?', 'How do vaccines work?', 'Why do cats purr?']) expect(await ask(replica, question)).toBe(false);
    expect(await ask(replica, 'How do vaccines work?')).toBe(true);
    expect(await ask(replica, 'Why do cats purr?')).toBe(true);
    expect(await ask(replica, 'Who painted the Mona Lisa?')).toBe(false);
    expect(cacheEventCount(await replica.metrics(), 'eviction')).toBeGreaterThanOrEqual(1);
    // Many more evictions: freed slots are reused and lookups stay right.
    for (let i = 1; i <= 20; i++) expect(await ask(replica, `How many moons does planet ${i} have?`)).toBe(false);
    expect(await ask(replica, 'How many moons does planet 20 have?')).toBe(true);
    expect(await ask(replica, 'How many moons does planet 1 have?')).toBe(false);
  });

  it('evicts the least recently used entry under lru', async () => {
    stubs = await startCacheStubs({ semanticCache: { max_entries: 2, eviction_policy: 'lru' } });
    replica = await startReplica(stubs);
    expect(await ask(replica, 'Who painted the Mona Lisa?')).toBe(false);
    expect(await ask(replica, 'How do vaccines work?')).toBe(false);
    expect(await ask(replica, 'Who painted the Mona Lisa?')).toBe(true);
    expect(await ask(replica, 'Why do cats purr?')).toBe(false);
    expect(await ask(replica, 'Who painted the Mona Lisa?')).toBe(true);
    expect(await ask(replica, 'How do vaccines work?')).toBe(false);
  });

  it('does not cache a stream the client aborted', async () => {
    stubs = await startCacheStubs({ chunkIntervalMs: 40 });
    replica = await startReplica(stubs);
    const abort = new AbortController();
    const stream = await replica.client.chat.completions.create(
      { model: 'auto', messages: USER('Write a short poem about the ocean.'), stream: true },
      { signal: abort.signal },
    );
    let pieces = 0;
    try {
      for await (const chunk of stream) {
        if (chunk.choices[0]?.delta.content) pieces += 1;
        abort.abort();
      }
    } catch {
      // The SDK may end the iteration quietly or throw an abort error; either way the stream was cut.
    }
    expect(pieces).toBeLessThan(3);
    await delay(300);
    const calls = stubs.local.requests.length;
    expect(await ask(replica, 'Write a short poem about the ocean.')).toBe(false);
    expect(stubs.local.requests.length).toBe(calls + 1);
    expect(cacheEventCount(await replica.metrics(), 'not_written')).toBeGreaterThanOrEqual(1);
  });
});
