import type { SeedStubs } from '../helpers/e2e-stack.js';
import { cacheEventCount, startCacheStubs, startReplica, type CacheReplica } from '../fixtures/cache/cache-stack.js';

const USER = (content: string) => [{ role: 'user' as const, content }];

async function collectStream(replica: CacheReplica, content: string, includeUsage = false) {
  const response = await replica.client.chat.completions
    .create({ model: 'auto', messages: USER(content), stream: true, ...(includeUsage ? { stream_options: { include_usage: true } } : {}) })
    .withResponse();
  const chunks = [];
  for await (const chunk of response.data) chunks.push(chunk);
  return { headers: response.response.headers, chunks, text: chunks.map((c) => c.choices[0]?.delta.content ?? '').join('') };
}

describe('semantic cache through the gateway (memory backend, openai SDK)', () => {
  let stubs: SeedStubs;
  let replica: CacheReplica;
  const upstreamCalls = () => stubs.local.requests.length + stubs.cloud.requests.length;

  beforeAll(async () => {
    // An upstream that answers at once let the in-process gateway finish the first of five
    // concurrent misses before the last one looked up, so it hit instead of coalescing.
    stubs = await startCacheStubs({ latencyMs: 100 });
    replica = await startReplica(stubs);
  });
  afterAll(async () => {
    await replica.close();
    await stubs.close();
  });

  it('answers a repeat and a paraphrase from the cache, with a fresh id and the original model', async () => {
    const first = await replica.client.chat.completions.create({ model: 'auto', messages: USER('What is the capital of France?') }).withResponse();
    expect(first.response.headers.get('x-vsr-cache-hit')).not.toBe('true');
    const calls = upstreamCalls();
    const again = await replica.client.chat.completions.create({ model: 'auto', messages: USER("what's the capital of france") }).withResponse();
    expect(again.response.headers.get('x-vsr-cache-hit')).toBe('true');
    expect(upstreamCalls()).toBe(calls);
    expect(again.data.choices[0]!.message.content).toBe(first.data.choices[0]!.message.content);
    expect(again.data.model).toBe(first.data.model);
    expect(again.data.id).not.toBe(first.data.id);
    expect(again.data.id).toMatch(/^chatcmpl-cache-/);
    expect(again.data.usage).toEqual(first.data.usage);
    expect(again.response.headers.get('x-vsr-selected-decision')).toBe(first.response.headers.get('x-vsr-selected-decision'));
  });

  it("counts the cache's operations under Athena's llm_cache_operations_total, in step with the event counter", async () => {
    const metrics = await replica.metrics();
    const operations = (operation: string, status: string): number =>
      Number(metrics.split('\n').find((line) => line.startsWith(`llm_cache_operations_total{backend="memory",operation="${operation}",status="${status}"}`))?.split(' ').pop() ?? 0);
    expect(operations('find_similar', 'hit')).toBeGreaterThanOrEqual(1);
    expect(operations('find_similar', 'hit')).toBe(cacheEventCount(metrics, 'hit'));
    expect(operations('find_similar', 'miss')).toBe(cacheEventCount(metrics, 'miss'));
    expect(operations('add_entry', 'success')).toBe(cacheEventCount(metrics, 'write'));
    expect(operations('add_entry', 'success')).toBeGreaterThanOrEqual(1);
  });

  it('does not answer a near-miss from the cache, streaming or not', async () => {
    await replica.client.chat.completions.create({ model: 'auto', messages: USER('What is the population of Tokyo?') });
    const calls = upstreamCalls();
    const other = await replica.client.chat.completions.create({ model: 'auto', messages: USER('What is the population of Osaka?') }).withResponse();
    expect(other.response.headers.get('x-vsr-cache-hit')).not.toBe('true');
    expect(other.data.choices[0]!.message.content).toContain('Osaka');
    const streamed = await collectStream(replica, 'What is not the population of Tokyo?');
    expect(streamed.headers.get('x-vsr-cache-hit')).not.toBe('true');
    expect(upstreamCalls()).toBe(calls + 2);
    expect(cacheEventCount(await replica.metrics(), 'near_miss_rejected')).toBeGreaterThanOrEqual(1);
  });

  it('serves a streamed miss to a non-streaming repeat', async () => {
    const streamed = await collectStream(replica, 'How do I bake sourdough bread at home?');
    expect(streamed.text).toContain('sourdough');
    const calls = upstreamCalls();
    const hit = await replica.client.chat.completions.create({ model: 'auto', messages: USER('How can I bake sourdough bread at home?') }).withResponse();
    expect(hit.response.headers.get('x-vsr-cache-hit')).toBe('true');
    expect(hit.data.choices[0]!.message.content).toBe(streamed.text);
    expect(hit.data.choices[0]!.finish_reason).toBe('stop');
    expect(upstreamCalls()).toBe(calls);
  });

  it('replays a buffered miss to a streaming repeat as SSE ending in [DONE], with usage when asked', async () => {
    const buffered = await replica.client.chat.completions.create({ model: 'auto', messages: USER('Explain how photosynthesis works.') });
    const calls = upstreamCalls();
    const streamed = await collectStream(replica, 'Can you explain how photosynthesis works?', true);
    expect(streamed.headers.get('x-vsr-cache-hit')).toBe('true');
    expect(streamed.headers.get('content-type')).toContain('text/event-stream');
    expect(streamed.text).toBe(buffered.choices[0]!.message.content);
    expect(streamed.chunks.length).toBeGreaterThan(3);
    expect(streamed.chunks.at(-2)?.choices[0]?.finish_reason).toBe('stop');
    expect(streamed.chunks.at(-1)?.usage).toEqual(buffered.usage);
    expect(upstreamCalls()).toBe(calls);
    const raw = await fetch(`${replica.gatewayUrl}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'auto', messages: USER('Explain how photosynthesis works.'), stream: true }),
    });
    expect((await raw.text()).endsWith('data: [DONE]\n\n')).toBe(true);
  });

  it('keys on the conversation and the sampling parameters, not only the last message', async () => {
    const question = 'Summarize the plot of Hamlet.';
    await replica.client.chat.completions.create({ model: 'auto', messages: USER(question) });
    const withHistory = await replica.client.chat.completions
      .create({ model: 'auto', messages: [{ role: 'system', content: 'Answer in French.' }, ...USER(question)] })
      .withResponse();
    expect(withHistory.response.headers.get('x-vsr-cache-hit')).not.toBe('true');
    const hotter = await replica.client.chat.completions.create({ model: 'auto', messages: USER(question), temperature: 1.5 }).withResponse();
    expect(hotter.response.headers.get('x-vsr-cache-hit')).not.toBe('true');
    const same = await replica.client.chat.completions.create({ model: 'auto', messages: USER(question) }).withResponse();
    expect(same.response.headers.get('x-vsr-cache-hit')).toBe('true');
  });

  it('coalesces identical concurrent misses: one upstream call, the rest hit', async () => {
    const calls = upstreamCalls();
    const answers = await Promise.all(
      Array.from({ length: 5 }, () => replica.client.chat.completions.create({ model: 'auto', messages: USER('Write a haiku about autumn leaves.') }).withResponse()),
    );
    expect(upstreamCalls()).toBe(calls + 1);
    expect(answers.filter((a) => a.response.headers.get('x-vsr-cache-hit') === 'true')).toHaveLength(4);
    expect(new Set(answers.map((a) => a.data.choices[0]!.message.content)).size).toBe(1);
    expect(cacheEventCount(await replica.metrics(), 'coalesced')).toBe(4);
  });

  it('does not cache a failed upstream answer', async () => {
    await stubs.local.close();
    const failing = await fetch(`${replica.gatewayUrl}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'auto', messages: USER('Why is the sky blue?') }),
    });
    expect(failing.status).toBeGreaterThanOrEqual(500);
    const metrics = await replica.metrics();
    expect(cacheEventCount(metrics, 'not_written')).toBeGreaterThanOrEqual(1);
  });
});
