import { cacheKeyOf } from '../../src/cache/cache-key.js';
import { SemanticCache } from '../../src/cache/semantic-cache.js';
import type { SemanticCacheSettings } from '../../src/config/runtime-config.js';
import { createSilentLogger } from '../../src/telemetry/logger.js';

const SETTINGS: SemanticCacheSettings = {
  enabled: true,
  backendType: 'memory',
  similarityThreshold: 0.8,
  ttlSeconds: 60,
  maxEntries: 100,
  evictionPolicy: 'fifo',
  coalesceTimeoutMs: 1000,
  redis: { url: 'redis://127.0.0.1:1/0', keyPrefix: 'unused:' },
  hnsw: { m: 16, efConstruction: 100, efSearch: 32 },
};
const POLICY = { similarityThreshold: 0.8, ttlSeconds: 60 };
const ANSWER = { model: 'up', content: 'Paris' };
const key = cacheKeyOf({ messages: [{ role: 'user', content: 'What is the capital of France?' }] }, 'm')!;

describe('SemanticCache coalescing', () => {
  let cache: SemanticCache;
  const events: string[] = [];
  beforeEach(async () => {
    events.length = 0;
    cache = await SemanticCache.create({ settings: SETTINGS, logger: createSilentLogger(), count: (event) => events.push(event) });
  });
  afterEach(() => cache.close());

  const lookup = (waitMs = 1000, signal = new AbortController().signal) => cache.lookup({ key, policy: POLICY, waitMs, signal });
  /** A lookup and a promise that resolves once it waits on the leader. */
  const waitingLookup = (policy = POLICY) => {
    let onWait!: () => void;
    const waiting = new Promise<void>((resolve) => (onWait = resolve));
    return { result: cache.lookup({ key, policy, waitMs: 1000, signal: new AbortController().signal, onWait }), waiting };
  };

  it('lets the first miss lead; identical lookups wait and then hit with its answer', async () => {
    const leader = await lookup();
    expect(leader.kind).toBe('miss');
    const waiters = [waitingLookup(), waitingLookup()];
    await Promise.all(waiters.map((w) => w.waiting));
    if (leader.kind === 'miss') leader.ticket.complete(ANSWER);
    const results = await Promise.all(waiters.map((w) => w.result));
    expect(results.map((r) => r.kind)).toEqual(['hit', 'hit']);
    expect(events.filter((e) => e === 'coalesced')).toHaveLength(2);
    expect((await lookup()).kind).toBe('hit');
  });

  it('sends the waiters upstream when the leader fails, and writes nothing', async () => {
    const leader = await lookup();
    const waiter = waitingLookup();
    await waiter.waiting;
    if (leader.kind === 'miss') leader.ticket.abandon();
    const result = await waiter.result;
    expect(result.kind).toBe('miss');
    if (result.kind === 'miss') result.ticket.abandon();
    expect(events).toContain('not_written');
    expect(events).not.toContain('write');
  });

  it('stops waiting at the bound', async () => {
    const leader = await lookup();
    const started = Date.now();
    const result = await lookup(50);
    expect(result.kind).toBe('miss');
    expect(Date.now() - started).toBeLessThan(900);
    if (leader.kind === 'miss') leader.ticket.abandon();
    if (result.kind === 'miss') result.ticket.abandon();
  });

  it('does not write when the decision ttl is 0, but still hands the answer to waiters', async () => {
    const leader = await cache.lookup({ key, policy: { ...POLICY, ttlSeconds: 0 }, waitMs: 1000, signal: new AbortController().signal });
    const waiter = waitingLookup();
    await waiter.waiting;
    if (leader.kind === 'miss') leader.ticket.complete(ANSWER);
    expect((await waiter.result).kind).toBe('hit');
    const later = await lookup(0);
    expect(later.kind).toBe('miss');
    if (later.kind === 'miss') later.ticket.abandon();
  });
});
