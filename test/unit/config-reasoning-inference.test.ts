import { loadConfigText } from '../../src/config/load.js';
import { reasoningFamilyName } from '../../src/config/reasoning-family-inference.js';
import type { RuntimeConfig } from '../../src/config/runtime-config.js';
import { routeChatCompletion } from '../../src/router/route-request.js';
import type { RoutedRequest } from '../../src/router/route-result.js';
import { loadConfigOrThrow } from '../helpers/config-fixture.js';

describe('reasoning family inferred from the model name', () => {
  it.each([
    ['mlx-community/Qwen3-Coder-Next-4bit', 'qwen3'],
    ['Qwen/Qwen3-8B', 'qwen3'],
    ['qwen3:30b-a3b', 'qwen3'],
    ['deepseek-ai/DeepSeek-V3.1', 'deepseek'],
    ['openai/gpt-oss-20b', 'gpt-oss'],
    ['gpt-oss:120b', 'gpt-oss'],
    ['o1', 'gpt'],
    ['o3-mini', 'gpt'],
    ['openai/o4-mini', 'gpt'],
    ['gpt-5-mini', 'gpt'],
    ['gemini-2.5-pro', 'gemini'],
    ['gemini-2.5-flash', 'gemini'],
    ['models/gemini-3-pro-preview', 'gemini'],
    ['gemini-2.0-flash', undefined],
    ['gpt-4o', undefined],
    ['llama-3.1-8b-instruct', undefined],
    ['yolo1-large', undefined],
    ['claude-opus-4', undefined],
  ])('%s -> %s', (name, family) => {
    expect(reasoningFamilyName({ name })).toBe(family);
  });

  it('an explicit reasoning_family overrides the inference', () => {
    expect(reasoningFamilyName({ name: 'gemini-2.5-pro', reasoning_family: 'qwen3' })).toBe('qwen3');
  });
});

const HEADERS = new Map([[':path', '/v1/chat/completions'], [':method', 'POST']]);

async function routeText(config: RuntimeConfig, content: string): Promise<{ routed: RoutedRequest; body: Record<string, unknown>; headers: Map<string, string> }> {
  const result = await routeChatCompletion(config, Buffer.from(JSON.stringify({ model: 'auto', messages: [{ role: 'user', content }] })), HEADERS, new AbortController().signal);
  if (result.kind !== 'routed') throw new Error(`expected a routed request, got ${result.kind}`);
  return { routed: result, body: JSON.parse(result.body.toString()) as Record<string, unknown>, headers: new Map(result.responseHeaders) };
}

describe('the seed tutorial config (no reasoning_family anywhere) applies reasoning', () => {
  let config: RuntimeConfig;
  beforeAll(async () => {
    config = await loadConfigOrThrow();
  });
  afterAll(async () => {
    await config.close();
  });

  it('infers gemini for gemini-2.5-pro and qwen3 for the local Qwen3 model', () => {
    expect(config.models.get('gemini-2.5-pro')?.reasoningFamily).toEqual({ name: 'gemini', type: 'reasoning_effort', parameter: 'reasoning_effort' });
    expect(config.models.get('mlx-community/Qwen3-Coder-Next-4bit')?.reasoningFamily?.name).toBe('qwen3');
  });

  it('the reasoning route sends reasoning_effort to Gemini and says reasoning is on', async () => {
    const { body, headers, routed } = await routeText(config, 'Prove by induction that the sum 1+2+...+n = n(n+1)/2.');
    expect(routed.trace).toMatchObject({ decision: 'reasoning-route', model: 'gemini-2.5-pro', reasoning: true });
    expect(body['reasoning_effort']).toBe(config.defaultReasoningEffort);
    expect(headers.get('x-vsr-selected-reasoning')).toBe('on');
  });

  it('the coding route turns Qwen3 thinking off explicitly', async () => {
    const { body, headers } = await routeText(config, 'Implement a function that finds the longest palindromic substring.');
    expect(body['chat_template_kwargs']).toEqual({ enable_thinking: false });
    expect(headers.get('x-vsr-selected-reasoning')).toBe('off');
  });
});

const NO_FAMILY_CONFIG = `version: v0.1
providers:
  models:
    - name: "llama-local"
      endpoints: [{name: "a", weight: 1, endpoint: "127.0.0.1:8000", protocol: "http"}]
    - name: "mistral-small"
      endpoints: [{name: "b", weight: 1, endpoint: "127.0.0.1:8001", protocol: "http"}]
  default_model: "llama-local"
signals:
  keywords:
    - {name: "hard", operator: "OR", keywords: ["prove"]}
decisions:
  - name: "think"
    priority: 10
    rules: {operator: "OR", conditions: [{type: "keyword", name: "hard"}]}
    modelRefs: [{model: "llama-local", use_reasoning: true}]
  - name: "plain"
    priority: 1
    rules: {operator: "AND", conditions: []}
    modelRefs: [{model: "mistral-small", use_reasoning: false}]
`;

describe('a model asked to reason with no family, given or inferred', () => {
  it('validate warns at the model line, and only for models some decision asks to reason', async () => {
    const { config, diagnostics } = await loadConfigText(NO_FAMILY_CONFIG, 'no-family.yaml', { env: {} });
    await config?.close();
    expect(config).toBeDefined();
    expect(diagnostics).toEqual([
      expect.objectContaining({ file: 'no-family.yaml', line: 4, col: 13, severity: 'warning', code: 'SY_CFG_NO_REASONING_FAMILY' }),
    ]);
    expect(diagnostics[0]?.message).toContain('"llama-local" has use_reasoning: true in decision "think"');
  });

  it('goes out without reasoning fields and the header does not claim reasoning was switched on', async () => {
    const { config } = await loadConfigText(NO_FAMILY_CONFIG, 'no-family.yaml', { env: {} });
    if (config === undefined) throw new Error('config did not load');
    try {
      const { body, headers, routed } = await routeText(config, 'prove it');
      expect(routed.trace).toMatchObject({ decision: 'think', model: 'llama-local', reasoning: false });
      expect(body).toEqual({ model: 'llama-local', messages: [{ role: 'user', content: 'prove it' }] });
      expect(headers.get('x-vsr-selected-reasoning')).toBe('off');
    } finally {
      await config.close();
    }
  });
});
