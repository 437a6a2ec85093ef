import { EventEmitter } from 'node:events';
import { status as GrpcStatus } from '@grpc/grpc-js';
import type { ExtProcClientCall, ExtProcStreamListener, ExtProcTransport } from '../gateway/ext-proc-transport.js';
import type { ProcessingRequest, ProcessingRequestKind, ProcessingResponse } from './ext-proc-messages.js';
import { wireProcessingResponse } from './in-process-wire.js';
import type { ResponseBodyObserver } from './response-body-observer.js';
import { serveExtProcStream, type ExtProcCall, type StreamDependencies } from './stream.js';

/** What the sidecar does with each call: the same handler grpc-js is given for `Process`. */
export type ExtProcCallHandler = (call: InProcessServerCall) => void;

/**
 * The sidecar's end of an in-process side stream: what grpc-js's `ServerDuplexStream` gives a
 * handler. Its `end()` is status OK; an `error` it emits ends the call with that status.
 */
export class InProcessServerCall extends EventEmitter implements ExtProcCall {
  cancelled = false;

  constructor(private readonly client: InProcessClientCall) {
    super();
    this.on('error', (error: { code?: number; details?: string; message?: string }) =>
      client.receiveStatus(error.code ?? GrpcStatus.UNKNOWN, error.details ?? error.message ?? ''),
    );
  }

  write(response: ProcessingResponse): void {
    this.client.receiveReply(response);
  }

  end(): void {
    this.client.receiveStatus(GrpcStatus.OK, 'OK');
  }

  /** The gateway runs `observer` on the response body instead of sending it here (see the observer). */
  observeResponseBody(observer: ResponseBodyObserver): void {
    this.client.responseBodyObserver = observer;
  }
}

/**
 * The gateway's end. Its messages reach the handler as the objects it built (with the oneof
 * named, as grpc-js decodes it); replies reach the gateway in the decoded wire shape. A
 * half-close is `end` on the server, a cancel is `cancelled`. Delivery is synchronous: both
 * sides handle every message asynchronously, so a reply never comes back inside its write.
 */
class InProcessClientCall implements ExtProcClientCall {
  readonly server: InProcessServerCall = new InProcessServerCall(this);
  /** The server ended the call; the gateway hears nothing more. */
  private statusReceived = false;
  /** The gateway half-closed or cancelled; the server reads nothing more. */
  private writesEnded = false;
  /** Handed over by the server with its response-headers reply; taken once by the gateway. */
  responseBodyObserver: ResponseBodyObserver | undefined;

  constructor(private readonly listener: ExtProcStreamListener) {}

  write(kind: ProcessingRequestKind, message: ProcessingRequest): void {
    if (this.writesEnded || this.statusReceived) return;
    this.server.emit('data', { ...message, request: kind });
  }

  end(): void {
    if (this.writesEnded) return;
    this.writesEnded = true;
    if (!this.statusReceived) this.server.emit('end');
  }

  cancel(): void {
    if (this.statusReceived) return;
    this.writesEnded = true;
    this.server.cancelled = true;
    this.server.emit('cancelled');
    this.receiveStatus(GrpcStatus.CANCELLED, 'Cancelled on client');
  }

  takeResponseBodyObserver(): ResponseBodyObserver | undefined {
    const observer = this.responseBodyObserver;
    this.responseBodyObserver = undefined;
    return observer;
  }

  receiveReply(response: ProcessingResponse): void {
    if (!this.statusReceived) this.listener.onReply(wireProcessingResponse(response));
  }

  receiveStatus(code: GrpcStatus, details: string): void {
    if (this.statusReceived) return;
    this.statusReceived = true;
    this.listener.onStatus(code, details);
  }
}

/**
 * The co-located fast path: the gateway drives the sidecar's stream handler directly, no
 * HTTP/2 and no protobuf, with the same messages and the same stream life as over gRPC.
 */
export class InProcessExtProcTransport implements ExtProcTransport {
  private closed = false;

  constructor(private readonly handler: ExtProcCallHandler) {}

  open(listener: ExtProcStreamListener): ExtProcClientCall {
    const call = new InProcessClientCall(listener);
    if (this.closed) queueMicrotask(() => call.receiveStatus(GrpcStatus.UNAVAILABLE, 'in-process sidecar closed'));
    else this.handler(call.server);
    return call;
  }

  close(): void {
    this.closed = true;
  }
}

/** The sidecar of `serve`, in the gateway's process: every side stream runs {@link serveExtProcStream}. */
export function inProcessSidecar(dependencies: StreamDependencies): InProcessExtProcTransport {
  return new InProcessExtProcTransport((call) => serveExtProcStream(call, dependencies));
}
