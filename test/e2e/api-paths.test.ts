import OpenAI from 'openai';
import { apiError, CLOUD_MODEL, LOCAL_MODEL, startE2eStack, type E2eStack } from '../helpers/e2e-stack.js';

/** The counter value of `switchyard_errors_total` for one code, read from the admin server. */
async function errorCount(stack: E2eStack, code: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${stack.switchyard.ports.admin}/metrics`)).text();
  const line = text.split('\n').find((row) => row.startsWith(`switchyard_errors_total{code="${code}"}`));
  return line === undefined ? 0 : Number(line.split(' ').at(-1));
}

describe('an openai SDK whose base URL is the bare host (no /v1)', () => {
  let stack: E2eStack;
  let client: OpenAI;

  beforeAll(async () => {
    stack = await startE2eStack();
    client = new OpenAI({ baseURL: stack.gatewayUrl, apiKey: 'e2e-test', maxRetries: 0 });
  });

  afterAll(async () => {
    await stack.close();
  });

  it('routes POST /chat/completions like /v1/chat/completions, and the upstream gets its own base path', async () => {
    const local = await client.chat.completions.create({ model: 'auto', messages: [{ role: 'user', content: 'What is a Python decorator?' }] });
    expect(local.model).toBe(LOCAL_MODEL);
    // The local endpoint has no base path: it serves the OpenAI default /v1.
    expect(stack.local.requests.at(-1)?.path).toBe('/v1/chat/completions');

    const cloud = await client.chat.completions.create({ model: 'auto', messages: [{ role: 'user', content: 'Prove that 2+2=4.' }] });
    expect(cloud.model).toBe(CLOUD_MODEL);
    expect(stack.cloud.requests.at(-1)?.path).toBe('/v1beta/openai/chat/completions');
  });

  it('lists models on GET /models', async () => {
    const ids: string[] = [];
    for await (const model of client.models.list()) ids.push(model.id);
    expect(ids).toEqual(['auto', LOCAL_MODEL, CLOUD_MODEL]);
  });

  it('retrieves a model on GET /models/{id}, ids with a slash included', async () => {
    const model = await client.models.retrieve(LOCAL_MODEL);
    expect(model).toEqual({ id: LOCAL_MODEL, object: 'model', created: expect.any(Number), owned_by: 'switchyard' });
    expect((await client.models.retrieve('auto')).id).toBe('auto');
  });
});

describe('paths Switchyard does not serve', () => {
  let stack: E2eStack;

  beforeAll(async () => {
    stack = await startE2eStack();
  });

  afterAll(async () => {
    await stack.close();
  });

  it('GET /v1/models/{id} answers like OpenAI retrieve: the model, or 404 model_not_found', async () => {
    const model = await stack.client.models.retrieve(CLOUD_MODEL);
    expect(model.id).toBe(CLOUD_MODEL);
    const error = await apiError(() => stack.client.models.retrieve('gpt-nope'));
    expect(error.status).toBe(404);
    expect(error.error).toEqual({ message: "The model 'gpt-nope' does not exist", type: 'invalid_request_error', param: 'model', code: 'model_not_found' });
  });

  it.each([
    ['POST', '/v1/completions'],
    ['POST', '/v1/embeddings'],
    ['GET', '/v2/whatever'],
    ['GET', '/'],
  ])('%s %s is a 404 naming the served paths, never a 503, and is counted', async (method, path) => {
    const before = await errorCount(stack, 'sy_err_unknown_path');
    const response = await fetch(`${stack.gatewayUrl}${path}`, {
      method,
      headers: { 'content-type': 'application/json' },
      ...(method === 'POST' ? { body: JSON.stringify({ model: 'auto', input: 'hi' }) } : {}),
    });
    expect(response.status).toBe(404);
    expect(response.headers.get('content-type')).toBe('application/json');
    const body = (await response.json()) as { error: Record<string, unknown> };
    expect(body.error).toMatchObject({ type: 'invalid_request_error', param: null, code: 'unknown_url' });
    expect(body.error['message']).toBe(
      `Invalid URL (${method} ${path}): Switchyard serves POST /v1/chat/completions, GET /v1/models, GET /v1/models/{model}, POST /v1/responses, GET /v1/responses/{id}[/input_items], DELETE /v1/responses/{id}, POST /v1/messages, each also without the /v1 prefix`,
    );
    expect(await errorCount(stack, 'sy_err_unknown_path')).toBe(before + 1);
    expect(stack.local.requests.length + stack.cloud.requests.length).toBe(0);
  });

  it('a served path with the wrong method is a 405', async () => {
    const response = await fetch(`${stack.gatewayUrl}/chat/completions`);
    expect(response.status).toBe(405);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe('method_not_allowed');
  });
});
