import * as grpc from '@grpc/grpc-js';
import type { ExtProcClientTls } from '../config/runtime-config.js';
import type { ProcessingRequest, ProcessingRequestKind } from '../extproc/ext-proc-messages.js';
import { loadExtProcDefinitions } from '../extproc/envoy-protos.js';
import { extProcChannelSecurity } from '../extproc/ext-proc-tls.js';
import { EncodedMessage, LargeBodyWriter, passingEncoded, processingRequestBodyPaths } from '../extproc/large-body-encoding.js';
import type { ResponseBodyObserver } from '../extproc/response-body-observer.js';
import type { WireProcessingResponse } from './ext-proc-wire.js';

/** What the gateway hears on one side stream. */
export interface ExtProcStreamListener {
  /** One reply, in the decoded wire shape. */
  onReply(reply: WireProcessingResponse): void;
  /** The call ended with this gRPC status (0 = OK), once; nothing arrives after it. */
  onStatus(code: grpc.status, details: string): void;
}

/** The gateway's end of one `ExternalProcessor/Process` call. */
export interface ExtProcClientCall {
  write(kind: ProcessingRequestKind, message: ProcessingRequest): void;
  /** Half-close: no more messages; the server answers what is pending and ends with OK. */
  end(): void;
  /** Reset: the server sees CANCELLED. */
  cancel(): void;
  /** What a co-located sidecar asked the gateway to run on the response body (once); absent over gRPC. */
  takeResponseBodyObserver?(): ResponseBodyObserver | undefined;
}

/**
 * How the gateway reaches the sidecar: over gRPC (a sidecar in another process, or Envoy's
 * place taken by the gateway in tests), or in-process when `serve` runs both in one process.
 */
export interface ExtProcTransport {
  open(listener: ExtProcStreamListener): ExtProcClientCall;
  close(): void;
}

/** Room for the protobuf framing around a body that fills the whole buffer limit. */
const GRPC_MESSAGE_HEADROOM_BYTES = 64 * 1024;

function grpcTarget(address: string, port: number): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}

/** The real ext_proc protocol: HTTP/2, protobuf, one grpc-js channel for every side stream. */
export async function grpcExtProcTransport(
  sidecar: { readonly address: string; readonly port: number },
  bufferLimitBytes: number,
  tls: ExtProcClientTls | undefined,
): Promise<ExtProcTransport> {
  const messageLimit = bufferLimitBytes + GRPC_MESSAGE_HEADROOM_BYTES;
  const process = loadExtProcDefinitions().service['Process']!;
  const security = await extProcChannelSecurity(tls);
  const client = new grpc.Client(grpcTarget(sidecar.address, sidecar.port), security.credentials, {
    ...security.options,
    // Nothing reads channelz; its per-call bookkeeping is pure cost on every side stream.
    'grpc.enable_channelz': 0,
    'grpc.max_send_message_length': messageLimit,
    'grpc.max_receive_message_length': messageLimit,
  });
  const bodyPaths = processingRequestBodyPaths();
  return {
    open(listener) {
      // A large body is encoded without holding the event loop (large-body-encoding.ts).
      const call = client.makeBidiStreamRequest(process.path, passingEncoded(process.requestSerialize), process.responseDeserialize) as grpc.ClientDuplexStream<ProcessingRequest | EncodedMessage, WireProcessingResponse>;
      const writer = new LargeBodyWriter(call, process.requestSerialize, bodyPaths);
      call.on('data', (reply: WireProcessingResponse) => listener.onReply(reply));
      // grpc-js emits 'error' and then 'status' for a failed call; 'status' alone says it all.
      call.on('error', () => undefined);
      call.on('status', (status: grpc.StatusObject) => listener.onStatus(status.code, status.details));
      return {
        write: (_kind, message) => writer.write(message as unknown as Readonly<Record<string, unknown>>),
        end: () => writer.end(),
        cancel: () => {
          writer.stop();
          call.cancel();
        },
      };
    },
    close: () => client.close(),
  };
}
