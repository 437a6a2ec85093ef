import { Redis } from 'ioredis';
import OpenAI from 'openai';
import { MemoryResponsesStore, RedisResponsesStore, conversationBefore, type StoredResponse } from '../../src/apis/responses-store.js';
import { startApisStack, CHAT_MODEL, lastRequest } from '../helpers/apis-stack.js';
import { startRedisServer, type RedisServer } from '../helpers/redis-server.js';

function turn(id: string, question: string, answer: string, previous: string | null = null): StoredResponse {
  return {
    response: { id, object: 'response', output: [{ type: 'message', role: 'assistant', content: [{ type: 'output_text', text: answer }] }] },
    inputItems: [{ id: `msg_${id}`, type: 'message', role: 'user', content: question }],
    previousResponseId: previous,
  };
}

describe('the memory responses store', () => {
  it('keeps at most max_responses, dropping the least recently used first', async () => {
    const store = new MemoryResponsesStore({ ttlSeconds: 60, maxResponses: 2 });
    await store.put('a', turn('a', 'q', 'r'));
    await store.put('b', turn('b', 'q', 'r'));
    await store.get('a');
    await store.put('c', turn('c', 'q', 'r'));
    expect(await store.get('b')).toBeUndefined();
    expect(await store.get('a')).toBeDefined();
    expect(await store.get('c')).toBeDefined();
  });

  it('forgets a response after its TTL', async () => {
    let now = 1_000_000;
    const store = new MemoryResponsesStore({ ttlSeconds: 10, maxResponses: 5 }, () => now);
    await store.put('a', turn('a', 'q', 'r'));
    now += 9_999;
    expect(await store.get('a')).toBeDefined();
    now += 2;
    expect(await store.get('a')).toBeUndefined();
  });

  it('spells out a conversation oldest turn first, following previous_response_id', async () => {
    const store = new MemoryResponsesStore({ ttlSeconds: 60, maxResponses: 5 });
    await store.put('one', turn('one', 'q1', 'a1'));
    await store.put('two', turn('two', 'q2', 'a2', 'one'));
    const items = await conversationBefore(store, 'two');
    expect(items?.map((item) => item.content)).toEqual(['q1', [{ type: 'output_text', text: 'a1' }], 'q2', [{ type: 'output_text', text: 'a2' }]]);
    expect(await conversationBefore(store, 'missing')).toBeUndefined();
  });
});

describe('the Redis responses store (a real redis-server)', () => {
  let redis: RedisServer;

  beforeAll(async () => {
    redis = await startRedisServer();
  });

  afterAll(async () => {
    await redis.stop();
  });

  it('stores with the TTL as expiry, bounds the count, and deletes', async () => {
    const store = new RedisResponsesStore({ ttlSeconds: 30, maxResponses: 2, redis: { url: redis.url, keyPrefix: 'unit:' } });
    const probe = new Redis(redis.url);
    try {
      await store.put('a', turn('a', 'q', 'r'));
      expect(await store.get('a')).toEqual(turn('a', 'q', 'r'));
      const ttl = await probe.ttl('unit:a');
      expect(ttl).toBeGreaterThan(25);
      expect(ttl).toBeLessThanOrEqual(30);
      await store.put('b', turn('b', 'q', 'r'));
      await store.put('c', turn('c', 'q', 'r'));
      expect(await store.get('a')).toBeUndefined();
      expect(await store.get('c')).toBeDefined();
      expect(await store.delete('c')).toBe(true);
      expect(await store.get('c')).toBeUndefined();
    } finally {
      probe.disconnect();
      await store.close();
    }
  });

  it('lets one replica continue a conversation another replica stored', async () => {
    const extraConfig = `response_api:\n  store_backend: redis\n  redis: { url: "${redis.url}", key_prefix: "replicas:" }\n`;
    const first = await startApisStack({ extraConfig });
    const second = await startApisStack({ extraConfig });
    try {
      const created = await first.openai.responses.create({ model: CHAT_MODEL, input: 'My name is Grace.' });
      const continued = await second.openai.responses.create({ model: CHAT_MODEL, input: 'And my name?', previous_response_id: created.id });
      expect(continued.output_text).toContain('user: And my name?');
      expect(JSON.stringify(lastRequest(second.chat).body.messages)).toContain('My name is Grace.');
      expect((await second.openai.responses.retrieve(created.id)).output_text).toBe(created.output_text);
      await second.openai.responses.delete(created.id);
      await expect(first.openai.responses.retrieve(created.id)).rejects.toBeInstanceOf(OpenAI.NotFoundError);
    } finally {
      await first.close();
      await second.close();
    }
  });
});
