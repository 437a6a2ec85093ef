import { startServeOnStub, type ServeOnStub } from '../helpers/serve-on-stub.js';

/** Two models, one per family type: Qwen3 reads a chat-template flag, gpt-oss a top-level effort (both inferred from the name). */
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
default_reasoning_effort: medium
signals:
  keywords:
    - { name: think_words, operator: OR, keywords: ["think"], case_sensitive: false }
    - { name: proof_words, operator: OR, keywords: ["prove"], case_sensitive: false }
    - { name: sketch_words, operator: OR, keywords: ["sketch"], case_sensitive: false }
decisions:
  - name: proofs
    priority: 100
    rules: { operator: OR, conditions: [{ type: keyword, name: proof_words }] }
    modelRefs: [{ model: gpt-oss-120b, use_reasoning: true, reasoning_effort: high }]
  - name: sketches
    priority: 90
    rules: { operator: OR, conditions: [{ type: keyword, name: sketch_words }] }
    modelRefs: [{ model: gpt-oss-120b, use_reasoning: true }]
  - name: thinking
    priority: 80
    rules: { operator: OR, conditions: [{ type: keyword, name: think_words }] }
    modelRefs: [{ model: qwen3-8b, use_reasoning: true }]
  - name: chat
    priority: 1
    rules: { operator: AND, conditions: [] }
    modelRefs: [{ model: qwen3-8b, use_reasoning: false }]
`;
}

function sample(scrape: string, name: string, labels: string): number | undefined {
  const line = scrape.split('\n').find((candidate) => candidate.startsWith(`${name}{${labels}} `));
  return line === undefined ? undefined : Number(line.split(' ').at(-1));
}

/** The whole serve stack (sidecar over gRPC, gateway, admin /metrics) in front of a stub, driven by the openai SDK. */
describe('reasoning usage metrics from the body rewrite', () => {
  let serve: ServeOnStub;
  let scrape: string;
  const bodies: Record<string, unknown>[] = [];

  beforeAll(async () => {
    serve = await startServeOnStub(configText, 'reasoning.yaml');
    const { client, stub } = serve;
    const ask = async (content: string, stream = false): Promise<void> => {
      if (stream) for await (const chunk of await client.chat.completions.create({ model: 'auto', messages: [{ role: 'user', content }], stream: true })) void chunk;
      else await client.chat.completions.create({ model: 'auto', messages: [{ role: 'user', content }] });
      bodies.push(JSON.parse(stub.requests.at(-1)!.body) as Record<string, unknown>);
    };
    await ask('Prove that the square root of 2 is irrational.');
    await ask('Prove it again, streaming.', true);
    await ask('Sketch a proof outline.');
    await ask('Think about the best data layout.');
    await ask('Hello there.');
    // A named model: reasoning stays the client's, nothing is switched on by the router.
    await client.chat.completions.create({ model: 'gpt-oss-120b', messages: [{ role: 'user', content: 'Prove this directly.' }] });
    await new Promise((resolve) => setTimeout(resolve, 200));
    scrape = await serve.scrapeMetrics();
  });

  afterAll(async () => {
    await serve?.close();
  });

  it('writes what the metrics then count', () => {
    expect(bodies.map((body) => [body['reasoning_effort'], (body['chat_template_kwargs'] as Record<string, unknown> | undefined)?.['enable_thinking']])).toEqual([
      ['high', undefined],
      ['high', undefined],
      ['medium', undefined],
      [undefined, true],
      [undefined, false],
    ]);
  });

  it("counts the template parameter per family under Athena's name and labels, only when reasoning was switched on", () => {
    expect(sample(scrape, 'llm_reasoning_template_usage_total', 'family="gpt-oss",param="reasoning_effort"')).toBe(3);
    expect(sample(scrape, 'llm_reasoning_template_usage_total', 'family="qwen3",param="enable_thinking"')).toBe(1);
    expect(scrape.split('\n').filter((line) => line.startsWith('llm_reasoning_template_usage_total{'))).toHaveLength(2);
  });

  it('counts the effort written per family; template-flag families write none', () => {
    expect(sample(scrape, 'llm_reasoning_effort_usage_total', 'family="gpt-oss",effort="high"')).toBe(2);
    expect(sample(scrape, 'llm_reasoning_effort_usage_total', 'family="gpt-oss",effort="medium"')).toBe(1);
    expect(scrape.split('\n').filter((line) => line.startsWith('llm_reasoning_effort_usage_total{'))).toHaveLength(2);
  });
});
