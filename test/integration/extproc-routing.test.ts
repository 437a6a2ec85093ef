import type { RuntimeConfig } from '../../src/config/runtime-config.js';
import { startExtProcServer, type ExtProcServer } from '../../src/extproc/server.js';
import { PrometheusRouterMetrics } from '../../src/telemetry/metrics.js';
import { loadConfigOrThrow } from '../helpers/config-fixture.js';
import { ExtProcTestClient, setHeaders, type DecodedReply } from '../helpers/extproc-client.js';
import { captureLog } from '../helpers/log-capture.js';

const LOCAL = 'mlx-community/Qwen3-Coder-Next-4bit';
const GEMINI = 'gemini-2.5-pro';

function chatBody(content: string, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({ model: 'auto', messages: [{ role: 'user', content }], max_tokens: 100, ...extra });
}

function bodyMutation(reply: DecodedReply | undefined): Buffer {
  return Buffer.from(reply?.['request_body']?.response?.body_mutation?.body ?? []);
}

describe('ext_proc sidecar routes the seed tutorial prompts over real gRPC', () => {
  let config: RuntimeConfig;
  let server: ExtProcServer;
  let client: ExtProcTestClient;
  const log = captureLog();
  const metrics = new PrometheusRouterMetrics();

  beforeAll(async () => {
    const loaded = await loadConfigOrThrow();
    // Cost accounting reads response bodies; these tests pin the path without it (the mode_override fast path).
    config = { ...loaded, observability: { ...loaded.observability!, accounting: false } };
    server = await startExtProcServer({ address: '127.0.0.1', port: 0, store: { current: () => config }, logger: log.logger, metrics });
    client = new ExtProcTestClient(server.port);
  });

  afterAll(async () => {
    client.close();
    await server.close();
    await config.close();
  });

  it.each([
    ['What is a Python decorator?', LOCAL, 'default-route'],
    ['Implement a function that finds the longest palindromic substring.', LOCAL, 'coding-route'],
    ['Prove by induction that the sum 1+2+...+n = n(n+1)/2.', GEMINI, 'reasoning-route'],
  ])('routes %j to %s (%s)', async (prompt, model, decision) => {
    const exchange = await client.exchange({ path: '/v1/chat/completions', body: chatBody(prompt) });
    expect(exchange.immediate).toBeUndefined();
    expect(exchange.requestHeaders).toEqual(expect.objectContaining({ request_headers: expect.anything() }));

    const response = exchange.requestBody?.['request_body']?.response;
    expect(response.status).toBe('CONTINUE');
    expect(response.clear_route_cache).toBe(true);
    const body = bodyMutation(exchange.requestBody);
    expect(JSON.parse(body.toString('utf8'))).toEqual(expect.objectContaining({ model, max_tokens: 100 }));

    const headers = setHeaders(response.header_mutation);
    for (const [, header] of headers) expect(header.value).toBe('');
    for (const option of response.header_mutation.set_headers) {
      expect(option.append).toEqual({ value: false });
      expect(option.append_action).toBe('OVERWRITE_IF_EXISTS_OR_ADD');
    }
    expect(headers.get('content-length')?.raw).toBe(String(body.length));
    expect(headers.get('x-selected-model')?.raw).toBe(model);
    if (model === GEMINI) {
      expect(headers.get('x-switchyard-cluster')?.raw).toBe('gemini-2.5-pro__gemini-primary');
      expect(headers.get('x-vsr-destination-endpoint')?.raw).toBe('generativelanguage.googleapis.com:443');
      expect(headers.get('authorization')?.raw).toBe('Bearer <YOUR_GEMINI_API_KEY>');
      expect(headers.get(':path')?.raw).toBe('/v1beta/openai/chat/completions');
    } else {
      expect(headers.get('x-switchyard-cluster')?.raw).toBe('mlx-community_Qwen3-Coder-Next-4bit__mlx-local');
      expect(headers.get('x-vsr-destination-endpoint')?.raw).toBe('host.containers.internal:8000');
      expect(headers.has('authorization')).toBe(false);
    }
    expect(await metrics.render()).toContain(`switchyard_requests_total{decision="${decision}",model="${model}"}`);
  });

  it('adds the x-vsr-* headers of the decision to the response', async () => {
    const exchange = await client.exchange(
      { path: '/v1/chat/completions', body: chatBody('Implement a function that finds the longest palindromic substring.') },
      { headers: [['content-type', 'application/json']], chunks: ['{"id":"x"}'] },
    );
    const response = exchange.responseHeaders?.['response_headers']?.response;
    const headers = setHeaders(response.header_mutation);
    expect(headers.get('x-vsr-selected-model')?.raw).toBe(LOCAL);
    expect(headers.get('x-vsr-selected-decision')?.raw).toBe('coding-route');
    expect(headers.get('x-vsr-selected-confidence')?.raw).toBe('1.0000');
    expect(headers.get('x-vsr-matched-keywords')?.raw).toBe('coding_keywords');
    expect(headers.get('x-vsr-selected-reasoning')?.raw).toBe('off');
    expect(headers.get('x-vsr-cache-hit')?.raw).toBe('false');
    expect(headers.get('x-vsr-routing-latency-ms')?.raw).toMatch(/^\d+\.\d{3}$/);
    for (const [, header] of headers) expect(header.value).toBe('');
    expect(exchange.responseHeaders?.['mode_override']).toEqual(expect.objectContaining({ response_body_mode: 'NONE' }));
  });

  it('reports reasoning on for the reasoning route', async () => {
    const exchange = await client.exchange(
      { path: '/v1/chat/completions', body: chatBody('Prove by induction that the sum 1+2+...+n = n(n+1)/2.') },
      { headers: [['content-type', 'application/json']] },
    );
    const headers = setHeaders(exchange.responseHeaders?.['response_headers']?.response?.header_mutation);
    expect(headers.get('x-vsr-selected-reasoning')?.raw).toBe('on');
    expect(headers.get('x-vsr-selected-decision')?.raw).toBe('reasoning-route');
  });

  it('takes the response body out of its path when nothing reads it, SSE included, restating the request body mode', async () => {
    const exchange = await client.exchange(
      { path: '/v1/chat/completions', body: chatBody('What is a Python decorator?', { stream: true }) },
      {
        headers: [['content-type', 'text/event-stream; charset=utf-8']],
        chunks: ['data: {"choices":[{"delta":{"content":"Hi"}}]}\n\n', 'data: [DONE]\n\n', ''],
      },
    );
    // The seed config has no semantic cache, so no phase reads the body: each SSE event would
    // otherwise wait for a sidecar reply. (With a cache, SSE goes STREAMED: test/e2e/cache-*.)
    expect(exchange.responseHeaders?.['mode_override']).toEqual(
      expect.objectContaining({ request_body_mode: config.envoy.processingMode.requestBodyMode, response_body_mode: 'NONE' }),
    );
  });

  it('answers GET /v1/models itself, ignoring the query string', async () => {
    const exchange = await client.exchange({ method: 'GET', path: '/v1/models?limit=5' });
    expect(exchange.immediate?.status.code).toBe('OK');
    const listing = JSON.parse(Buffer.from(exchange.immediate?.body).toString('utf8')) as { data: { id: string }[] };
    expect(listing.data.map((entry) => entry.id)).toContain(config.router.primaryAutoModelName);
    const headers = setHeaders(exchange.immediate?.headers);
    expect(headers.get('content-type')?.raw).toMatch(/^application\/json/);
  });

  it('answers a path it does not serve with a 404 naming the served paths', async () => {
    const exchange = await client.exchange({ path: '/v1/embeddings', body: '{"input":"x"}' });
    expect(exchange.immediate?.status.code).toBe('NotFound');
    const body = JSON.parse(Buffer.from(exchange.immediate?.body).toString('utf8')) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('unknown_url');
    expect(body.error.message).toContain('Invalid URL (POST /v1/embeddings)');
  });

  it('logs no error for streams Envoy cancels after the last reply', () => {
    expect(log.errors()).toEqual([]);
    expect(log.lines.filter((line) => Number(line['level']) >= 40)).toEqual([]);
  });
});
