import type http from 'node:http';
import type { Socket } from 'node:net';
import type { DownstreamLimits } from '../config/runtime-config.js';
import type { GatewayMetrics } from '../telemetry/metrics.js';
import { errorReply } from './local-reply.js';

/** The schema defaults of `envoy.downstream`, for settings built without it. */
export const DEFAULT_DOWNSTREAM_LIMITS: DownstreamLimits = {
  maxConnections: 4096,
  maxRequestsPerConnection: 0,
  requestHeadersTimeoutMs: 10_000,
  idleTimeoutMs: 3_600_000,
};

const requestsServed = new WeakMap<Socket, number>();

/**
 * Applies `envoy.downstream` to the gateway's HTTP server, as Envoy's connection_limit network
 * filter and connection-manager options do for a listener:
 * - a connection past `maxConnections` is answered 503 `downstream_connection_limit` (JSON in
 *   the OpenAI error format) and closed before its request is read (Envoy just closes it);
 * - a header section still incomplete after `requestHeadersTimeoutMs` gets 408 (the server's
 *   clientError handler answers it, see `answerCodecError`);
 * - a keep-alive connection idle for `idleTimeoutMs` between requests is closed.
 * Refusals are counted as local replies by reason.
 */
export function applyDownstreamLimits(server: http.Server, limits: DownstreamLimits, metrics: GatewayMetrics): void {
  server.headersTimeout = limits.requestHeadersTimeoutMs;
  server.keepAliveTimeout = limits.idleTimeoutMs;
  let open = 0;
  server.on('connection', (socket: Socket) => {
    if (open >= limits.maxConnections) {
      const reply = errorReply('SY_ERR_GATEWAY_OVERLOADED', 'Too many client connections to the gateway. Retry later.', 'downstream_connection_limit');
      metrics.localReply(reply.status, reply.details);
      const head = `HTTP/1.1 ${reply.status} Service Unavailable\r\ncontent-type: application/json\r\ncontent-length: ${reply.body.length}\r\nconnection: close\r\n\r\n`;
      socket.on('error', () => socket.destroy());
      socket.end(Buffer.concat([Buffer.from(head, 'latin1'), reply.body]));
      // Node's own parser must not answer this socket too.
      socket.removeAllListeners('data');
      return;
    }
    open += 1;
    socket.once('close', () => {
      open -= 1;
    });
  });
}

/** Server options the limits need at creation: Node checks the header deadline on this interval. */
export function downstreamServerOptions(limits: DownstreamLimits): Pick<http.ServerOptions, 'connectionsCheckingInterval'> {
  return { connectionsCheckingInterval: Math.min(30_000, Math.max(100, Math.floor(limits.requestHeadersTimeoutMs / 4))) };
}

/**
 * `max_requests_per_connection`: true when this response is the connection's last (Envoy then
 * closes the connection after it); the caller sends it with `connection: close`.
 */
export function lastRequestOnConnection(request: http.IncomingMessage, limits: DownstreamLimits): boolean {
  if (limits.maxRequestsPerConnection === 0) return false;
  const served = (requestsServed.get(request.socket) ?? 0) + 1;
  requestsServed.set(request.socket, served);
  return served >= limits.maxRequestsPerConnection;
}
