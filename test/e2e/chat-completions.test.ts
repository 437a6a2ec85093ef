import { CLOUD_MODEL, lastBody, LOCAL_MODEL, startE2eStack, type E2eStack } from '../helpers/e2e-stack.js';

describe('chat completions through the gateway with the openai SDK', () => {
  let stack: E2eStack;

  beforeAll(async () => {
    stack = await startE2eStack();
  });

  afterAll(async () => {
    await stack.close();
  });

  it('answers a non-streaming completion from the routed model', async () => {
    const completion = await stack.client.chat.completions.create({
      model: 'auto',
      messages: [{ role: 'user', content: 'What is the capital of Australia?' }],
    });
    expect(completion.object).toBe('chat.completion');
    expect(completion.model).toBe(LOCAL_MODEL);
    expect(completion.choices[0]?.message.content).toContain(`[stub local] model=${LOCAL_MODEL}`);
    expect(completion.usage?.total_tokens).toBeGreaterThan(0);
  });

  it('streams a completion chunk by chunk, with the usage chunk asked for', async () => {
    const stream = await stack.client.chat.completions.create({
      model: 'auto',
      messages: [{ role: 'user', content: 'Prove by induction that the sum 1+2+...+n = n(n+1)/2.' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    let content = '';
    let chunks = 0;
    let usage: unknown;
    for await (const chunk of stream) {
      chunks += 1;
      content += chunk.choices[0]?.delta.content ?? '';
      if (chunk.usage) usage = chunk.usage;
    }
    expect(chunks).toBeGreaterThan(3);
    expect(content).toContain(`[stub cloud] model=${CLOUD_MODEL}`);
    expect(usage).toEqual(expect.objectContaining({ prompt_tokens: expect.any(Number), completion_tokens: expect.any(Number) }));
  });

  it('lists auto and the configured models', async () => {
    const ids: string[] = [];
    for await (const model of stack.client.models.list()) ids.push(model.id);
    expect(ids).toEqual(expect.arrayContaining(['auto', LOCAL_MODEL, CLOUD_MODEL]));
    // The sidecar answers /v1/models itself; no upstream is asked.
    expect(stack.local.requests.filter((request) => request.path.endsWith('/models'))).toHaveLength(0);
  });
});

describe("the seed tutorial's three curl examples", () => {
  let stack: E2eStack;

  beforeAll(async () => {
    stack = await startE2eStack();
  });

  afterAll(async () => {
    await stack.close();
  });

  async function ask(content: string): Promise<{ headers: Headers; model: string }> {
    const { data, response } = await stack.client.chat.completions
      .create({ model: 'auto', messages: [{ role: 'user', content }], max_tokens: 100 })
      .withResponse();
    return { headers: response.headers, model: data.model };
  }

  it('a simple question goes to the local model by the default route', async () => {
    const { headers, model } = await ask('What is a Python decorator?');
    expect(model).toBe(LOCAL_MODEL);
    expect(headers.get('x-vsr-selected-model')).toBe(LOCAL_MODEL);
    expect(headers.get('x-vsr-selected-decision')).toBe('default-route');
    expect(headers.get('x-vsr-selected-confidence')).toBe('1.0000');
    expect(headers.get('x-vsr-matched-keywords')).toBeNull();
    expect(headers.get('x-vsr-cache-hit')).toBe('false');
  });

  it('a coding request goes to the local model by coding-route', async () => {
    const { headers, model } = await ask('Implement a function that finds the longest palindromic substring.');
    expect(model).toBe(LOCAL_MODEL);
    expect(headers.get('x-vsr-selected-model')).toBe(LOCAL_MODEL);
    expect(headers.get('x-vsr-selected-decision')).toBe('coding-route');
    expect(headers.get('x-vsr-selected-confidence')).toBe('1.0000');
    expect(headers.get('x-vsr-matched-keywords')).toBe('coding_keywords');
    expect(headers.get('x-vsr-selected-reasoning')).toBe('off');
    expect(headers.get('x-vsr-cache-hit')).toBe('false');
  });

  it('a proof goes to Gemini with reasoning on, its key and its path', async () => {
    const { headers, model } = await ask('Prove by induction that the sum 1+2+...+n = n(n+1)/2.');
    expect(model).toBe(CLOUD_MODEL);
    expect(headers.get('x-vsr-selected-model')).toBe(CLOUD_MODEL);
    expect(headers.get('x-vsr-selected-decision')).toBe('reasoning-route');
    expect(headers.get('x-vsr-selected-confidence')).toBe('1.0000');
    expect(headers.get('x-vsr-matched-keywords')).toBe('reasoning_keywords');
    expect(headers.get('x-vsr-selected-reasoning')).toBe('on');
    expect(headers.get('x-vsr-cache-hit')).toBe('false');
    const received = stack.cloud.requests.at(-1)!;
    expect(received.path).toBe('/v1beta/openai/chat/completions');
    expect(received.headers.authorization).toBe('Bearer <YOUR_GEMINI_API_KEY>');
    expect(lastBody(stack.cloud)).toEqual(expect.objectContaining({ model: CLOUD_MODEL, max_tokens: 100 }));
    // The routing header never reaches an upstream.
    expect(Object.keys(received.headers).filter((name) => name.includes('switchyard-cluster'))).toEqual([]);
  });
});

describe('reasoning parameters reach the upstream', () => {
  let stack: E2eStack;

  beforeAll(async () => {
    // The seed gives its models no reasoning_family: the families come from the model names
    // (gemini-2.5-pro → gemini, …Qwen3… → qwen3).
    stack = await startE2eStack();
  });

  afterAll(async () => {
    await stack.close();
  });

  it('reasoning-route sends reasoning_effort to the cloud model', async () => {
    const completion = await stack.client.chat.completions.create({
      model: 'auto',
      messages: [{ role: 'user', content: 'Derive the closed form of the Fibonacci sequence.' }],
    });
    expect(lastBody(stack.cloud)).toEqual(expect.objectContaining({ model: CLOUD_MODEL, reasoning_effort: expect.stringMatching(/^(low|medium|high)$/) }));
    expect(completion.choices[0]?.message.content).toMatch(/reasoning_effort=(low|medium|high)/);
  });

  it('coding-route turns thinking off on the local qwen3 model', async () => {
    const completion = await stack.client.chat.completions.create({
      model: 'auto',
      messages: [{ role: 'user', content: 'Refactor this class to use composition.' }],
    });
    expect(lastBody(stack.local)).toEqual(expect.objectContaining({ chat_template_kwargs: { enable_thinking: false } }));
    expect(completion.choices[0]?.message.content).toContain('chat_template_kwargs={"enable_thinking":false}');
  });
});

describe('an explicit reasoning_family overrides the one inferred from the name', () => {
  let stack: E2eStack;

  beforeAll(async () => {
    stack = await startE2eStack({ reasoningFamilies: { [CLOUD_MODEL]: 'deepseek' } });
  });

  afterAll(async () => {
    await stack.close();
  });

  it('reasoning-route writes the deepseek chat-template flag, not reasoning_effort', async () => {
    await stack.client.chat.completions.create({ model: 'auto', messages: [{ role: 'user', content: 'Prove that 2+2=4.' }] });
    const body = lastBody(stack.cloud);
    expect(body['chat_template_kwargs']).toEqual({ thinking: true });
    expect(body).not.toHaveProperty('reasoning_effort');
  });
});
