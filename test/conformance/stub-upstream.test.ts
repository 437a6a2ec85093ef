import { afterEach, describe, expect, it } from '@jest/globals';
import { startStubUpstream, type StubUpstream } from '../../src/upstream-stub/stub-upstream.js';
import { sendRequest } from './gateway-harness.js';

describe('stub upstream (the OpenAI-compatible server behind the conformance tests)', () => {
  let stub: StubUpstream | undefined;
  afterEach(async () => {
    await stub?.close();
    stub = undefined;
  });

  const request = {
    model: 'qwen3',
    messages: [
      { role: 'system', content: 'be brief' },
      { role: 'user', content: 'first' },
      { role: 'user', content: [{ type: 'text', text: 'last question' }] },
    ],
    chat_template_kwargs: { enable_thinking: true },
    reasoning_effort: 'high',
  };

  it('answers a chat completion naming itself and the requested model, echoing reasoning, system prompt and last user message', async () => {
    stub = await startStubUpstream({ port: 0, model: 'stub-a' });
    const response = await sendRequest(stub.port, { body: JSON.stringify(request), headers: { 'content-type': 'application/json' } });
    expect(response.status).toBe(200);
    const completion = JSON.parse(response.body);
    expect(completion.object).toBe('chat.completion');
    const text: string = completion.choices[0].message.content;
    expect(text).toContain('[stub stub-a] model=qwen3');
    expect(text).toContain('chat_template_kwargs={"enable_thinking":true}; reasoning_effort=high');
    expect(text).toContain('system: be brief');
    expect(text).toContain('user: last question');
    expect(completion.usage.total_tokens).toBe(completion.usage.prompt_tokens + completion.usage.completion_tokens);
    expect(stub.requests[0]!.headers['content-type']).toBe('application/json');
  });

  it('streams SSE: role delta first, content chunks, finish_reason stop, usage chunk with empty choices, [DONE]', async () => {
    stub = await startStubUpstream({ port: 0, model: 'stub-a' });
    const response = await sendRequest(stub.port, { body: JSON.stringify({ ...request, stream: true, stream_options: { include_usage: true } }) });
    expect(response.headers['content-type']).toBe('text/event-stream');
    const events = response.body.split('\n\n').filter((event) => event.length > 0).map((event) => event.replace(/^data: /, ''));
    expect(events[events.length - 1]).toBe('[DONE]');
    const chunks = events.slice(0, -1).map((event) => JSON.parse(event));
    expect(chunks[0].choices[0].delta.role).toBe('assistant');
    const content = chunks.filter((chunk) => chunk.choices[0]?.delta?.content).map((chunk) => chunk.choices[0].delta.content);
    expect(content.length).toBeGreaterThan(1);
    expect(content.join('')).toContain('user: last question');
    expect(chunks[chunks.length - 2].choices[0].finish_reason).toBe('stop');
    expect(chunks[chunks.length - 1].choices).toEqual([]);
    expect(chunks[chunks.length - 1].usage.total_tokens).toBeGreaterThan(0);
  });

  it('leaves the usage chunk out unless stream_options.include_usage is set', async () => {
    stub = await startStubUpstream({ port: 0, model: 'stub-a' });
    const response = await sendRequest(stub.port, { body: JSON.stringify({ ...request, stream: true }) });
    expect(response.body).not.toContain('"usage"');
  });

  it('lists its model on GET /v1/models', async () => {
    stub = await startStubUpstream({ port: 0, model: 'stub-a' });
    const response = await sendRequest(stub.port, { method: 'GET', path: '/v1/models' });
    expect(JSON.parse(response.body).data[0].id).toBe('stub-a');
  });

  it('answers invalid JSON with a 400 OpenAI error', async () => {
    stub = await startStubUpstream({ port: 0, model: 'stub-a' });
    const response = await sendRequest(stub.port, { body: '{not json' });
    expect(response.status).toBe(400);
    expect(JSON.parse(response.body).error).toEqual({ message: 'request body is not valid JSON', type: 'invalid_request_error', param: null, code: 'invalid_json' });
  });
});
