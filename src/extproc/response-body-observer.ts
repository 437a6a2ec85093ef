/**
 * What the co-located gateway runs on an upstream response body it forwards itself (body mode
 * NONE), in place of streaming that body through the sidecar. `serve`'s sidecar hands one over
 * when cost accounting is the only reader of the body: the gateway sees every byte anyway, so
 * the usage is read where the body passes, and no ext_proc message is spent per chunk. A
 * sidecar behind Envoy (or reached over gRPC) never gets the chance, and reads the body in
 * STREAMED mode instead.
 */
export interface ResponseBodyObserver {
  /** chunk() may return a replacement (an include_usage chunk taken out): content-length cannot stand. */
  readonly rewrites: boolean;
  /**
   * One chunk as the upstream sent it, in order; `endOfStream` once, with the last one (which may
   * be empty). Returns what the client gets instead, or undefined to send the chunk unchanged.
   */
  chunk(body: Buffer, endOfStream: boolean): Buffer | undefined;
  /** The body will not reach its end (client gone, upstream reset, the exchange ended before it). */
  abandon(): void;
}
