import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Socket } from 'node:net';
import type { EnvoySettings } from '../config/runtime-config.js';
import { NO_GATEWAY_METRICS, type GatewayMetrics } from '../telemetry/metrics.js';
import { oversizedHeaders } from './downstream-request.js';
import { applyDownstreamLimits, DEFAULT_DOWNSTREAM_LIMITS, downstreamServerOptions, lastRequestOnConnection } from './downstream-limits.js';
import { newExtProcCounters, type ExtProcCounters } from './ext-proc-counters.js';
import { grpcExtProcTransport, type ExtProcTransport } from './ext-proc-transport.js';
import { GatewayExchange } from './gateway-exchange.js';
import { silentLogger, type GatewayLogger } from './gateway-logger.js';
import { errorReply, type LocalReply } from './local-reply.js';
import { RouteTable, type ClusterTarget } from './route-table.js';
import { UpstreamPool } from './upstream-pool.js';

/**
 * Node's own cap on the raw header section, above Envoy's 60 KiB of names and values so that
 * the gateway's check (and its 431 with a JSON body) decides; past it Node's parser gives up and
 * the `clientError` handler answers 431.
 */
const MAX_HEADER_SECTION_BYTES = 128 * 1024;

export interface GatewayOptions {
  readonly listen: { readonly address: string; readonly port: number };
  /** The ext_proc sidecar: its gRPC address, or a sidecar running in this process. */
  readonly sidecar: { readonly address: string; readonly port: number } | { readonly inProcess: ExtProcTransport };
  readonly settings: EnvoySettings;
  /** Header the sidecar writes the cluster name into (`cluster_header` routing); stripped from clients. */
  readonly clusterHeader: string;
  /** Read on every request, so a config reload changes the clusters without a restart. */
  readonly clusters: () => ReadonlyMap<string, ClusterTarget>;
  /** Where an unrouted API request goes with failure_mode_allow (config/fail-open-cluster.ts); absent: direct 503. */
  readonly failOpenCluster?: () => string | undefined;
  /** Upstream header and idle deadline (→ 504); default 300 s. */
  readonly requestTimeoutMs?: number;
  readonly logger?: GatewayLogger;
  readonly metrics?: GatewayMetrics;
}

export interface Gateway {
  readonly port: number;
  /** Envoy-named ext_proc counters, summed over all requests so far. */
  counters(): Readonly<ExtProcCounters>;
  /** Requests in flight now (responses not yet finished). */
  inFlight(): number;
  /**
   * Drains: stops accepting connections, answers requests that still arrive on open
   * connections with `connection: close`, and lets in-flight requests and streams finish.
   * When `force` aborts (grace period over, or a second SIGTERM) it closes at once.
   */
  drain(force: AbortSignal): Promise<void>;
  /** Stops listening, ends in-flight requests and releases gRPC and upstream connections. */
  close(): Promise<void>;
}

/** A local reply written straight to the response, before any exchange starts (connection closed after). */
function writeLocalReply(response: http.ServerResponse, reply: LocalReply): void {
  const headers = reply.headers.regularFlat();
  headers.push('content-length', String(reply.body.length), 'connection', 'close');
  response.writeHead(reply.status, headers).end(reply.body);
}

/** Answers what Node's HTTP/1 parser refused (Envoy's codec errors): 431 for an oversize header section, 408 past the header deadline, else 400. */
function answerCodecError(error: NodeJS.ErrnoException, socket: Socket, metrics: GatewayMetrics): void {
  if (error.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return;
  }
  const tooLarge = error.code === 'HPE_HEADER_OVERFLOW';
  const timedOut = error.code === 'ERR_HTTP_REQUEST_TIMEOUT';
  const reply = tooLarge
    ? errorReply('SY_ERR_REQUEST_HEADERS_TOO_LARGE', 'Request header fields too large.', 'headers_too_large')
    : timedOut
      ? errorReply('SY_ERR_REQUEST_TIMEOUT', 'The request headers did not arrive in time.', 'request_headers_timeout')
      : errorReply('SY_ERR_REQUEST_INVALID_FIELD', 'Malformed HTTP request.', 'http1_codec_error');
  metrics.localReply(reply.status, reply.details);
  const reason = tooLarge ? 'Request Header Fields Too Large' : timedOut ? 'Request Timeout' : 'Bad Request';
  const head = `HTTP/1.1 ${reply.status} ${reason}\r\ncontent-type: application/json\r\ncontent-length: ${reply.body.length}\r\nconnection: close\r\n\r\n`;
  socket.end(Buffer.concat([Buffer.from(head, 'latin1'), reply.body]));
}

/**
 * Starts the built-in gateway: an HTTP/1.1 listener that plays Envoy's part for the §5
 * envoy.yaml, calling the sidecar over the real ext_proc gRPC protocol for every request, or,
 * when the sidecar runs in the same process, driving it in-process with the same messages.
 */
export async function startGateway(options: GatewayOptions): Promise<Gateway> {
  const logger = options.logger ?? silentLogger;
  const metrics = options.metrics ?? NO_GATEWAY_METRICS;
  const counters = newExtProcCounters();
  const transport =
    'inProcess' in options.sidecar
      ? options.sidecar.inProcess
      : await grpcExtProcTransport(options.sidecar, options.settings.bufferLimitBytes, options.settings.extprocTls?.client);
  const upstreams = new UpstreamPool(options.requestTimeoutMs, options.settings.circuitBreakers);
  const context = {
    transport,
    settings: options.settings,
    counters,
    logger,
    routes: new RouteTable(options.clusterHeader, options.clusters, options.failOpenCluster),
    upstreams,
    clusterHeader: options.clusterHeader.toLowerCase(),
    metrics,
  };
  const downstreamLimits = options.settings.downstream ?? DEFAULT_DOWNSTREAM_LIMITS;
  const inFlight = new Set<GatewayExchange>();
  let draining = false;
  let drained: (() => void) | undefined;

  const server = http.createServer({ maxHeaderSize: MAX_HEADER_SECTION_BYTES, ...downstreamServerOptions(downstreamLimits) }, (request, response) => {
    // While draining, every response tells the client not to reuse the connection (as Envoy does).
    if (draining || lastRequestOnConnection(request, downstreamLimits)) response.shouldKeepAlive = false;
    if (request.url === '/healthz') {
      // The §5 `healthz` route: a direct response with ext_proc disabled.
      response.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
      return;
    }
    const oversized = oversizedHeaders(request);
    if (oversized !== undefined) {
      // Envoy's connection manager refuses these before any filter runs (HCM limits, 431).
      const reply = errorReply('SY_ERR_REQUEST_HEADERS_TOO_LARGE', 'Request header fields too large: at most 100 fields and 60 KiB.', oversized);
      metrics.localReply(reply.status, reply.details);
      writeLocalReply(response, reply);
      return;
    }
    const exchange = new GatewayExchange(context, request, response);
    inFlight.add(exchange);
    metrics.inFlight(1);
    void exchange.run().finally(() => {
      inFlight.delete(exchange);
      metrics.inFlight(-1);
      if (!draining) return;
      // Responses that started before the drain kept their connection alive: close it once idle.
      if (response.writableFinished) setImmediate(() => server.closeIdleConnections());
      else response.once('finish', () => setImmediate(() => server.closeIdleConnections()));
      if (inFlight.size === 0) drained?.();
    });
  });
  // Node keeps only the first 2000 header fields by default (so a Host sent later seems missing
  // and Node answers 400 itself); keep them all, the header section is capped in bytes above.
  server.maxHeadersCount = 0;
  applyDownstreamLimits(server, downstreamLimits, metrics);
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Socket) => answerCodecError(error, socket, metrics));
  server.listen(options.listen.port, options.listen.address);
  await once(server, 'listening');
  const stopped = new Promise<void>((resolve) => server.once('close', () => resolve()));

  const release = async (): Promise<void> => {
    for (const exchange of inFlight) exchange.cancel('shutdown');
    server.closeAllConnections();
    await stopped;
    transport.close();
    await upstreams.close();
  };

  return {
    port: (server.address() as AddressInfo).port,
    counters: () => ({ ...counters }),
    inFlight: () => inFlight.size,
    async drain(force) {
      draining = true;
      for (const exchange of inFlight) exchange.closeConnectionAfterResponse();
      server.close();
      if (inFlight.size > 0 && !force.aborted) {
        await new Promise<void>((resolve) => {
          drained = resolve;
          force.addEventListener('abort', () => resolve(), { once: true });
        });
      }
      if (inFlight.size > 0) logger.warn({ inFlight: inFlight.size }, 'drain period over; cutting the requests still in flight');
      await release();
    },
    async close() {
      draining = true;
      server.close();
      await release();
    },
  };
}
