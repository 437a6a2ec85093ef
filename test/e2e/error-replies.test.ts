import OpenAI from 'openai';
import { apiError, LOCAL_MODEL, startE2eStack, type E2eStack } from '../helpers/e2e-stack.js';

const BUFFER_LIMIT_BYTES = 64 * 1024;

describe('error replies through the gateway, as the openai SDK sees them', () => {
  let stack: E2eStack;

  beforeAll(async () => {
    stack = await startE2eStack({ envoy: { buffer_limit_bytes: BUFFER_LIMIT_BYTES } });
  });

  afterAll(async () => {
    await stack.close();
  });

  it('a malformed JSON body is a 400 with an OpenAI error body', async () => {
    // The SDK only sends JSON it built itself, except for raw bytes, which it passes verbatim.
    const error = await apiError(() =>
      stack.client.post('/chat/completions', {
        body: new TextEncoder().encode('{"model": "auto", "messages": ['),
        headers: { 'content-type': 'application/json' },
      }),
    );
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect(error.status).toBe(400);
    expect(error.type).toBe('invalid_request_error');
    expect(error.code).toBe('invalid_json');
    expect(stack.local.requests).toHaveLength(0);
  });

  it('an unknown model is a 404 model_not_found', async () => {
    const error = await apiError(() => stack.client.chat.completions.create({ model: 'no-such-model', messages: [{ role: 'user', content: 'hi' }] }));
    expect(error).toBeInstanceOf(OpenAI.NotFoundError);
    expect(error.status).toBe(404);
    expect(error.code).toBe('model_not_found');
  });

  it('a body over the buffer limit is a 413 and reaches no upstream', async () => {
    const error = await apiError(() =>
      stack.client.chat.completions.create({ model: 'auto', messages: [{ role: 'user', content: 'x'.repeat(BUFFER_LIMIT_BYTES + 1024) }] }),
    );
    expect(error.status).toBe(413);
    expect(error.code).toBe('request_too_large');
    expect(stack.local.requests).toHaveLength(0);
    expect(stack.cloud.requests).toHaveLength(0);
  });

  it('an upstream that is down is a 503 with an OpenAI error body', async () => {
    const client = stack.client;
    const before = await client.chat.completions.create({ model: 'auto', messages: [{ role: 'user', content: 'What is a monad?' }] });
    expect(before.model).toBe(LOCAL_MODEL);
    await stack.local.close();
    const error = await apiError(() => client.chat.completions.create({ model: 'auto', messages: [{ role: 'user', content: 'What is a monad?' }] }));
    expect(error).toBeInstanceOf(OpenAI.InternalServerError);
    expect([502, 503]).toContain(error.status);
    expect(error.type).toBe('server_error');
    expect(error.code).toMatch(/^upstream_/);
    // Generic wording with an error id; the upstream's address stays in the log.
    expect(error.message).toMatch(/model server .*\(error id [0-9a-f-]{36}\)/);
    expect(error.message).not.toContain('127.0.0.1');
  });
});
