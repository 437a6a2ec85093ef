import http2 from 'node:http2';
import type * as grpc from '@grpc/grpc-js';

/**
 * nghttp2's rapid-reset limiter as Node 20 sets it (CVE-2023-44487): a bucket of 1000 client
 * RST_STREAMs per connection, refilled at 33 per second. When it runs dry nghttp2 sends GOAWAY
 * INTERNAL_ERROR and tears the session down, failing every stream in flight on it. Node 20
 * exposes no option to change it (`streamResetBurst`/`streamResetRate` came later), and grpc-js
 * passes no such option through.
 */
const NGHTTP2_RESET_BURST = 1000;
const NGHTTP2_RESET_REFILL_PER_SECOND = 33;
/**
 * Resets still left in the bucket when the guard retires the connection. nghttp2 also counts
 * resets of streams that had already closed on our side (which we cannot see), so keep room.
 */
const RESETS_KEPT_IN_RESERVE = 300;

/** The grpc-js internals the guard reads: its HTTP/2 servers, one per bound address. */
interface GrpcServerInternals {
  readonly http2Servers?: ReadonlyMap<http2.Http2Server, unknown>;
}

/**
 * Replaces the rapid-reset guard's hard cut for the trusted peer (Envoy, or the built-in
 * gateway) with a graceful hand-over: Envoy resets its ext_proc stream whenever a downstream
 * client disconnects, so a burst of cancels is ordinary traffic here. The guard mirrors
 * nghttp2's bucket per connection and, before it runs dry, retires the connection with a
 * graceful GOAWAY (NO_ERROR): streams in flight finish on it, nghttp2 stops counting once a
 * GOAWAY is submitted, and the client opens a fresh connection for new streams, as Envoy and
 * grpc-js do on GOAWAY.
 */
/** What the guard reports: every client reset, and every connection it retires. */
export interface ResetStormEvents {
  onReset(): void;
  onRetire(resets: number): void;
}

export function guardAgainstResetStorms(server: grpc.Server, events: ResetStormEvents): void {
  const servers = (server as unknown as GrpcServerInternals).http2Servers;
  if (servers === undefined) {
    // A grpc-js upgrade moved its internals: fail loudly in tests rather than lose the guard silently.
    throw new Error('grpc-js internals changed: cannot install the HTTP/2 reset-storm guard');
  }
  for (const http2Server of servers.keys()) {
    http2Server.on('session', (session: http2.ServerHttp2Session) => watchSession(session, events));
  }
}

function watchSession(session: http2.ServerHttp2Session, events: ResetStormEvents): void {
  let tokens = NGHTTP2_RESET_BURST;
  let refilledAt = Date.now();
  let resets = 0;
  session.on('stream', (stream: http2.ServerHttp2Stream) => {
    stream.once('close', () => {
      // grpc-js ends every call with trailers (NO_ERROR); any other code is a reset.
      if (stream.rstCode === http2.constants.NGHTTP2_NO_ERROR) return;
      events.onReset();
      if (session.closed || session.destroyed) return;
      const now = Date.now();
      tokens = Math.min(NGHTTP2_RESET_BURST, tokens + ((now - refilledAt) / 1000) * NGHTTP2_RESET_REFILL_PER_SECOND);
      refilledAt = now;
      tokens -= 1;
      resets += 1;
      if (tokens > RESETS_KEPT_IN_RESERVE) return;
      session.close();
      events.onRetire(resets);
    });
  });
}
