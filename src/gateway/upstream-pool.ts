import { Readable } from 'node:stream';
import { Pool, type Dispatcher } from 'undici';
import type { CircuitBreakerSettings } from '../config/runtime-config.js';
import type { ErrorCode } from '../errors.js';
import type { UpstreamFailureKind } from '../telemetry/metrics.js';
import { HeaderList, type HeaderEntry } from './header-list.js';
import type { ClusterTarget } from './route-table.js';

/** Default upstream header/idle deadline when the caller sets none (Envoy's route `idle_timeout` role). */
const DEFAULT_UPSTREAM_TIMEOUT_MS = 300_000;

/** Hop-by-hop response headers a proxy never forwards. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer']);

export interface UpstreamRequest {
  readonly method: string;
  readonly path: string;
  /** Regular headers only, in order; Host is set from the cluster. */
  readonly headers: readonly HeaderEntry[];
  readonly body: Buffer | Readable | null;
  readonly cancel: UpstreamCancel;
}

export interface UpstreamResponse {
  readonly status: number;
  /** Lower-case, hop-by-hop headers removed. */
  readonly headers: HeaderList;
  readonly body: Readable;
}

/**
 * An upstream failure, already classified into the error table's upstream codes. The message
 * carries internal detail (addresses, socket errors): it goes to the log, never to the client.
 */
export class UpstreamError extends Error {
  override readonly name = 'UpstreamError';
  constructor(
    readonly code: ErrorCode,
    readonly kind: UpstreamFailureKind,
    message: string,
    options: { cause?: unknown } = {},
  ) {
    super(message, options);
  }
}

const CONNECT_FAILURE = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);
const RESET = new Set(['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED']);
const TIMEOUT = new Set(['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'ETIMEDOUT']);

/** Maps an undici/socket error to SY_ERR_UPSTREAM_{UNAVAILABLE,TIMEOUT,FAILED} (503/504/502). */
function classifyUpstreamError(error: unknown): UpstreamError {
  const code = findErrorCode(error);
  const message = String((error as { message?: unknown } | null)?.message ?? error);
  if (code !== undefined && CONNECT_FAILURE.has(code)) {
    return new UpstreamError('SY_ERR_UPSTREAM_UNAVAILABLE', 'connect_failure', `upstream unavailable: ${message}`, { cause: error });
  }
  if (code !== undefined && RESET.has(code)) {
    return new UpstreamError('SY_ERR_UPSTREAM_UNAVAILABLE', 'reset_before_headers', `upstream connection reset: ${message}`, { cause: error });
  }
  if (code !== undefined && TIMEOUT.has(code)) return new UpstreamError('SY_ERR_UPSTREAM_TIMEOUT', 'timeout', `upstream timed out: ${message}`, { cause: error });
  return new UpstreamError('SY_ERR_UPSTREAM_FAILED', 'reset_before_headers', `upstream request failed: ${message}`, { cause: error });
}

/** undici nests the socket error in `cause`; the first code found on the chain decides. */
function findErrorCode(error: unknown): string | undefined {
  // Structural walk: errors from Node internals may come from another realm (e.g. under a test VM).
  let current: unknown = error;
  for (let depth = 0; typeof current === 'object' && current !== null && depth < 5; depth += 1) {
    const { code, cause } = current as { code?: unknown; cause?: unknown };
    if (typeof code === 'string' && (CONNECT_FAILURE.has(code) || RESET.has(code) || TIMEOUT.has(code))) return code;
    current = cause;
  }
  return undefined;
}

/** undici's flat [name, value, …] list, with Host (Envoy's auto_host_rewrite) in place of the client's. */
function wireHeaders(headers: readonly HeaderEntry[], host: string): string[] {
  const flat: string[] = [];
  let hostSet = false;
  for (const entry of headers) {
    if (entry.name === 'host') {
      if (hostSet) continue;
      hostSet = true;
      flat.push('host', host);
      continue;
    }
    flat.push(entry.name, entry.value);
  }
  if (!hostSet) flat.push('host', host);
  return flat;
}

/**
 * Cancels one upstream call: what an AbortController did here, without an AbortSignal (an
 * EventTarget) and its listeners per request. The exchange cancels when the client goes away or a
 * local reply ends it; a cancel before the call starts stops it from being sent.
 */
export class UpstreamCancel {
  private cancelled = false;
  private onCancel: (() => void) | undefined;

  cancel(): void {
    if (this.cancelled) return;
    this.cancelled = true;
    this.onCancel?.();
  }

  /** Runs `stop` on cancel (at once when already cancelled). */
  bind(stop: () => void): void {
    if (this.cancelled) stop();
    else this.onCancel = stop;
  }
}

/** Shared, so a cancelled call does not pay for an Error and its stack trace. */
const CANCELLED = Object.assign(new Error('upstream request cancelled'), { code: 'UND_ERR_ABORTED' });

/**
 * One upstream call on undici's dispatch handler, as undici's own `request()` runs it but without
 * its AbortSignal wiring and body class: headers are read straight from the raw list (latin1,
 * so every byte survives), the body is a plain Readable with the socket's backpressure.
 */
class UpstreamCall implements Dispatcher.DispatchHandler {
  private abortDispatch: ((error?: Error) => void) | undefined;
  private resumeSocket: (() => void) | undefined;
  private body: Readable | undefined;
  private complete = false;
  /** Cancelled while still queued for a connection: stopped as soon as undici hands over its abort. */
  private cancelled = false;

  constructor(
    cancel: UpstreamCancel,
    private readonly resolve: (response: UpstreamResponse) => void,
    private readonly reject: (error: unknown) => void,
    private readonly release: () => void,
  ) {
    cancel.bind(() => {
      this.cancelled = true;
      this.abortDispatch?.(CANCELLED);
    });
  }

  onConnect(abort: (error?: Error) => void): void {
    if (this.cancelled) abort(CANCELLED);
    else this.abortDispatch = abort;
  }

  onHeaders(statusCode: number, rawHeaders: Buffer[], resume: () => void): boolean {
    // 1xx informational heads are not forwarded (Envoy drops 100-continue towards the client too).
    if (statusCode < 200) return true;
    this.resumeSocket = resume;
    const headers = new HeaderList();
    for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
      const name = rawHeaders[i]!.toString('latin1').toLowerCase();
      if (!HOP_BY_HOP.has(name)) headers.add(name, rawHeaders[i + 1]!.toString('latin1'));
    }
    const body = new Readable({
      read: () => this.resumeSocket?.(),
      destroy: (error, callback) => {
        // The consumer gave up on the body (client gone, local reply): stop reading the upstream.
        if (!this.complete) this.abortDispatch?.(error ?? CANCELLED);
        callback(error);
      },
    });
    body.once('close', this.release);
    this.body = body;
    this.resolve({ status: statusCode, headers, body });
    return true;
  }

  onData(chunk: Buffer): boolean {
    return this.body?.push(chunk) ?? true;
  }

  onComplete(): void {
    this.complete = true;
    this.body?.push(null);
  }

  onError(error: Error): void {
    this.complete = true;
    if (this.body === undefined) {
      this.release();
      this.reject(classifyUpstreamError(error));
    } else {
      this.body.destroy(error);
    }
  }
}

/** Envoy's default thresholds, for callers that set none. */
const ENVOY_DEFAULT_BREAKERS: CircuitBreakerSettings = { maxConnections: 1024, maxPendingRequests: 1024, maxRequests: 1024 };

/** One cluster's connection pool and the requests in flight on it (for the circuit breakers). */
interface ClusterPool {
  readonly origin: string;
  readonly pool: Pool;
  active: number;
}

/**
 * Pooled upstream connections, one undici Pool per cluster origin (Envoy's per-cluster connection
 * pool, at most `maxConnections` connections). Host is rewritten to the cluster hostname
 * (auto_host_rewrite) and TLS uses it as SNI. Envoy's circuit breakers guard each pool: past
 * `maxRequests` in flight, or `maxPendingRequests` waiting for a connection, a request is
 * refused at once (`overflow`) rather than queued without bound.
 */
export class UpstreamPool {
  private readonly pools = new Map<string, ClusterPool>();
  /** Cluster base URL → origin, parsed once rather than per request. */
  private readonly origins = new Map<string, string>();

  constructor(
    private readonly timeoutMs: number = DEFAULT_UPSTREAM_TIMEOUT_MS,
    private readonly breakers: CircuitBreakerSettings = ENVOY_DEFAULT_BREAKERS,
  ) {}

  /** Sends the request; rejects with UpstreamError when no response headers arrive or a breaker is open. */
  request(target: ClusterTarget, request: UpstreamRequest): Promise<UpstreamResponse> {
    const cluster = this.poolFor(target);
    try {
      this.admit(cluster);
    } catch (error) {
      return Promise.reject(error);
    }
    cluster.active += 1;
    let released = false;
    const release = (): void => {
      if (released) return;
      released = true;
      cluster.active -= 1;
    };
    return new Promise((resolve, reject) => {
      const call = new UpstreamCall(request.cancel, resolve, reject, release);
      const options: Dispatcher.DispatchOptions = {
        method: request.method as Dispatcher.HttpMethod,
        path: request.path,
        headers: wireHeaders(request.headers, target.hostname),
        body: request.body,
        headersTimeout: this.timeoutMs,
        bodyTimeout: this.timeoutMs,
      };
      try {
        cluster.pool.dispatch(options, call);
      } catch (error) {
        call.onError(error as Error);
      }
    });
  }

  /** Envoy's circuit-breaker check: requests beyond the connections wait, and both counts are capped. */
  private admit(cluster: ClusterPool): void {
    const { maxConnections, maxPendingRequests, maxRequests } = this.breakers;
    const pending = Math.max(0, cluster.active - maxConnections + 1);
    if (cluster.active >= maxRequests || pending > maxPendingRequests) {
      throw new UpstreamError('SY_ERR_UPSTREAM_OVERLOADED', 'overflow', `circuit breaker open: ${cluster.active} requests in flight to ${cluster.origin}`);
    }
  }

  async close(): Promise<void> {
    const pools = [...this.pools.values()];
    this.pools.clear();
    await Promise.all(pools.map((cluster) => cluster.pool.destroy()));
  }

  private poolFor(target: ClusterTarget): ClusterPool {
    let origin = this.origins.get(target.baseUrl);
    if (origin === undefined) {
      origin = new URL(target.baseUrl).origin;
      this.origins.set(target.baseUrl, origin);
    }
    const key = `${origin}|${target.hostname}`;
    let cluster = this.pools.get(key);
    if (cluster === undefined) {
      const pool = new Pool(origin, { connect: { servername: target.hostname }, keepAliveTimeout: 30_000, connections: this.breakers.maxConnections });
      cluster = { origin, pool, active: 0 };
      this.pools.set(key, cluster);
    }
    return cluster;
  }
}
