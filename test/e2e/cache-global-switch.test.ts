import { readFile, writeFile } from 'node:fs/promises';
import { parseDocument } from 'yaml';
import { routeChatCompletion } from '../../src/router/route-request.js';
import type { RoutedRequest } from '../../src/router/route-result.js';
import { startReplica, type CacheReplica } from '../fixtures/cache/cache-stack.js';
import { startSeedStubs, type SeedStubs } from '../helpers/e2e-stack.js';

const CODING_DECISION = 1;
const REASONING_DECISION = 0;

async function ask(replica: CacheReplica, content: string): Promise<{ hit: boolean; decision: string | null }> {
  const answer = await replica.client.chat.completions.create({ model: 'auto', messages: [{ role: 'user', content }] }).withResponse();
  return { hit: answer.response.headers.get('x-vsr-cache-hit') === 'true', decision: answer.response.headers.get('x-vsr-selected-decision') };
}

/**
 * `semantic_cache.enabled` alone turns the cache on for every decision; a decision's
 * `semantic-cache` plug-in overrides the settings or turns the cache off there (issue 13).
 */
describe('the global semantic_cache switch', () => {
  let stubs: SeedStubs;
  let replica: CacheReplica;

  beforeAll(async () => {
    stubs = await startSeedStubs();
    const document = parseDocument(await readFile(stubs.config.path, 'utf8'));
    document.set('semantic_cache', document.createNode({ enabled: true, similarity_threshold: 0.8 }));
    document.setIn(['decisions', CODING_DECISION, 'plugins'], document.createNode([{ type: 'semantic-cache', configuration: { enabled: false } }]));
    document.setIn(['decisions', REASONING_DECISION, 'plugins'], document.createNode([{ type: 'semantic-cache', configuration: { similarity_threshold: 0.97, ttl_seconds: 60 } }]));
    await writeFile(stubs.config.path, document.toString());
    replica = await startReplica(stubs);
  });

  afterAll(async () => {
    await replica.close();
    await stubs.close();
  });

  it('caches a decision that has no semantic-cache plug-in', async () => {
    const calls = stubs.local.requests.length;
    expect(await ask(replica, 'What is the speed of light?')).toEqual({ hit: false, decision: 'default-route' });
    expect(await ask(replica, 'What is the speed of light?')).toEqual({ hit: true, decision: 'default-route' });
    expect(stubs.local.requests.length).toBe(calls + 1);
  });

  it('does not cache a decision whose plug-in says enabled: false', async () => {
    const calls = stubs.local.requests.length;
    expect(await ask(replica, 'Please refactor this function for me')).toEqual({ hit: false, decision: 'coding-route' });
    expect(await ask(replica, 'Please refactor this function for me')).toEqual({ hit: false, decision: 'coding-route' });
    expect(stubs.local.requests.length).toBe(calls + 2);
  });

  it("merges a decision's plug-in settings over the global ones", async () => {
    const config = replica.switchyard.store.current();
    const body = (content: string) => Buffer.from(JSON.stringify({ model: 'auto', messages: [{ role: 'user', content }] }));
    const headers = new Map([[':path', '/v1/chat/completions']]);
    const routed = async (content: string) => (await routeChatCompletion(config, body(content), headers, new AbortController().signal)) as RoutedRequest;
    expect((await routed('Prove that there are infinitely many primes')).cache).toEqual({ similarityThreshold: 0.97, ttlSeconds: 60 });
    expect((await routed('What is the speed of light?')).cache).toEqual({ similarityThreshold: 0.8, ttlSeconds: 3600 });
    expect((await routed('Please refactor this function for me')).cache).toBeUndefined();
  });
});
