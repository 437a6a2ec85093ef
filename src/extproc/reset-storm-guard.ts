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

/**
 * A stream both sides ended in order: the client half-closed while the stream was open, the
 * server sent its trailers, no RST_STREAM. Every other stream may have cost a token in nghttp2's
 * bucket, including one the server ended (trailers sent) while the client's RST_STREAM was
 * already on its way: nghttp2 counts that reset though the stream is gone on our side, and it
 * closes here with code 0.
 */
function finishedCleanly(stream: http2.ServerHttp2Stream, clientHalfClosed: boolean): boolean {
  return clientHalfClosed && stream.rstCode === http2.constants.NGHTTP2_NO_ERROR && stream.sentTrailers !== undefined;
}

/**
 * Takes a token when a stream opens, before the client could reset it, and gives it back when
 * the stream finishes cleanly. Counting resets as streams close lagged behind nghttp2, which
 * counts each RST_STREAM as it reads it: Node emits a reset stream's 'close' only once its
 * readable side is drained, and a stream the server had just ended closes with code 0 though its
 * RST_STREAM still costs a token. So about 1,150 resets could pass while the guard had seen 700,
 * and nghttp2 cut the connection under the healthy streams on it. Every RST_STREAM belongs to a
 * stream that was opened, so nghttp2's count can never get ahead of this one.
 */
function watchSession(session: http2.ServerHttp2Session, events: ResetStormEvents): void {
  let tokens = NGHTTP2_RESET_BURST;
  let refilledAt = Date.now();
  let resets = 0;
  let retired = false;
  const refill = (): void => {
    const now = Date.now();
    tokens = Math.min(NGHTTP2_RESET_BURST, tokens + ((now - refilledAt) / 1000) * NGHTTP2_RESET_REFILL_PER_SECOND);
    refilledAt = now;
  };
  session.on('stream', (stream: http2.ServerHttp2Stream) => {
    refill();
    tokens -= 1;
    // Node also ends the readable side when a stream closes; only an end while open is the client's.
    let clientHalfClosed = false;
    stream.once('end', () => {
      clientHalfClosed = !stream.closed;
    });
    stream.once('close', () => {
      if (finishedCleanly(stream, clientHalfClosed)) {
        refill();
        tokens = Math.min(NGHTTP2_RESET_BURST, tokens + 1);
        return;
      }
      events.onReset();
      resets += 1;
    });
    if (retired || tokens > RESETS_KEPT_IN_RESERVE || session.closed || session.destroyed) return;
    retired = true;
    session.close();
    events.onRetire(resets);
  });
}
