import http from 'node:http';
import OpenAI from 'openai';
import { startE2eStack, type E2eStack } from '../helpers/e2e-stack.js';
import { captureLog } from '../helpers/log-capture.js';

interface RawReply {
  readonly status: number;
  readonly body: string;
}

/** A chat request with `count` header fields on the wire (Node adds Host and Connection), sent raw. */
function chatWithHeaders(port: number, count: number): Promise<RawReply> {
  const body = JSON.stringify({ model: 'auto', messages: [{ role: 'user', content: 'What is a Python decorator?' }] });
  const headers: Record<string, string> = { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) };
  for (let i = 0; Object.keys(headers).length < count - 2; i += 1) headers[`x-client-${i}`] = `v${i}`;
  return new Promise((resolve, reject) => {
    const request = http.request({ host: '127.0.0.1', port, method: 'POST', path: '/v1/chat/completions', headers, agent: false }, (response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (text += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body: text }));
    });
    request.on('error', reject);
    request.end(body);
  });
}

async function scrape(stack: E2eStack): Promise<string> {
  return (await fetch(`http://127.0.0.1:${stack.switchyard.ports.admin}/metrics`)).text();
}

describe('gateway failure replies and their metrics', () => {
  let stack: E2eStack;
  const log = captureLog('debug');
  const lines = log.lines;

  beforeAll(async () => {
    stack = await startE2eStack({ logger: log.logger });
  });

  afterAll(async () => {
    await stack.close();
  });

  it('answers 100 client header fields normally and 5,000 with 431 at ingress (was 500 from 93 on)', async () => {
    for (const count of [93, 100]) {
      const reply = await chatWithHeaders(stack.switchyard.ports.listeners[0]!, count);
      expect({ count, status: reply.status }).toEqual({ count, status: 200 });
    }
    for (const count of [101, 5000]) {
      const reply = await chatWithHeaders(stack.switchyard.ports.listeners[0]!, count);
      expect({ count, status: reply.status }).toEqual({ count, status: 431 });
      expect(JSON.parse(reply.body).error.code).toBe('request_headers_too_large');
    }
    expect(await scrape(stack)).toMatch(/switchyard_gateway_local_replies_total\{code="431",reason="too_many_headers"\} 2/);
  }, 30_000);

  it('reports client cancels, in-flight requests, RSS and event-loop lag', async () => {
    const metrics = await scrape(stack);
    expect(metrics).toMatch(/^switchyard_gateway_client_cancels_total \d+$/m);
    expect(metrics).toMatch(/^switchyard_gateway_requests_in_flight 0$/m);
    expect(metrics).toMatch(/^process_resident_memory_bytes [1-9]\d+$/m);
    expect(metrics).toMatch(/^nodejs_eventloop_lag_seconds \d/m);
  });

  it('joins sidecar log lines to the request by its x-request-id', async () => {
    const requestId = 'join-me-0000-4000-8000-000000000001';
    const reply = await fetch(`${stack.gatewayUrl}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-request-id': requestId },
      body: JSON.stringify({ model: 'auto', messages: [{ role: 'user', content: 'Prove that there are infinitely many primes.' }] }),
    });
    await reply.text();
    const sidecarLines = lines.filter((line) => line['requestId'] === requestId && line['component'] !== 'gateway');
    expect(sidecarLines.length).toBeGreaterThan(0);
  });
  it('hides the upstream address behind a generic message with an error id, and logs the detail', async () => {
    // The local model's server goes away: its port now refuses connections.
    await stack.local.close();
    const client = new OpenAI({ baseURL: `${stack.gatewayUrl}/v1`, apiKey: 'e2e', maxRetries: 0 });
    const failure = await client.chat.completions.create({ model: 'auto', messages: [{ role: 'user', content: 'What is a Python decorator?' }] }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(OpenAI.APIError);
    const error = failure as InstanceType<typeof OpenAI.APIError>;
    expect(error.status).toBe(503);
    expect(error.message).not.toMatch(/127\.0\.0\.1|ECONNREFUSED|:\d{4,5}/);
    const errorId = /error id ([0-9a-f-]{36})/.exec(error.message)?.[1];
    expect(errorId).toBeDefined();
    const logged = lines.find((line) => line['errorId'] === errorId);
    expect(String(logged?.['error'])).toContain('ECONNREFUSED');
    const metrics = await scrape(stack);
    expect(metrics).toMatch(/switchyard_gateway_upstream_failures_total\{kind="connect_failure"\} [1-9]/);
    expect(metrics).toMatch(/switchyard_gateway_local_replies_total\{code="503",reason="upstream_connect_failure"\} [1-9]/);
  }, 30_000);
});

describe('gateway circuit breakers', () => {
  let stack: E2eStack;

  beforeAll(async () => {
    // One request at a time to a model cluster, none waiting; the stubs hold each answer 1.5 s.
    stack = await startE2eStack({ latencyMs: 1500, envoy: { circuit_breakers: { max_connections: 1, max_pending_requests: 0, max_requests: 1 } } });
  });

  afterAll(async () => {
    await stack.close();
  });

  it('refuses requests past the thresholds at once with 503 upstream_overloaded, a header and a counter', async () => {
    const ask = (): Promise<Response> =>
      fetch(`${stack.gatewayUrl}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'auto', messages: [{ role: 'user', content: 'What is a Python decorator?' }] }),
      });
    const first = ask();
    await new Promise((resolve) => setTimeout(resolve, 500));
    const started = Date.now();
    const [second, third] = await Promise.all([ask(), ask()]);
    expect(Date.now() - started).toBeLessThan(1000);
    for (const refused of [second, third]) {
      expect(refused.status).toBe(503);
      expect(refused.headers.get('x-switchyard-overloaded')).toBe('true');
      expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('upstream_overloaded');
    }
    expect((await first).status).toBe(200);
    expect(await scrape(stack)).toMatch(/switchyard_gateway_upstream_failures_total\{kind="overflow"\} 2/);
    // The breaker closes again once the cluster has room.
    expect((await ask()).status).toBe(200);
  }, 30_000);
});
