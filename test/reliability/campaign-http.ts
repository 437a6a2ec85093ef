import net from 'node:net';
import { Pool, request } from 'undici';

/** One HTTP answer as the campaign sees it: a status, or how it failed. */
export interface HttpOutcome {
  /** The response status; undefined when no response came. */
  readonly status?: number;
  readonly body: string;
  /** No response and no close within the deadline. */
  readonly stalled: boolean;
  /** Why no response came (connection reset, refused, aborted, ...). */
  readonly error?: string;
  readonly ms: number;
}

/** A chat completion request body. */
export function chatBody(content: string, model = 'auto', extra: Record<string, unknown> = {}): string {
  return JSON.stringify({ model, messages: [{ role: 'user', content }], max_tokens: 32, ...extra });
}

/**
 * POSTs `body` to `url` and reads the whole answer, giving up after `timeoutMs` (a stall).
 * A dispatcher (pool) may be passed for load; otherwise a fresh connection is used.
 */
export async function post(
  url: string,
  body: string | Buffer,
  options: { readonly timeoutMs: number; readonly headers?: Record<string, string>; readonly dispatcher?: Pool; readonly signal?: AbortSignal } = { timeoutMs: 10_000 },
): Promise<HttpOutcome> {
  const started = performance.now();
  const deadline = AbortSignal.timeout(options.timeoutMs);
  const signal = options.signal === undefined ? deadline : AbortSignal.any([deadline, options.signal]);
  try {
    const response = await request(url, {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/json', ...options.headers },
      signal,
      ...(options.dispatcher === undefined ? {} : { dispatcher: options.dispatcher }),
    });
    const text = await response.body.text();
    return { status: response.statusCode, body: text, stalled: false, ms: performance.now() - started };
  } catch (error) {
    return { body: '', stalled: deadline.aborted, error: (error as Error).name === 'AbortError' ? 'aborted' : (error as Error).message, ms: performance.now() - started };
  }
}

/** GETs a URL and reports the status and latency (for /healthz probing). */
export async function get(url: string, timeoutMs: number): Promise<HttpOutcome> {
  const started = performance.now();
  try {
    const response = await request(url, { method: 'GET', signal: AbortSignal.timeout(timeoutMs) });
    const text = await response.body.text();
    return { status: response.statusCode, body: text, stalled: false, ms: performance.now() - started };
  } catch (error) {
    return { body: '', stalled: true, error: (error as Error).message, ms: performance.now() - started };
  }
}

/**
 * Writes raw bytes to a listener, half-closes, and waits for a status line or the close.
 * Used for malformed HTTP that no client library would send.
 */
export function rawExchange(port: number, bytes: Buffer, timeoutMs: number): Promise<HttpOutcome> {
  const started = performance.now();
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    let received = '';
    let settled = false;
    const settle = (outcome: Omit<HttpOutcome, 'ms'>): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ ...outcome, ms: performance.now() - started });
    };
    const timer = setTimeout(() => settle({ body: received, stalled: true }), timeoutMs);
    socket.on('connect', () => {
      socket.write(bytes, () => socket.end());
    });
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString('latin1');
      const match = /^HTTP\/1\.[01] (\d{3})/.exec(received);
      if (match !== null && received.includes('\r\n\r\n')) settle({ status: Number(match[1]), body: received, stalled: false });
    });
    socket.on('error', (error) => settle({ body: received, stalled: false, error: error.message }));
    socket.on('close', () => {
      const match = /^HTTP\/1\.[01] (\d{3})/.exec(received);
      settle(match === null ? { body: received, stalled: false, error: 'closed without a response' } : { status: Number(match[1]), body: received, stalled: false });
    });
  });
}
