import OpenAI from 'openai';
import { CLAUDE_KEY, CLAUDE_MODEL, KEYLESS_CLAUDE_MODEL, lastRequest, startApisStack, type ApisStack } from '../helpers/apis-stack.js';

const TOOL: OpenAI.Chat.ChatCompletionTool = {
  type: 'function',
  function: { name: 'lookup', description: 'Looks a word up', parameters: { type: 'object', properties: { text: { type: 'string' } } } },
};

describe('chat completion clients (the openai SDK) on a Claude backend (api_format: anthropic)', () => {
  let stack: ApisStack;

  beforeAll(async () => {
    stack = await startApisStack();
  });

  afterAll(async () => {
    await stack.close();
  });

  it('sends a Messages request and answers a chat completion with usage', async () => {
    const completion = await stack.openai.chat.completions.create({
      model: 'auto',
      max_tokens: 50,
      stop: 'END',
      messages: [
        { role: 'system', content: 'You write verse.' },
        { role: 'user', content: [{ type: 'text', text: 'A poem about the sea' }, { type: 'image_url', image_url: { url: 'https://example.com/sea.png' } }] },
      ],
    });
    expect(completion.object).toBe('chat.completion');
    expect(completion.model).toBe(CLAUDE_MODEL);
    expect(completion.choices[0]?.finish_reason).toBe('stop');
    expect(completion.choices[0]?.message.content).toContain(`[stub claude] model=${CLAUDE_MODEL}`);
    expect(completion.usage).toEqual(expect.objectContaining({ prompt_tokens: expect.any(Number), completion_tokens: expect.any(Number) }));
    const sent = lastRequest(stack.claude);
    expect(sent.path).toBe('/v1/messages');
    expect(sent.headers['x-api-key']).toBe(CLAUDE_KEY);
    expect(sent.headers['anthropic-version']).toBe('2023-06-01');
    expect(sent.headers.authorization).toBeUndefined();
    expect(sent.body).toEqual({
      model: CLAUDE_MODEL,
      max_tokens: 2098,
      system: 'You write verse.',
      messages: [{ role: 'user', content: [{ type: 'text', text: 'A poem about the sea' }, { type: 'image', source: { type: 'url', url: 'https://example.com/sea.png' } }] }],
      stop_sequences: ['END'],
      thinking: { type: 'enabled', budget_tokens: 2048 },
    });
  });

  it('streams the answer as chat chunks, with the usage chunk asked for', async () => {
    const stream = await stack.openai.chat.completions.create({ model: 'auto', stream: true, stream_options: { include_usage: true }, messages: [{ role: 'user', content: 'An essay on trains' }] });
    let content = '';
    let chunks = 0;
    let usage: unknown;
    let finish: string | null | undefined;
    for await (const chunk of stream) {
      chunks += 1;
      content += chunk.choices[0]?.delta.content ?? '';
      finish ??= chunk.choices[0]?.finish_reason;
      if (chunk.usage) usage = chunk.usage;
    }
    expect(chunks).toBeGreaterThan(3);
    expect(content).toContain(`[stub claude] model=${CLAUDE_MODEL}`);
    expect(finish).toBe('stop');
    expect(usage).toEqual(expect.objectContaining({ prompt_tokens: expect.any(Number), completion_tokens: expect.any(Number) }));
  });

  it.each([false, true])('turns a required tool into tool_use and back into tool_calls (stream: %s)', async (streamed) => {
    const request = { model: CLAUDE_MODEL, tools: [TOOL], tool_choice: 'required' as const, messages: [{ role: 'user' as const, content: 'Look up "harbour"' }] };
    let calls: OpenAI.Chat.ChatCompletionMessageToolCall[] = [];
    if (streamed) {
      const stream = stack.openai.chat.completions.stream(request);
      calls = (await stream.finalChatCompletion()).choices[0]?.message.tool_calls ?? [];
    } else {
      calls = (await stack.openai.chat.completions.create(request)).choices[0]?.message.tool_calls ?? [];
    }
    expect(calls).toEqual([expect.objectContaining({ type: 'function', function: { name: 'lookup', arguments: '{"text":"Look up \\"harbour\\""}' } })]);
    expect(lastRequest(stack.claude).body.tool_choice).toEqual({ type: 'any' });
    expect(lastRequest(stack.claude).body.tools).toEqual([{ name: 'lookup', description: 'Looks a word up', input_schema: TOOL.function.parameters }]);
  });

  it('passes the client credential as x-api-key when the model has no key, and maps an Anthropic error to an OpenAI one', async () => {
    await stack.openai.chat.completions.create({ model: KEYLESS_CLAUDE_MODEL, messages: [{ role: 'user', content: 'hi' }] });
    expect(lastRequest(stack.claude).headers['x-api-key']).toBe('client-key');
    const response = await fetch(`${stack.gatewayUrl}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: KEYLESS_CLAUDE_MODEL, messages: [{ role: 'user', content: 'hi' }] }),
    });
    expect(response.status).toBe(401);
    expect(await response.json()).toEqual({ error: { message: 'x-api-key header is required', type: 'authentication_error', param: null, code: 'authentication_error' } });
  });
});
