import { request } from 'undici';
import type { ModelEndpoint } from '../../config/runtime-config.js';
import type { RoutedRequest } from '../../router/route-result.js';
import { DEFAULT_CHAT_PATH } from '../../router/upstream-path.js';
import type { Completion, LooperSettings } from './looper.js';

/** Client headers a looper call does not carry over: hop-by-hop, framing, and what the call sets itself. */
const NOT_FORWARDED = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer', 'host', 'content-length', 'accept-encoding', 'accept']);

/** Largest answer a looper call reads; a chat completion is far smaller. */
const MAX_ANSWER_BYTES = 16 * 1024 * 1024;

/** Where and how a looper calls one model: the routed request the router would have sent it. */
export interface ModelCall {
  readonly endpoint: ModelEndpoint;
  readonly routed: RoutedRequest;
  /** The client's request headers (lower-case names; pseudo-headers included). */
  readonly clientHeaders: ReadonlyMap<string, string>;
  readonly decision: string;
  readonly iteration: number;
}

/** A failed looper call; `retryable` for connection failures, 429 and 5xx. */
export class ModelCallError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
  ) {
    // The message ends up in x-vsr-selection-reason: an upstream's words must not break the header.
    super(message.replace(/[^\x20-\x7e]/g, '?'));
  }
}

function callHeaders(call: ModelCall, settings: LooperSettings): Record<string, string> {
  const edits = call.routed.requestHeaders;
  const headers: Record<string, string> = {};
  for (const [name, value] of call.clientHeaders) {
    if (!name.startsWith(':') && !NOT_FORWARDED.has(name) && !edits.remove.includes(name)) headers[name] = value;
  }
  for (const [name, value] of edits.set) if (!name.startsWith(':') && name !== 'content-length') headers[name] = value;
  for (const [name, value] of settings.headers) headers[name.toLowerCase()] = value;
  headers['content-type'] = 'application/json';
  headers['accept'] = 'application/json';
  headers['x-vsr-looper-request'] = 'true';
  headers['x-vsr-looper-decision'] = call.decision;
  headers['x-vsr-looper-iteration'] = String(call.iteration);
  return headers;
}

function urlOf(call: ModelCall): string {
  const { endpoint } = call;
  const host = endpoint.host.includes(':') ? `[${endpoint.host}]` : endpoint.host;
  const path = call.routed.requestHeaders.set.find(([name]) => name === ':path')?.[1] ?? call.clientHeaders.get(':path') ?? DEFAULT_CHAT_PATH;
  return `${endpoint.protocol}://${host}:${endpoint.port}${path}`;
}

function upstreamMessage(text: string): string {
  try {
    const message = (JSON.parse(text) as { error?: { message?: unknown } }).error?.message;
    if (typeof message === 'string') return message.slice(0, 200);
  } catch {
    // Not JSON: the start of the body says enough.
  }
  return text.slice(0, 200);
}

async function attempt(call: ModelCall, settings: LooperSettings, abort: AbortSignal): Promise<Completion> {
  const signal = AbortSignal.any([abort, AbortSignal.timeout(settings.timeoutMs)]);
  let response;
  try {
    response = await request(urlOf(call), { method: 'POST', headers: callHeaders(call, settings), body: call.routed.body, signal });
  } catch (error) {
    if (abort.aborted) throw error;
    const timedOut = signal.aborted;
    throw new ModelCallError(timedOut ? `no answer within ${settings.timeoutMs} ms` : `cannot reach ${call.routed.trace.model}: ${(error as Error).message}`, !timedOut);
  }
  const chunks: Buffer[] = [];
  let bytes = 0;
  for await (const chunk of response.body as AsyncIterable<Buffer>) {
    bytes += chunk.length;
    if (bytes > MAX_ANSWER_BYTES) {
      response.body.destroy();
      throw new ModelCallError(`answer larger than ${MAX_ANSWER_BYTES} bytes`, false);
    }
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks, bytes).toString('utf8');
  const status = response.statusCode;
  if (status < 200 || status > 299) throw new ModelCallError(`HTTP ${status}: ${upstreamMessage(text)}`, status === 429 || status >= 500);
  let completion: unknown;
  try {
    completion = JSON.parse(text);
  } catch {
    throw new ModelCallError('answer is not JSON', false);
  }
  if (typeof completion !== 'object' || completion === null || !Array.isArray((completion as { choices?: unknown }).choices)) {
    throw new ModelCallError('answer is not a chat completion (no choices)', false);
  }
  return completion as Completion;
}

/**
 * One looper call: the routed request (body, credentials, path prefix) sent to the endpoint the
 * router picked, with the client's own headers, the section's extra headers and Athena's
 * `x-vsr-looper-*` request headers; retried `retry_count` times after a connection failure, a 429
 * or a 5xx. The client's abort ends it at once.
 */
export async function callModel(call: ModelCall, settings: LooperSettings, abort: AbortSignal): Promise<Completion> {
  for (let left = settings.retryCount; ; left--) {
    try {
      return await attempt(call, settings, abort);
    } catch (error) {
      if (abort.aborted || !(error instanceof ModelCallError) || !error.retryable || left <= 0) throw error;
    }
  }
}
