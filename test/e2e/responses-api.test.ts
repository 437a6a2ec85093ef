import OpenAI from 'openai';
import { CHAT_MODEL, CLAUDE_MODEL, lastRequest, OPENAI_KEY, RESPONSES_MODEL, startApisStack, type ApisStack } from '../helpers/apis-stack.js';

describe('the Responses API (the official openai SDK) on POST /v1/responses', () => {
  let stack: ApisStack;

  beforeAll(async () => {
    stack = await startApisStack();
  });

  afterAll(async () => {
    await stack.close();
  });

  it('is translated to chat for a chat-only backend and answers a response object', async () => {
    const response = await stack.openai.responses.create({ model: 'auto', instructions: 'Answer briefly.', input: 'What is the capital of Peru?' });
    expect(response.object).toBe('response');
    expect(response.id).toMatch(/^resp_/);
    expect(response.status).toBe('completed');
    expect(response.model).toBe(CHAT_MODEL);
    expect(response.output_text).toContain(`[stub chat] model=${CHAT_MODEL}`);
    expect(response.output_text).toContain('system: Answer briefly.');
    expect(response.usage?.total_tokens).toBeGreaterThan(0);
    const sent = lastRequest(stack.chat);
    expect(sent.path).toBe('/v1/chat/completions');
    expect(sent.body.messages).toEqual([
      { role: 'system', content: 'Answer briefly.' },
      { role: 'user', content: 'What is the capital of Peru?' },
    ]);
    expect(sent.body.chat_template_kwargs).toEqual({ enable_thinking: false });
  });

  it('streams translated events delta by delta, ending in response.completed with usage', async () => {
    const stream = await stack.openai.responses.create({ model: 'auto', input: 'Name three rivers', stream: true });
    const types: string[] = [];
    let text = '';
    let completed: OpenAI.Responses.Response | undefined;
    for await (const event of stream) {
      types.push(event.type);
      if (event.type === 'response.output_text.delta') text += event.delta;
      if (event.type === 'response.completed') completed = event.response;
    }
    expect(types.slice(0, 2)).toEqual(['response.created', 'response.in_progress']);
    expect(types.filter((type) => type === 'response.output_text.delta').length).toBeGreaterThan(2);
    expect(types.at(-1)).toBe('response.completed');
    expect(text).toContain(`[stub chat] model=${CHAT_MODEL}`);
    expect(completed?.usage?.output_tokens).toBeGreaterThan(0);
    expect(completed?.output_text ?? completed?.output[0]).toBeDefined();
  });

  it('goes as is to a backend that speaks the API, with the routed model and reasoning effort', async () => {
    const response = await stack.openai.responses.create({ model: 'auto', input: 'Prove that there are infinitely many primes', reasoning: { effort: 'low' } });
    expect(response.model).toBe(RESPONSES_MODEL);
    expect(response.output_text).toContain(`[stub responses] model=${RESPONSES_MODEL}`);
    const sent = lastRequest(stack.responses);
    expect(sent.path).toBe('/v1/responses');
    expect(sent.headers.authorization).toBe(`Bearer ${OPENAI_KEY}`);
    expect(sent.body.reasoning).toEqual({ effort: 'high' });
    expect(sent.body.model).toBe(RESPONSES_MODEL);
  });

  it('streams from a backend that speaks the API untouched', async () => {
    const stream = await stack.openai.responses.create({ model: RESPONSES_MODEL, input: 'Hello there', stream: true });
    let text = '';
    for await (const event of stream) if (event.type === 'response.output_text.delta') text += event.delta;
    expect(text).toContain(`[stub responses] model=${RESPONSES_MODEL}`);
  });

  it('is translated to Anthropic Messages for a Claude backend, streamed', async () => {
    const stream = await stack.openai.responses.create({ model: 'auto', input: 'A poem about rain', stream: true });
    let text = '';
    let completed: OpenAI.Responses.Response | undefined;
    for await (const event of stream) {
      if (event.type === 'response.output_text.delta') text += event.delta;
      if (event.type === 'response.completed') completed = event.response;
    }
    expect(text).toContain(`[stub claude] model=${CLAUDE_MODEL}`);
    expect(completed?.usage?.input_tokens).toBeGreaterThan(0);
    expect(lastRequest(stack.claude).path).toBe('/v1/messages');
  });

  it.each([
    ['a chat-only backend', CHAT_MODEL, false],
    ['a chat-only backend, streamed', CHAT_MODEL, true],
    ['a backend that speaks the API', RESPONSES_MODEL, false],
    ['a Claude backend, streamed', CLAUDE_MODEL, true],
  ])('continues a conversation with previous_response_id on %s', async (_what, model, streamed) => {
    const first = await stack.openai.responses.create({ model, input: 'My name is Ada.' });
    let secondText = '';
    if (streamed) {
      const stream = await stack.openai.responses.create({ model, input: 'What is my name?', previous_response_id: first.id, stream: true });
      for await (const event of stream) if (event.type === 'response.output_text.delta') secondText += event.delta;
    } else {
      secondText = (await stack.openai.responses.create({ model, input: 'What is my name?', previous_response_id: first.id })).output_text;
    }
    expect(secondText).toContain('user: What is my name?');
    const stub = model === CHAT_MODEL ? stack.chat : model === CLAUDE_MODEL ? stack.claude : stack.responses;
    const sent = lastRequest(stub).body;
    expect(sent.previous_response_id).toBeUndefined();
    // The stored turn is spelled out for the backend: the first question and its answer come first.
    expect(JSON.stringify(sent)).toContain('My name is Ada.');
    expect(JSON.stringify(sent)).toContain(first.output_text.slice(0, 20));
  });

  it('answers GET /v1/responses/{id} and /input_items from the store', async () => {
    const created = await stack.openai.responses.create({ model: 'auto', input: [{ role: 'user', content: [{ type: 'input_text', text: 'Remember this' }] }] });
    const fetched = await stack.openai.responses.retrieve(created.id);
    expect(fetched.id).toBe(created.id);
    expect(fetched.output_text).toBe(created.output_text);
    const items: unknown[] = [];
    for await (const item of stack.openai.responses.inputItems.list(created.id)) items.push(item);
    expect(items).toEqual([expect.objectContaining({ type: 'message', role: 'user', content: [{ type: 'input_text', text: 'Remember this' }] })]);
    const missing = await stack.openai.responses.retrieve('resp_unknown').catch((error: unknown) => error);
    expect(missing).toBeInstanceOf(OpenAI.NotFoundError);
  });

  it('refuses an unknown previous_response_id with a 400 naming the field', async () => {
    const error = await stack.openai.responses.create({ model: 'auto', input: 'hi', previous_response_id: 'resp_nope' }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect((error as InstanceType<typeof OpenAI.APIError>).param).toBe('previous_response_id');
  });

  it('refuses a request without input, OpenAI-style', async () => {
    const response = await fetch(`${stack.gatewayUrl}/v1/responses`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'auto' }) });
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ error: expect.objectContaining({ param: 'input', type: 'invalid_request_error' }) });
  });

  it('deletes a stored response (DELETE /v1/responses/{id}), and 404s an unknown one', async () => {
    const created = await stack.openai.responses.create({ model: 'auto', input: 'Forget this' });
    // The SDK types the answer as void, but hands back the parsed body.
    await expect(stack.openai.responses.delete(created.id)).resolves.toEqual({ id: created.id, object: 'response', deleted: true });
    await expect(stack.openai.responses.retrieve(created.id)).rejects.toBeInstanceOf(OpenAI.NotFoundError);
    await expect(stack.openai.responses.delete(created.id)).rejects.toBeInstanceOf(OpenAI.NotFoundError);
    const again = await stack.openai.responses.create({ model: 'auto', input: 'And this' });
    const response = await fetch(`${stack.gatewayUrl}/v1/responses/${again.id}`, { method: 'DELETE' });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ id: again.id, object: 'response', deleted: true });
    const unknown = await fetch(`${stack.gatewayUrl}/responses/resp_unknown`, { method: 'DELETE' });
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toEqual({ error: expect.objectContaining({ type: 'invalid_request_error', message: "Response with id 'resp_unknown' not found." }) });
  });
});
