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
 * Tokens still left when the guard retires the connection: room for streams the client opens
 * while the guard's GOAWAY is on its way, and for nghttp2's whole-second refill steps.
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
 * grpc-js do on GOAWAY. A connection whose resets are mostly of streams that never carried a
 * message is not a peer cancelling work but the rapid-reset attack (CVE-2023-44487): it gets GOAWAY
 * ENHANCE_YOUR_CALM instead, and no new streams. No ext_proc client opens a stream to reset it unused: Envoy
 * writes request_headers in the same flight as the stream's HEADERS.
 */
/** What the guard reports: every client reset, and every connection it retires or cuts. */
export interface ResetStormEvents {
  onReset(): void;
  onRetire(resets: number, reason: 'client_resets' | 'rapid_reset_attack'): void;
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

/**
 * Takes a token when a stream opens, before the client could reset it, and never gives it back.
 * nghttp2 counts every RST_STREAM it reads, also one for a stream that already closed cleanly on
 * our side: a Node client (grpc-js) cancels with END_STREAM followed by RST_STREAM, so when the
 * sidecar's trailers cross the RST the stream closes here with code 0 and no sign of the reset
 * while nghttp2 still spends a token on it. Handing tokens back for such "clean" closes let
 * nghttp2 run dry first in 3 of 10 storms (GOAWAY INTERNAL_ERROR, every stream on the connection
 * failed). A peer resets each stream at most once, so a token per opened stream can never fall
 * behind nghttp2's count; the price is that a busy connection is retired every ~700 streams (plus
 * 33 a second) and reopened, which costs one handshake.
 */
function watchSession(session: http2.ServerHttp2Session, events: ResetStormEvents): void {
  let tokens = NGHTTP2_RESET_BURST;
  let refilledAt = Date.now();
  let resets = 0;
  let unusedResets = 0;
  let retired = false;
  const refill = (): void => {
    const now = Date.now();
    tokens = Math.min(NGHTTP2_RESET_BURST, tokens + ((now - refilledAt) / 1000) * NGHTTP2_RESET_REFILL_PER_SECOND);
    refilledAt = now;
  };
  session.on('stream', (stream: http2.ServerHttp2Stream) => {
    refill();
    tokens -= 1;
    let carriedData = false;
    stream.once('data', () => {
      carriedData = true;
    });
    stream.once('close', () => {
      if (stream.rstCode === http2.constants.NGHTTP2_NO_ERROR) return;
      events.onReset();
      resets += 1;
      if (!carriedData) unusedResets += 1;
    });
    if (retired || tokens > RESETS_KEPT_IN_RESERVE || session.closed || session.destroyed) return;
    retired = true;
    if (unusedResets * 2 > resets) {
      events.onRetire(resets, 'rapid_reset_attack');
      // The GOAWAY goes out first (destroy() can drop it with the socket); close() then refuses new streams and ends the session.
      session.goaway(http2.constants.NGHTTP2_ENHANCE_YOUR_CALM);
      session.close();
      return;
    }
    session.close();
    events.onRetire(resets, 'client_resets');
  });
}
