import { cacheHitReply } from '../../src/cache/cache-hit-reply.js';
import { completionFromEventStream, completionFromJson } from '../../src/cache/completion-from-response.js';

const chunk = (choices: unknown[], extra: object = {}) => `data: ${JSON.stringify({ id: 'c1', object: 'chat.completion.chunk', model: 'up', choices, ...extra })}\n\n`;
const STREAM = [
  chunk([{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }]),
  chunk([{ index: 0, delta: { content: 'Hello ' }, finish_reason: null }]),
  chunk([{ index: 0, delta: { content: 'world' }, finish_reason: null }]),
  chunk([{ index: 0, delta: {}, finish_reason: 'stop' }]),
  chunk([], { usage: { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 } }),
  'data: [DONE]\n\n',
];

describe('reading a completed response', () => {
  it('reassembles an SSE stream from its deltas, with usage', () => {
    expect(completionFromEventStream(STREAM.join(''))).toEqual({ model: 'up', content: 'Hello world', usage: { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 } });
  });

  it('refuses a stream without [DONE], cut short, with another finish reason, tool calls or an error event', () => {
    expect(completionFromEventStream(STREAM.slice(0, 5).join(''))).toBeUndefined();
    expect(completionFromEventStream(STREAM.slice(0, 3).join(''))).toBeUndefined();
    expect(completionFromEventStream(STREAM.join('').replace('"stop"', '"length"'))).toBeUndefined();
    expect(completionFromEventStream(chunk([{ index: 0, delta: { tool_calls: [{}] }, finish_reason: 'stop' }]) + 'data: [DONE]\n\n')).toBeUndefined();
    expect(completionFromEventStream(`data: {"error":{"message":"boom"}}\n\ndata: [DONE]\n\n`)).toBeUndefined();
  });

  it('reads a buffered chat.completion and refuses truncated or non-stop ones', () => {
    const body = { model: 'up', choices: [{ index: 0, message: { role: 'assistant', content: 'Hi' }, finish_reason: 'stop' }] };
    expect(completionFromJson(JSON.stringify(body))).toEqual({ model: 'up', content: 'Hi' });
    expect(completionFromJson(JSON.stringify(body).slice(0, -5))).toBeUndefined();
    expect(completionFromJson(JSON.stringify({ ...body, choices: [{ ...body.choices[0], finish_reason: 'length' }] }))).toBeUndefined();
  });
});

describe('cacheHitReply', () => {
  const completion = { model: 'up', content: 'Hello brave new world', usage: { prompt_tokens: 3, completion_tokens: 4, total_tokens: 7 } };

  it('answers JSON with a fresh id and the original model, marked as a hit', () => {
    const first = cacheHitReply(completion, { stream: false, includeUsage: false }, [['x-vsr-cache-hit', 'false']]);
    const second = cacheHitReply(completion, { stream: false, includeUsage: false }, []);
    const body = JSON.parse(first.body.toString());
    expect(body).toMatchObject({ object: 'chat.completion', model: 'up', choices: [{ message: { content: 'Hello brave new world' }, finish_reason: 'stop' }], usage: completion.usage });
    expect(body.id).not.toBe(JSON.parse(second.body.toString()).id);
    expect(first.headers.filter(([name]) => name === 'x-vsr-cache-hit')).toEqual([['x-vsr-cache-hit', 'true']]);
  });

  it('replays SSE that the stream reader reassembles to the same answer, with usage only when asked', () => {
    const withUsage = cacheHitReply(completion, { stream: true, includeUsage: true }, []).body.toString();
    expect(withUsage.endsWith('data: [DONE]\n\n')).toBe(true);
    expect(completionFromEventStream(withUsage)).toEqual(completion);
    const without = cacheHitReply(completion, { stream: true, includeUsage: false }, []).body.toString();
    expect(without).not.toContain('usage');
  });
});
