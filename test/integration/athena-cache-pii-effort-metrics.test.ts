import { startServeOnStub, type ServeOnStub } from '../helpers/serve-on-stub.js';

/** A memory semantic cache, a PII rule and decisions with and without their own reasoning effort. */
function configText(port: number): string {
  return `version: v0.1
listeners: [{ name: http, address: 127.0.0.1, port: 8899 }]
providers:
  models:
    - name: qwen3-8b
      endpoints: [{ name: local, endpoint: "127.0.0.1:${port}" }]
    - name: gpt-oss-120b
      endpoints: [{ name: cloud, endpoint: "127.0.0.1:${port}" }]
  default_model: qwen3-8b
default_reasoning_effort: low
semantic_cache: { enabled: true, backend_type: memory, similarity_threshold: 0.9 }
signals:
  keywords:
    - { name: proof_words, operator: OR, keywords: ["prove"], case_sensitive: false }
  pii:
    - { name: any_pii }
decisions:
  - name: proofs
    priority: 100
    rules: { operator: OR, conditions: [{ type: keyword, name: proof_words }] }
    modelRefs: [{ model: gpt-oss-120b, use_reasoning: true, reasoning_effort: high }]
  - name: private
    priority: 90
    rules: { operator: OR, conditions: [{ type: pii, name: any_pii }] }
    modelRefs: [{ model: qwen3-8b, use_reasoning: false }]
  - name: chat
    priority: 1
    rules: { operator: AND, conditions: [] }
    modelRefs: [{ model: qwen3-8b, use_reasoning: false }]
`;
}

/** The values of the scrape's `name` samples whose labels include every one of `labels`. */
function values(scrape: string, name: string, labels: Record<string, string>): number[] {
  return scrape
    .split('\n')
    .filter((line) => line.startsWith(`${name}{`) && Object.entries(labels).every(([key, value]) => line.includes(`${key}="${value}"`)))
    .map((line) => Number(line.split(' ').at(-1)));
}

/**
 * Athena's cache, PII and reasoning-decision names with Athena's labels, counted from real traffic:
 * the whole serve stack (sidecar over gRPC, gateway, real sentence encoder and PII detector, admin
 * /metrics) in front of a stub upstream, driven by the openai SDK.
 */
describe("Athena's llm_cache_entries_total, llm_cache_plugin_{hits,misses}_total, pii_type and effort labels", () => {
  let serve: ServeOnStub;
  let scrape: string;
  const hits: boolean[] = [];

  beforeAll(async () => {
    serve = await startServeOnStub(configText, 'athena-metrics.yaml');
    const { client } = serve;
    const ask = async (content: string, model = 'auto'): Promise<void> => {
      const answer = await client.chat.completions.create({ model, messages: [{ role: 'user', content }] }).withResponse();
      hits.push(answer.response.headers.get('x-vsr-cache-hit') === 'true');
      // The cache entry is written and the record counted once the stream has closed.
      await new Promise((resolve) => setTimeout(resolve, 100));
    };
    await ask('Prove that the square root of 2 is irrational.');
    await ask('Prove that the square root of 2 is irrational.');
    await ask('Hello there, how is the weather in Lisbon today?');
    await ask('Mail john.doe@example.com about the invoice, card 4111 1111 1111 1111.');
    await ask('Explain what a monad is.', 'gpt-oss-120b');
    await new Promise((resolve) => setTimeout(resolve, 200));
    scrape = await serve.scrapeMetrics();
  });

  afterAll(async () => {
    await serve?.close();
  });

  it('answered the repeated proof from the cache and nothing else', () => {
    expect(hits).toEqual([false, true, false, false, false]);
  });

  it('counts cache hits and misses per decision with the plug-in type', () => {
    expect(values(scrape, 'llm_cache_plugin_hits_total', { decision_name: 'proofs', plugin_type: 'semantic-cache' })).toEqual([1]);
    expect(values(scrape, 'llm_cache_plugin_misses_total', { decision_name: 'proofs', plugin_type: 'semantic-cache' })).toEqual([1]);
    expect(values(scrape, 'llm_cache_plugin_misses_total', { decision_name: 'chat', plugin_type: 'semantic-cache' })).toEqual([1]);
    expect(values(scrape, 'llm_cache_plugin_misses_total', { decision_name: 'private', plugin_type: 'semantic-cache' })).toEqual([1]);
    expect(values(scrape, 'llm_cache_plugin_hits_total', {})).toEqual([1]);
  });

  it('reports the entries the cache holds, by backend, as a gauge', () => {
    expect(scrape).toMatch(/^# TYPE llm_cache_entries_total gauge$/m);
    // The proof, the greeting, the PII request and the named-model request were written; the repeat was served.
    expect(values(scrape, 'llm_cache_entries_total', { backend: 'memory' })).toEqual([4]);
  });

  it('counts a PII match once per denied type, with the type as pii_type', () => {
    expect(values(scrape, 'llm_pii_violations_total', { signal_name: 'any_pii', pii_type: 'EMAIL_ADDRESS', model: 'qwen3-8b' })).toEqual([1]);
    expect(values(scrape, 'llm_pii_violations_total', { signal_name: 'any_pii', pii_type: 'CREDIT_CARD', model: 'qwen3-8b' })).toEqual([1]);
    expect(values(scrape, 'llm_pii_violations_total', {})).toHaveLength(2);
  });

  it("records each winning decision's confidence under Athena's llm_decision_confidence", () => {
    expect(values(scrape, 'llm_decision_confidence_count', { decision_name: 'proofs' })).toEqual([2]);
    expect(values(scrape, 'llm_decision_confidence_bucket', { decision_name: 'proofs', le: '1' })).toEqual([2]);
    // A named model has no winning decision: nothing to record.
    expect(values(scrape, 'llm_decision_confidence_count', {})).toHaveLength(3);
  });

  it("labels each reasoning decision with the effort routing chose: the modelRef's, else the default, none for a named model", () => {
    expect(values(scrape, 'llm_reasoning_decisions_total', { decision: 'proofs', enabled: 'true', effort: 'high' })).toEqual([2]);
    expect(values(scrape, 'llm_reasoning_decisions_total', { decision: 'chat', enabled: 'false', effort: 'low' })).toEqual([1]);
    expect(values(scrape, 'llm_reasoning_decisions_total', { decision: 'private', enabled: 'false', effort: 'low' })).toEqual([1]);
    expect(values(scrape, 'llm_reasoning_decisions_total', { model: 'gpt-oss-120b', enabled: 'false', effort: 'none' })).toEqual([1]);
  });
});
