import * as grpc from '@grpc/grpc-js';
import { loadExtProcDefinitions } from '../../src/extproc/envoy-protos.js';

/** A reply as proto-loader decodes it (defaults filled, enums as names, bytes as Buffer). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- decoded protobuf objects are checked field by field in tests
export type DecodedReply = Record<string, any>;

/** A request as Envoy's HTTP connection manager hands it to the ext_proc filter. */
export interface EnvoyRequest {
  readonly method?: string;
  readonly path: string;
  readonly authority?: string;
  /** Extra headers (lower-case names); repeated names allowed. */
  readonly headers?: readonly (readonly [string, string])[];
  /** Omitted for a request without a body (headers carry end_of_stream). */
  readonly body?: Buffer | string;
  readonly requestId?: string;
}

/** An upstream response Envoy would feed back through the filter. */
export interface EnvoyResponse {
  readonly status?: number;
  readonly headers?: readonly (readonly [string, string])[];
  /** STREAMED chunks, sent pipelined; the last carries end_of_stream. */
  readonly chunks?: readonly (Buffer | string)[];
}

/** Every reply of one exchange, by the message it answered. */
export interface Exchange {
  readonly requestHeaders: DecodedReply;
  readonly requestBody?: DecodedReply;
  readonly responseHeaders?: DecodedReply;
  readonly responseBody: DecodedReply[];
  /** The ImmediateResponse that ended the exchange, if one did. */
  readonly immediate?: DecodedReply;
}

/** Builds an Envoy header map: pseudo-headers first, values only in raw_value, as Envoy sends them. */
export function envoyHeaderMap(entries: readonly (readonly [string, string])[]): { headers: { key: string; raw_value: Buffer }[] } {
  return { headers: entries.map(([key, value]) => ({ key, raw_value: Buffer.from(value, 'utf8') })) };
}

/** Builds the request_headers message Envoy sends for a request. */
export function requestHeadersMessage(request: EnvoyRequest): Record<string, unknown> {
  const body = request.body === undefined ? undefined : Buffer.from(request.body);
  const entries: [string, string][] = [
    [':authority', request.authority ?? 'localhost:8899'],
    [':path', request.path],
    [':method', request.method ?? (body === undefined ? 'GET' : 'POST')],
    [':scheme', 'http'],
  ];
  if (body !== undefined) {
    entries.push(['content-type', 'application/json'], ['content-length', String(body.length)]);
  }
  entries.push(['x-forwarded-proto', 'http'], ['x-request-id', request.requestId ?? 'b3f6a1c2-0000-4000-8000-000000000001']);
  entries.push(...(request.headers ?? []).map(([name, value]): [string, string] => [name, value]));
  return { request_headers: { headers: envoyHeaderMap(entries), end_of_stream: body === undefined } };
}

/** One ext_proc stream driven message by message; replies are matched to sends in order. */
export class EnvoyStream {
  private readonly call: grpc.ClientDuplexStream<Record<string, unknown>, DecodedReply>;
  private readonly waiting: { resolve(reply: DecodedReply): void; reject(error: Error): void }[] = [];
  private readonly early: DecodedReply[] = [];
  private failure: Error | undefined;

  constructor(call: grpc.ClientDuplexStream<Record<string, unknown>, DecodedReply>) {
    this.call = call;
    call.on('data', (reply: DecodedReply) => {
      const next = this.waiting.shift();
      if (next) next.resolve(reply);
      else this.early.push(reply);
    });
    call.on('error', (error: Error) => this.fail(error));
    call.on('end', () => this.fail(new Error('ext_proc stream ended by the server')));
  }

  /** Sends a message without waiting (STREAMED chunks are pipelined like this). */
  write(message: Record<string, unknown>): void {
    this.call.write(message);
  }

  /** The next reply, in arrival order. */
  nextReply(): Promise<DecodedReply> {
    const ready = this.early.shift();
    if (ready) return Promise.resolve(ready);
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => this.waiting.push({ resolve, reject }));
  }

  /** Sends a message and waits for its reply, like Envoy pausing the filter chain. */
  send(message: Record<string, unknown>): Promise<DecodedReply> {
    this.write(message);
    return this.nextReply();
  }

  /** Ends the stream the way Envoy does by default after the last expected reply: a reset (CANCELLED). */
  cancel(): void {
    this.call.cancel();
  }

  /**
   * Ends the stream like Envoy with `ext_proc_graceful_grpc_close`: a half-close, then waiting
   * for the server's OK. Unlike resets, this is not subject to Node's HTTP/2 reset rate limit.
   */
  closeGracefully(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.call.once('status', (status: grpc.StatusObject) =>
        status.code === grpc.status.OK ? resolve() : reject(new Error(`stream closed with ${status.code} ${status.details}`)),
      );
      this.call.end();
    });
  }

  private fail(error: Error): void {
    this.failure ??= error;
    for (const waiter of this.waiting.splice(0)) waiter.reject(error);
  }
}

/** A gRPC client playing Envoy's ext_proc filter against a sidecar. */
export class ExtProcTestClient {
  private readonly client: grpc.Client & { Process(): grpc.ClientDuplexStream<Record<string, unknown>, DecodedReply> };

  /** `credentials` default to plaintext; `options` are extra channel options (e.g. a TLS name override). */
  constructor(port: number, host = '127.0.0.1', credentials = grpc.credentials.createInsecure(), options: grpc.ChannelOptions = {}) {
    const { Client } = loadExtProcDefinitions();
    this.client = new Client(`${host}:${port}`, credentials, options) as unknown as ExtProcTestClient['client'];
  }

  /** Opens a stream (Envoy opens one per HTTP request). */
  open(): EnvoyStream {
    return new EnvoyStream(this.client.Process());
  }

  /**
   * Runs one request through the filter like Envoy with request body BUFFERED and response body
   * STREAMED: headers, then the whole body, then (if given) the upstream response. Stops at an
   * ImmediateResponse and, after the last reply, resets the stream (Envoy's default) or closes it
   * gracefully.
   */
  async exchange(request: EnvoyRequest, response?: EnvoyResponse, close: 'reset' | 'graceful' = 'reset'): Promise<Exchange> {
    const stream = this.open();
    let completed = false;
    try {
      const exchange = await this.run(stream, request, response);
      completed = true;
      return exchange;
    } finally {
      if (close === 'graceful' && completed) await stream.closeGracefully();
      else stream.cancel();
    }
  }

  private async run(stream: EnvoyStream, request: EnvoyRequest, response?: EnvoyResponse): Promise<Exchange> {
    const requestHeaders = await stream.send(requestHeadersMessage(request));
    if (requestHeaders['immediate_response']) return { requestHeaders, responseBody: [], immediate: requestHeaders['immediate_response'] };
    let requestBody: DecodedReply | undefined;
    if (request.body !== undefined) {
      requestBody = await stream.send({ request_body: { body: Buffer.from(request.body), end_of_stream: true } });
      if (requestBody['immediate_response']) {
        return { requestHeaders, requestBody, responseBody: [], immediate: requestBody['immediate_response'] };
      }
    }
    if (response === undefined) return { requestHeaders, requestBody, responseBody: [] };
    const chunks = response.chunks ?? [];
    const responseHeaders = await stream.send({
      response_headers: {
        headers: envoyHeaderMap([[':status', String(response.status ?? 200)], ...(response.headers ?? [])]),
        end_of_stream: chunks.length === 0,
      },
    });
    chunks.forEach((chunk, index) =>
      stream.write({ response_body: { body: Buffer.from(chunk), end_of_stream: index === chunks.length - 1 } }),
    );
    const responseBody: DecodedReply[] = [];
    for (let i = 0; i < chunks.length; i += 1) responseBody.push(await stream.nextReply());
    return { requestHeaders, requestBody, responseHeaders, responseBody };
  }

  close(): void {
    this.client.close();
  }
}

/** Reads a header_mutation's set_headers into name → raw value (and the `value` field, to check it is empty). */
export function setHeaders(mutation: DecodedReply | null | undefined): Map<string, { raw: string; value: string }> {
  const result = new Map<string, { raw: string; value: string }>();
  for (const option of mutation?.['set_headers'] ?? []) {
    result.set(option.header.key, { raw: Buffer.from(option.header.raw_value).toString('utf8'), value: option.header.value });
  }
  return result;
}
