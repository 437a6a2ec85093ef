import Anthropic from '@anthropic-ai/sdk';
import { CHAT_MODEL, CLAUDE_KEY, CLAUDE_MODEL, lastRequest, startApisStack, type ApisStack } from '../helpers/apis-stack.js';

const WEATHER_TOOL = {
  name: 'get_weather',
  description: 'The weather in a city',
  input_schema: { type: 'object' as const, properties: { text: { type: 'string' } }, required: ['text'] },
};

describe('Claude clients (the official @anthropic-ai/sdk) on POST /v1/messages', () => {
  let stack: ApisStack;

  beforeAll(async () => {
    stack = await startApisStack();
  });

  afterAll(async () => {
    await stack.close();
  });

  it('goes to a Claude backend as is, with the routed model, thinking from the decision and the configured key', async () => {
    const message = await stack.anthropic.messages.create({
      model: 'auto',
      max_tokens: 300,
      system: 'You are a poet.',
      messages: [{ role: 'user', content: 'Write a poem about routers' }],
    });
    expect(message.type).toBe('message');
    expect(message.model).toBe(CLAUDE_MODEL);
    const text = message.content.flatMap((block) => (block.type === 'text' ? [block.text] : [])).join('');
    expect(text).toContain(`[stub claude] model=${CLAUDE_MODEL}`);
    expect(text).toContain('system: You are a poet.');
    expect(message.usage.input_tokens).toBeGreaterThan(0);
    const sent = lastRequest(stack.claude);
    expect(sent.path).toBe('/v1/messages');
    expect(sent.headers['x-api-key']).toBe(CLAUDE_KEY);
    expect(sent.headers.authorization).toBeUndefined();
    expect(sent.body.thinking).toEqual({ type: 'enabled', budget_tokens: 2048 });
    expect(sent.body.max_tokens).toBe(2348);
  });

  it('is translated for an OpenAI-compatible backend, and the answer comes back as an Anthropic message', async () => {
    const message = await stack.anthropic.messages.create({
      model: 'auto',
      max_tokens: 100,
      system: [{ type: 'text', text: 'Be brief.' }],
      messages: [{ role: 'user', content: [{ type: 'text', text: 'What is the capital of France?' }] }],
    });
    expect(message.model).toBe(CHAT_MODEL);
    expect(message.stop_reason).toBe('end_turn');
    expect(message.content[0]).toEqual(expect.objectContaining({ type: 'text', text: expect.stringContaining(`[stub chat] model=${CHAT_MODEL}`) }));
    expect(message.usage.output_tokens).toBeGreaterThan(0);
    const sent = lastRequest(stack.chat);
    expect(sent.path).toBe('/v1/chat/completions');
    expect(sent.body.messages).toEqual([
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'What is the capital of France?' },
    ]);
    expect(sent.headers.authorization).toBe('Bearer client-anthropic-key');
    expect(sent.headers['x-api-key']).toBeUndefined();
  });

  it('streams a translated answer as Anthropic events, text delta by delta', async () => {
    const stream = stack.anthropic.messages.stream({ model: 'auto', max_tokens: 100, messages: [{ role: 'user', content: 'Say hello' }] });
    const deltas: string[] = [];
    stream.on('text', (delta) => deltas.push(delta));
    const message = await stream.finalMessage();
    expect(deltas.length).toBeGreaterThan(2);
    expect(deltas.join('')).toContain(`[stub chat] model=${CHAT_MODEL}`);
    expect(message.stop_reason).toBe('end_turn');
    expect(message.usage.output_tokens).toBeGreaterThan(0);
  });

  it('streams from a Claude backend untouched', async () => {
    const stream = await stack.anthropic.messages.create({ model: 'auto', max_tokens: 100, stream: true, messages: [{ role: 'user', content: 'An essay on bridges' }] });
    const types: string[] = [];
    let text = '';
    for await (const event of stream) {
      types.push(event.type);
      if (event.type === 'content_block_delta' && event.delta.type === 'text_delta') text += event.delta.text;
    }
    expect(types[0]).toBe('message_start');
    expect(types.at(-1)).toBe('message_stop');
    expect(text).toContain(`[stub claude] model=${CLAUDE_MODEL}`);
  });

  it.each([false, true])('runs a tool round trip through an OpenAI backend (stream: %s)', async (streamed) => {
    const question: Anthropic.MessageParam = { role: 'user', content: 'Weather in Paris?' };
    const ask = async (messages: Anthropic.MessageParam[], toolChoice: Anthropic.ToolChoice): Promise<Anthropic.Message> =>
      streamed
        ? stack.anthropic.messages.stream({ model: CHAT_MODEL, max_tokens: 100, tools: [WEATHER_TOOL], tool_choice: toolChoice, messages }).finalMessage()
        : stack.anthropic.messages.create({ model: CHAT_MODEL, max_tokens: 100, tools: [WEATHER_TOOL], tool_choice: toolChoice, messages });
    const first = await ask([question], { type: 'any' });
    expect(first.stop_reason).toBe('tool_use');
    const use = first.content.find((block): block is Anthropic.ToolUseBlock => block.type === 'tool_use');
    expect(use).toEqual(expect.objectContaining({ name: 'get_weather', input: { text: 'Weather in Paris?' } }));
    const sentTools = lastRequest(stack.chat).body;
    expect(sentTools.tools).toEqual([{ type: 'function', function: { name: 'get_weather', description: 'The weather in a city', parameters: WEATHER_TOOL.input_schema } }]);
    expect(sentTools.tool_choice).toBe('required');
    const second = await ask(
      [question, { role: 'assistant', content: first.content }, { role: 'user', content: [{ type: 'tool_result', tool_use_id: use!.id, content: 'sunny, 21 C' }] }],
      { type: 'auto' },
    );
    expect(second.content[0]).toEqual(expect.objectContaining({ type: 'text', text: expect.stringContaining('tool result: sunny, 21 C') }));
    expect((lastRequest(stack.chat).body.messages as unknown[]).slice(1)).toEqual([
      { role: 'assistant', content: null, tool_calls: [{ id: use!.id, type: 'function', function: { name: 'get_weather', arguments: '{"text":"Weather in Paris?"}' } }] },
      { role: 'tool', tool_call_id: use!.id, content: 'sunny, 21 C' },
    ]);
  });

  it('runs a tool round trip against a Claude backend', async () => {
    const message = await stack.anthropic.messages.create({
      model: CLAUDE_MODEL,
      max_tokens: 100,
      tools: [WEATHER_TOOL],
      tool_choice: { type: 'tool', name: 'get_weather' },
      messages: [{ role: 'user', content: 'Weather in Oslo?' }],
    });
    expect(message.content[0]).toEqual(expect.objectContaining({ type: 'tool_use', name: 'get_weather', input: { text: 'Weather in Oslo?' } }));
  });

  it('answers errors in Anthropic format with the right status', async () => {
    const missing = await stack.anthropic.messages.create({ model: 'nope', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] }).catch((error: unknown) => error);
    expect(missing).toBeInstanceOf(Anthropic.NotFoundError);
    expect((missing as InstanceType<typeof Anthropic.APIError>).error).toEqual({ type: 'error', error: { type: 'not_found_error', message: "The model 'nope' does not exist" } });
    const response = await fetch(`${stack.gatewayUrl}/v1/messages`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"model": "auto", "messages": []' });
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ type: 'error', error: { type: 'invalid_request_error', message: expect.stringContaining('not valid JSON') } });
  });

  it('answers the errors the router and the gateway make on /v1/messages in Anthropic format too', async () => {
    const anthropicError = (type: string) => ({ type: 'error', error: { type, message: expect.any(String) } });
    const wrongMethod = await stack.anthropic.get('/v1/messages').catch((error: unknown) => error);
    expect(wrongMethod).toBeInstanceOf(Anthropic.APIError);
    expect((wrongMethod as InstanceType<typeof Anthropic.APIError>).status).toBe(405);
    expect((wrongMethod as InstanceType<typeof Anthropic.APIError>).error).toEqual(anthropicError('invalid_request_error'));
    const noBody = await fetch(`${stack.gatewayUrl}/v1/messages`, { method: 'POST', headers: { 'content-type': 'application/json' } });
    expect(noBody.status).toBe(400);
    expect(await noBody.json()).toEqual(anthropicError('invalid_request_error'));
    const tooLarge = await fetch(`${stack.gatewayUrl}/messages`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: 'x'.repeat(17 * 1024 * 1024) });
    expect(tooLarge.status).toBe(413);
    expect(await tooLarge.json()).toEqual(anthropicError('request_too_large'));
  });
});
