import http from 'node:http';
import { setTimeout as delay } from 'node:timers/promises';
import { LOCAL_MODEL, startSeedStubs, type SeedStubs } from '../helpers/e2e-stack.js';
import { startServe, type ServeProcess } from '../helpers/serve-process.js';

/** The stubs wait this long before answering, then send 7 SSE events this far apart. */
const UPSTREAM_LATENCY_MS = 1200;
const CHUNK_INTERVAL_MS = 300;
const STREAMS = 3;

interface Outcome {
  readonly status: number;
  readonly body: string;
  /** The socket error, when the response was cut. */
  readonly error?: string;
}

/** A raw HTTP/1.1 request, so a cut stream shows as an error rather than a retried or parsed body. */
function chat(port: number, stream: boolean, onFirstByte?: () => void): Promise<Outcome> {
  const body = JSON.stringify({ model: 'auto', stream, messages: [{ role: 'user', content: 'Explain what a Python decorator is.' }] });
  return new Promise((resolve) => {
    const request = http.request(
      { host: '127.0.0.1', port, method: 'POST', path: '/v1/chat/completions', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } },
      (response) => {
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => {
          if (text === '') onFirstByte?.();
          text += chunk;
        });
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body: text }));
        response.on('error', (error) => resolve({ status: response.statusCode ?? 0, body: text, error: error.message }));
      },
    );
    request.on('error', (error) => resolve({ status: 0, body: '', error: error.message }));
    request.end(body);
  });
}

async function readyz(port: number): Promise<string> {
  try {
    const response = await fetch(`http://127.0.0.1:${port}/readyz`);
    return `${response.status} ${(await response.text()).trim()}`;
  } catch {
    return 'unreachable';
  }
}

/** Whether a new TCP connection to the port is accepted. */
function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const request = http.get({ host: '127.0.0.1', port, path: '/healthz', agent: false }, (response) => {
      response.resume();
      resolve(true);
    });
    request.on('error', () => resolve(false));
  });
}

/**
 * Regression: on SIGTERM the gateway cancelled every exchange and closed all connections, so SSE
 * streams were cut without `[DONE]`, a slow JSON request got ECONNRESET, `/readyz` never said
 * "draining", and the process exited within 2 s.
 */
describe('switchyard serve drains on SIGTERM', () => {
  let stubs: SeedStubs;
  let serve: ServeProcess | undefined;

  afterEach(async () => {
    await serve?.stop();
    await stubs?.close();
  });

  // With two workers the primary takes the signal and every worker drains its own connections.
  it.each(['1', '2'])('with --workers %s: finishes in-flight SSE streams and a slow JSON request, reports draining, then exits', async (workers) => {
    stubs = await startSeedStubs({ latencyMs: UPSTREAM_LATENCY_MS, chunkIntervalMs: CHUNK_INTERVAL_MS, router: { drain_timeout: '30s' } });
    serve = await startServe(stubs.config.path, '--workers', workers);
    const port = serve.ports.listeners[0]!;
    const admin = serve.ports.admin;
    expect(await readyz(admin)).toBe('200 ready');

    let streaming = 0;
    let streams: Promise<Outcome>[] = [];
    const firstBytes = new Promise<void>((resolve) => {
      const started = (): void => {
        streaming += 1;
        if (streaming === STREAMS) resolve();
      };
      streams = Array.from({ length: STREAMS }, () => chat(port, true, started));
    });
    await firstBytes;
    // A JSON request whose answer is still UPSTREAM_LATENCY_MS away when the signal arrives.
    const slowJson = chat(port, false);
    await delay(100);

    const signalledAt = Date.now();
    serve.child.kill('SIGTERM');
    await delay(200);
    expect(await readyz(admin)).toBe('503 not ready: draining');
    expect(await accepts(port)).toBe(false);

    const outcomes = await Promise.all([...streams, slowJson]);
    for (const outcome of outcomes.slice(0, STREAMS)) {
      expect(outcome).toMatchObject({ status: 200 });
      expect(outcome.error).toBeUndefined();
      expect(outcome.body).toContain('"finish_reason":"stop"');
      expect(outcome.body.trimEnd().endsWith('data: [DONE]')).toBe(true);
    }
    const json = outcomes[STREAMS]!;
    expect(json.error).toBeUndefined();
    expect(json.status).toBe(200);
    expect(JSON.parse(json.body).choices[0].message.content).toContain(`model=${LOCAL_MODEL}`);

    expect(await serve.exited).toEqual({ code: 0, signal: null });
    // It waited for the work (not the whole grace period), then stopped.
    expect(Date.now() - signalledAt).toBeLessThan(20_000);
    expect(stubs.local.requests.length + stubs.cloud.requests.length).toBe(STREAMS + 1);
  }, 120_000);

  it('cuts what is still running when the grace period ends, or at a second SIGTERM', async () => {
    stubs = await startSeedStubs({ latencyMs: 20_000, router: { drain_timeout: '1s' } });
    serve = await startServe(stubs.config.path);
    const port = serve.ports.listeners[0]!;
    const stuck = chat(port, false);
    await delay(300);
    const signalledAt = Date.now();
    serve.child.kill('SIGTERM');
    const outcome = await stuck;
    expect(outcome.error ?? `status ${outcome.status}`).toMatch(/socket hang up|ECONNRESET|aborted/);
    expect(await serve.exited).toEqual({ code: 0, signal: null });
    expect(Date.now() - signalledAt).toBeLessThan(10_000);
    await stubs.close();

    stubs = await startSeedStubs({ latencyMs: 20_000, router: { drain_timeout: '60s' } });
    serve = await startServe(stubs.config.path);
    const held = chat(serve.ports.listeners[0]!, false);
    await delay(300);
    const secondAt = Date.now();
    serve.child.kill('SIGTERM');
    await delay(300);
    expect(await readyz(serve.ports.admin)).toBe('503 not ready: draining');
    serve.child.kill('SIGTERM');
    expect((await held).error).toBeDefined();
    expect(await serve.exited).toEqual({ code: 0, signal: null });
    expect(Date.now() - secondAt).toBeLessThan(10_000);
  }, 90_000);
});
