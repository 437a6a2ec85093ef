import type { ModelTarget, RuntimeConfig } from '../../src/config/runtime-config.js';
import type { DecisionSpec } from '../../src/decisions/decision.js';
import type { ImmediateReply, RouteResult, RoutedRequest } from '../../src/router/route-result.js';
import { routeChatCompletion } from '../../src/router/route-request.js';
import {
  GEMINI_KEY,
  GEMINI_MODEL,
  jsonBody,
  LOCAL_MODEL,
  requestBody,
  SEED_DECISIONS,
  SEED_MODELS,
  seedRuntimeConfig,
} from '../fixtures/requests/seed-config.js';

const CHAT_HEADERS = new Map([[':path', '/v1/chat/completions'], [':method', 'POST'], ['authorization', 'Bearer client']]);

function route(config: RuntimeConfig, body: Buffer, random?: () => number): Promise<RouteResult> {
  return routeChatCompletion(config, body, CHAT_HEADERS, new AbortController().signal, random);
}

function routed(result: RouteResult): RoutedRequest {
  if (result.kind !== 'routed') throw new Error(`expected a routed request, got ${JSON.stringify(result)}`);
  return result;
}

function immediate(result: RouteResult): ImmediateReply & { json: { error: Record<string, unknown> } } {
  if (result.kind !== 'immediate') throw new Error(`expected an immediate reply, got ${result.kind}`);
  return { ...result, json: JSON.parse(result.body.toString()) };
}

const requestHeaderMap = (result: RoutedRequest) => new Map(result.requestHeaders.set);
const responseHeaderMap = (result: RoutedRequest) => new Map(result.responseHeaders);

describe('routeChatCompletion on the seed tutorial config', () => {
  let config: RuntimeConfig;
  beforeAll(async () => {
    config = await seedRuntimeConfig();
  });

  it('sends a simple question to the local model by default-route', async () => {
    const result = routed(await route(config, requestBody('seed-simple.json')));
    expect(result.trace).toEqual({ decision: 'default-route', model: LOCAL_MODEL, reasoning: false, reasoningEffort: 'high', blocked: false, signals: {}, confidence: 1 });
    expect(result.responseHeaders).toEqual([
      ['x-vsr-selected-model', LOCAL_MODEL],
      ['x-vsr-selected-decision', 'default-route'],
      ['x-vsr-selected-confidence', '1.0000'],
      ['x-vsr-selected-reasoning', 'off'],
      ['x-vsr-cache-hit', 'false'],
    ]);
    const headers = requestHeaderMap(result);
    expect(headers.get('x-selected-model')).toBe(LOCAL_MODEL);
    expect(headers.get('x-switchyard-cluster')).toBe('mlx-local');
    expect(headers.get('x-vsr-destination-endpoint')).toBe('host.containers.internal:8000');
    // No access key and no path prefix: the client's authorization and path stay.
    expect(headers.has('authorization')).toBe(false);
    expect(headers.has(':path')).toBe(false);
    expect(result.stream).toBe(false);
  });

  it('sends a coding request to the local model by coding-route', async () => {
    const result = routed(await route(config, requestBody('seed-coding.json')));
    expect(result.trace).toMatchObject({ decision: 'coding-route', model: LOCAL_MODEL, reasoning: false, signals: { keyword: ['coding_keywords'] } });
    const headers = responseHeaderMap(result);
    expect(headers.get('x-vsr-selected-decision')).toBe('coding-route');
    expect(headers.get('x-vsr-matched-keywords')).toBe('coding_keywords');
    expect(headers.get('x-vsr-selected-confidence')).toBe('1.0000');
  });

  it('sends a proof to Gemini by reasoning-route, with key and provider path; a model without a family reports reasoning off', async () => {
    const original = requestBody('seed-reasoning.json');
    const result = routed(await route(config, original));
    expect(result.trace).toEqual({
      decision: 'reasoning-route',
      model: GEMINI_MODEL,
      // This hand-built config gives Gemini no reasoning family, so use_reasoning cannot be applied.
      reasoning: false,
      // The effort routing chose (default_reasoning_effort), which it would ask for with reasoning on.
      reasoningEffort: 'high',
      blocked: false,
      signals: { keyword: ['reasoning_keywords'] },
      confidence: 1,
    });
    const headers = requestHeaderMap(result);
    expect(headers.get(':path')).toBe('/v1beta/openai/chat/completions');
    expect(headers.get('authorization')).toBe(`Bearer ${GEMINI_KEY}`);
    expect(headers.get('x-vsr-destination-endpoint')).toBe('generativelanguage.googleapis.com:443');
    expect(headers.get('x-switchyard-cluster')).toBe('gemini-primary');
    expect(headers.get('content-length')).toBe(String(result.body.length));
    expect(responseHeaderMap(result).get('x-vsr-selected-reasoning')).toBe('off');
    expect(responseHeaderMap(result).get('x-vsr-matched-keywords')).toBe('reasoning_keywords');
    expect(result.stream).toBe(true);
    // Only `model` changes (Gemini has no reasoning family); other fields keep their values and order.
    expect(JSON.parse(result.body.toString())).toEqual({ ...JSON.parse(original.toString()), model: GEMINI_MODEL });
    expect(Object.keys(JSON.parse(result.body.toString()))).toEqual(['model', 'messages', 'max_tokens', 'temperature', 'stream']);
  });

  it('counts content-length in bytes, not characters', async () => {
    const result = routed(await route(config, jsonBody({ model: 'auto', messages: [{ role: 'user', content: 'Prove le théorème 数学' }] })));
    expect(result.trace.model).toBe(GEMINI_MODEL);
    expect(requestHeaderMap(result).get('content-length')).toBe(String(Buffer.byteLength(result.body.toString(), 'utf8')));
    expect(result.body.length).toBeGreaterThan(result.body.toString().length);
  });

  it('routes on the last user message and accepts text content parts', async () => {
    const body = jsonBody({
      model: 'MoM',
      messages: [
        { role: 'user', content: 'prove this theorem' },
        { role: 'assistant', content: null },
        { role: 'user', content: [{ type: 'text', text: 'now' }, { type: 'image_url', image_url: { url: 'x' } }, { type: 'text', text: 'refactor it' }] },
      ],
    });
    expect(routed(await route(config, body)).trace).toMatchObject({ decision: 'coding-route', signals: { keyword: ['coding_keywords'] } });
  });

  it('reports every matched keyword rule while the higher priority decision wins', async () => {
    const body = jsonBody({ model: 'auto', messages: [{ role: 'user', content: 'Prove this function terminates' }] });
    const result = routed(await route(config, body));
    expect(result.trace.decision).toBe('reasoning-route');
    expect(responseHeaderMap(result).get('x-vsr-matched-keywords')).toBe('reasoning_keywords,coding_keywords');
  });

  it('sends an explicitly named model there unrouted, body untouched', async () => {
    const original = jsonBody({ model: GEMINI_MODEL, messages: [{ role: 'user', content: 'implement quicksort' }], chat_template_kwargs: { x: 1 } });
    const result = routed(await route(config, original));
    expect(result.trace).toEqual({ decision: null, model: GEMINI_MODEL, reasoning: false, blocked: false, signals: {}, confidence: 1 });
    expect(result.body).toBe(original);
    expect(requestHeaderMap(result).get('content-length')).toBe(String(original.length));
    expect(requestHeaderMap(result).get('authorization')).toBe(`Bearer ${GEMINI_KEY}`);
    expect(result.responseHeaders).toEqual([
      ['x-vsr-selected-model', GEMINI_MODEL],
      ['x-vsr-selected-confidence', '1.0000'],
      ['x-vsr-cache-hit', 'false'],
    ]);
  });

  it('uses the original :path, or the OpenAI default when none is known', async () => {
    const body = requestBody('seed-reasoning.json');
    const withQuery = await routeChatCompletion(config, body, new Map([[':path', '/v1/chat/completions?x=1']]), new AbortController().signal);
    expect(requestHeaderMap(routed(withQuery)).get(':path')).toBe('/v1beta/openai/chat/completions?x=1');
    const noPath = await routeChatCompletion(config, body, new Map(), new AbortController().signal);
    expect(requestHeaderMap(routed(noPath)).get(':path')).toBe('/v1beta/openai/chat/completions');
  });
});

describe('routeChatCompletion errors', () => {
  let config: RuntimeConfig;
  beforeAll(async () => {
    config = await seedRuntimeConfig({ maxRequestBodyBytes: 200 });
  });

  it('answers 413 for a body over the limit', async () => {
    const reply = immediate(await route(config, Buffer.alloc(201, 0x20)));
    expect(reply.status).toBe(413);
    expect(reply.headers).toEqual([['content-type', 'application/json']]);
    expect(reply.json.error).toMatchObject({ code: 'request_too_large', type: 'invalid_request_error' });
    expect(reply.json.error.message).toContain('201 bytes');
  });

  it('accepts a body exactly at the limit', async () => {
    const request = jsonBody({ model: 'auto', messages: [{ role: 'user', content: 'hi' }] });
    // JSON allows trailing whitespace, so padding makes a valid body of exactly 200 bytes.
    const exact = Buffer.concat([request, Buffer.alloc(200 - request.length, 0x20)]);
    expect(exact.length).toBe(200);
    expect((await route(config, exact)).kind).toBe('routed');
  });

  it('answers 400 with the parse position for malformed JSON', async () => {
    const reply = immediate(await route(config, Buffer.from('{"model":"auto","messages":}')));
    expect(reply.status).toBe(400);
    expect(reply.json.error).toMatchObject({ code: 'invalid_json', param: null });
    expect(reply.json.error.message).toMatch(/at position 27/);
  });

  it.each([
    ['a non-object body', '[1,2]', null, 'invalid_value'],
    ['missing model', '{"messages":[{"role":"user","content":"hi"}]}', 'model', 'missing_required_parameter'],
    ['non-string model', '{"model":7,"messages":[{"role":"user","content":"hi"}]}', 'model', 'invalid_value'],
    ['missing messages', '{"model":"auto"}', 'messages', 'missing_required_parameter'],
    ['empty messages', '{"model":"auto","messages":[]}', 'messages', 'invalid_value'],
    ['non-array messages', '{"model":"auto","messages":"hi"}', 'messages', 'invalid_value'],
    ['a non-object message', '{"model":"auto","messages":["hi"]}', 'messages[0]', 'invalid_value'],
    ['a message without role', '{"model":"auto","messages":[{"role":"user","content":"a"},{"content":"b"}]}', 'messages[1].role', 'invalid_value'],
    ['a numeric content', '{"model":"auto","messages":[{"role":"user","content":"a"},{"role":"user","content":"b"},{"role":"user","content":5}]}', 'messages[2].content', 'invalid_value'],
    ['a bad content part', '{"model":"auto","messages":[{"role":"user","content":[{"type":"text","text":"a"},"b"]}]}', 'messages[0].content[1]', 'invalid_value'],
    ['a text part without text', '{"model":"auto","messages":[{"role":"user","content":[{"type":"text"}]}]}', 'messages[0].content[0].text', 'invalid_value'],
    ['a part without type', '{"model":"auto","messages":[{"role":"user","content":[{"text":"a"}]}]}', 'messages[0].content[0].type', 'invalid_value'],
    ['a non-boolean stream', '{"model":"auto","stream":"yes","messages":[{"role":"user","content":"a"}]}', 'stream', 'invalid_value'],
  ])('answers 400 for %s', async (_, body, param, code) => {
    const reply = immediate(await route(config, Buffer.from(body)));
    expect(reply.status).toBe(400);
    expect(reply.json.error).toMatchObject({ param, code, type: 'invalid_request_error' });
    expect(reply.details).toMatch(/^sy_err_request_/);
  });

  it('answers 404 naming an unknown model', async () => {
    const reply = immediate(await route(config, jsonBody({ model: 'gpt-9', messages: [{ role: 'user', content: 'hi' }] })));
    expect(reply.status).toBe(404);
    expect(reply.json.error).toMatchObject({ code: 'model_not_found', param: 'model' });
    expect(reply.json.error.message).toContain("'gpt-9'");
  });

  it('throws what is not a RouterError for the transport to handle', async () => {
    const broken: RuntimeConfig = {
      ...config,
      signals: { types: [], evaluate: () => Promise.reject(new TypeError('bug')), warmUp: () => Promise.resolve() },
    };
    await expect(route(broken, jsonBody({ model: 'auto', messages: [{ role: 'user', content: 'hi' }] }))).rejects.toThrow('bug');
  });
});

describe('routeChatCompletion model choice', () => {
  const hi = jsonBody({ model: 'auto', messages: [{ role: 'user', content: 'hello there' }] });

  it('falls back to the default model, reasoning off and no decision header, when nothing matches', async () => {
    const config = await seedRuntimeConfig({ decisions: SEED_DECISIONS.filter((d) => d.name !== 'default-route') });
    const result = routed(await route(config, hi));
    expect(result.trace).toMatchObject({ decision: null, model: LOCAL_MODEL, reasoning: false, confidence: 0 });
    expect(responseHeaderMap(result).has('x-vsr-selected-decision')).toBe(false);
    expect(responseHeaderMap(result).get('x-vsr-selected-confidence')).toBe('0.0000');
  });

  it('falls back to the default model for a matched decision without modelRefs', async () => {
    const empty: DecisionSpec = { name: 'empty', priority: 1, rule: { kind: 'and', children: [] }, modelRefs: [], plugins: [] };
    const result = routed(await route(await seedRuntimeConfig({ decisions: [empty] }), hi));
    expect(result.trace).toMatchObject({ decision: 'empty', model: LOCAL_MODEL, reasoning: false });
  });

  it('answers 503 when routing names a model the config lacks', async () => {
    const ghost: DecisionSpec = { name: 'ghost', priority: 1, rule: { kind: 'and', children: [] }, modelRefs: [{ model: 'nope', useReasoning: false }], plugins: [] };
    const reply = immediate(await route(await seedRuntimeConfig({ decisions: [ghost] }), hi));
    expect(reply.status).toBe(503);
    expect(reply.json.error).toMatchObject({ code: 'no_route' });
  });

  it('picks endpoints by weight with the injected random', async () => {
    const local = SEED_MODELS[0]!;
    const weighted: ModelTarget = {
      ...local,
      endpoints: [
        { ...local.endpoints[0]!, name: 'a', weight: 1, host: 'a.local', cluster: 'a' },
        { ...local.endpoints[0]!, name: 'b', weight: 3, host: 'b.local', cluster: 'b' },
      ],
    };
    const config = await seedRuntimeConfig({ models: [weighted, SEED_MODELS[1]!] });
    const cluster = async (r: number) => requestHeaderMap(routed(await route(config, hi, () => r))).get('x-switchyard-cluster');
    expect(await cluster(0)).toBe('a');
    expect(await cluster(0.2499)).toBe('a');
    expect(await cluster(0.25)).toBe('b');
    expect(await cluster(0.9999)).toBe('b');
  });

  it("prefers the picked endpoint's access key over the model's", async () => {
    const gemini = SEED_MODELS[1]!;
    const twoKeys: ModelTarget = {
      ...gemini,
      endpoints: [
        { ...gemini.endpoints[0]!, name: 'own-key', accessKey: 'endpoint-key' },
        { ...gemini.endpoints[0]!, name: 'model-key' },
      ],
    };
    const config = await seedRuntimeConfig({ models: [SEED_MODELS[0]!, twoKeys] });
    const proof = requestBody('seed-reasoning.json');
    expect(requestHeaderMap(routed(await route(config, proof, () => 0))).get('authorization')).toBe('Bearer endpoint-key');
    expect(requestHeaderMap(routed(await route(config, proof, () => 0.9))).get('authorization')).toBe(`Bearer ${GEMINI_KEY}`);
  });

  it('writes reasoning for the chosen model family into the body', async () => {
    const local = SEED_MODELS[0]!;
    const qwen: ModelTarget = { ...local, reasoningFamily: { name: 'qwen3', type: 'chat_template_kwargs', parameter: 'enable_thinking' } };
    const gptOss: ModelTarget = { ...SEED_MODELS[1]!, reasoningFamily: { name: 'gpt-oss', type: 'reasoning_effort', parameter: 'reasoning_effort' } };
    const config = await seedRuntimeConfig({ models: [qwen, gptOss], defaultReasoningEffort: 'medium' });
    const proof = routed(await route(config, requestBody('seed-reasoning.json')));
    expect(JSON.parse(proof.body.toString())).toMatchObject({ model: GEMINI_MODEL, reasoning_effort: 'medium' });
    const coding = routed(await route(config, jsonBody({ model: 'auto', messages: [{ role: 'user', content: 'debug it' }], chat_template_kwargs: { keep: 1 } })));
    expect(JSON.parse(coding.body.toString()).chat_template_kwargs).toEqual({ keep: 1, enable_thinking: false });
    expect(requestHeaderMap(coding).get('content-length')).toBe(String(coding.body.length));
  });
});
