import type { RequestRecordSink } from '../telemetry/request-log.js';
import type { RequestTracer } from '../telemetry/request-tracing.js';
import { randomUUID } from 'node:crypto';
import type { ResponsesStore } from '../apis/responses-store.js';
import * as grpc from '@grpc/grpc-js';
import type { RuntimeConfig } from '../config/runtime-config.js';
import { errorReply } from '../router/error-reply.js';
import type { SemanticCache } from '../cache/semantic-cache.js';
import type { RouterLogger } from '../telemetry/logger.js';
import type { RouterMetrics } from '../telemetry/metrics.js';
import type { ProcessingRequest, ProcessingResponse } from './ext-proc-messages.js';
import type { ResponseBodyObserver } from './response-body-observer.js';
import { immediateResponse } from './responses.js';
import { RoutingStreamProcessor, type ChatRouter, type StreamProcessor } from './stream-processor.js';

/**
 * The abort reason when Envoy ends a stream. Envoy resets every stream after its last reply by
 * default, so a shared reason spares a DOMException (and its stack trace) per request.
 */
const STREAM_ENDED = new Error('ext_proc stream ended');

/** Where a stream gets its config snapshot: the store a reload swaps. */
export interface ConfigSource {
  current(): RuntimeConfig;
}

/** What every stream of a server shares. */
export interface StreamDependencies {
  readonly store: ConfigSource;
  readonly route: ChatRouter;
  readonly logger: RouterLogger;
  readonly metrics: RouterMetrics;
  /** The semantic cache for a config snapshot, shared by every stream using it; undefined when off. */
  readonly cacheFor: (config: RuntimeConfig) => SemanticCache | undefined;
  /** The Responses API store; undefined when `response_api` is off. */
  readonly responsesStore?: ResponsesStore;
  /** Receives each request's record (metrics, recent requests); none when absent. */
  readonly records?: RequestRecordSink;
  /** Traces requests; none when absent. */
  readonly tracer?: RequestTracer;
}

/**
 * The server side of one `ExternalProcessor/Process` call, as much of grpc-js's
 * `ServerDuplexStream` as a stream uses; the in-process transport implements the same.
 */
export interface ExtProcCall {
  readonly cancelled: boolean;
  write(response: ProcessingResponse): unknown;
  end(): unknown;
  on(event: 'data', listener: (message: ProcessingRequest) => void): unknown;
  on(event: 'end' | 'cancelled', listener: () => void): unknown;
  on(event: 'error', listener: (error: grpc.ServiceError) => void): unknown;
  /** Only in-process: the co-located gateway runs the observer on the response body it forwards. */
  observeResponseBody?(observer: ResponseBodyObserver): void;
}

/**
 * Runs one Envoy ext_proc stream: replies to each message exactly once, in arrival order, with
 * the matching oneof. A failing phase becomes a 500 local reply with an error id; the call
 * itself is never torn down, so one bad request cannot disturb any other.
 */
export function serveExtProcStream(call: ExtProcCall, dependencies: StreamDependencies): void {
  const { metrics } = dependencies;
  // Bound to the request's x-request-id once the headers arrive, so sidecar lines join gateway/Envoy lines.
  const logger = dependencies.logger.child({});
  metrics.streamOpened();
  const abort = new AbortController();
  let finished = false;
  /** Messages received and not yet answered: routing work a cancel has to stop. */
  let unanswered = 0;
  let pending: Promise<void> = Promise.resolve();
  const config = dependencies.store.current();
  const cache = dependencies.cacheFor(config);
  const processor = new RoutingStreamProcessor({
    config,
    route: dependencies.route,
    logger,
    metrics,
    abort: abort.signal,
    ...(cache === undefined ? {} : { cache }),
    ...(dependencies.responsesStore === undefined ? {} : { responsesStore: dependencies.responsesStore }),
    ...(dependencies.records === undefined ? {} : { records: dependencies.records }),
    ...(dependencies.tracer === undefined ? {} : { tracer: dependencies.tracer }),
    ...(call.observeResponseBody === undefined ? {} : { observeResponseBody: (observer: ResponseBodyObserver) => call.observeResponseBody!(observer) }),
    extendMessageTimeout: (ms) => {
      if (finished || call.cancelled) return;
      const whole = Math.floor(ms);
      call.write({ override_message_timeout: { seconds: Math.floor(whole / 1000), nanos: (whole % 1000) * 1_000_000 } });
    },
  });

  const reply = async (message: ProcessingRequest): Promise<void> => {
    try {
      if (finished) return;
      const response = await answer(processor, message, logger, metrics);
      if (response === undefined || finished || call.cancelled) return;
      // After an ImmediateResponse Envoy sends nothing more and ignores anything we would say.
      if (response.immediate_response !== undefined) finished = true;
      call.write(response);
    } finally {
      unanswered -= 1;
    }
  };
  // Envoy resets every stream after its last reply, so most ends find nothing left to stop; an
  // abort would then only cost its event dispatch (tens of µs per stream).
  const stopRouting = (): void => {
    if (unanswered > 0) abort.abort(STREAM_ENDED);
  };

  call.on('data', (message: ProcessingRequest) => {
    if (message.request === 'request_headers') bindRequestId(logger, message);
    unanswered += 1;
    pending = pending.then(() => reply(message));
  });
  call.on('end', () => {
    // A half-close (graceful Envoy close) is answered with OK once queued replies are out.
    void pending.then(() => {
      processor.close();
      if (!call.cancelled) call.end();
    });
  });
  // Envoy resets the stream right after the last reply it expects: CANCELLED is the normal end.
  call.on('cancelled', () => {
    finished = true;
    processor.close();
    stopRouting();
  });
  call.on('error', (error: grpc.ServiceError) => {
    finished = true;
    processor.close();
    stopRouting();
    if (error.code === grpc.status.CANCELLED) return;
    logger.warn({ err: error }, 'ext_proc stream failed');
  });
}

/** x-request-id as Envoy (or the gateway) sends it; both generate one when the client sent none. */
function bindRequestId(logger: RouterLogger, message: ProcessingRequest): void {
  const entry = message.request_headers?.headers?.headers.find((header) => header.key.toLowerCase() === 'x-request-id');
  if (entry === undefined) return;
  const raw = entry.raw_value;
  const requestId = raw !== undefined && raw.length > 0 ? raw.toString('latin1') : (entry.value ?? '');
  if (requestId !== '') logger.setBindings({ requestId });
}

async function answer(
  processor: StreamProcessor,
  message: ProcessingRequest,
  logger: RouterLogger,
  metrics: RouterMetrics,
): Promise<ProcessingResponse | undefined> {
  if (message.observability_mode) return undefined;
  try {
    switch (message.request) {
      case 'request_headers':
        return await processor.requestHeaders(message.request_headers!);
      case 'request_body':
        return await processor.requestBody(message.request_body!);
      case 'response_headers':
        return await processor.responseHeaders(message.response_headers!);
      case 'response_body':
        return await processor.responseBody(message.response_body!);
      case 'request_trailers':
        return { request_trailers: {} };
      case 'response_trailers':
        return { response_trailers: {} };
      case undefined:
        // A message kind newer than our protos: an empty reply would be spurious, so say nothing.
        logger.warn('ext_proc message without a known kind ignored');
        return undefined;
    }
  } catch (error) {
    const errorId = randomUUID();
    logger.error({ err: error, errorId, phase: message.request }, 'ext_proc phase failed');
    const reply = processor.failed(errorReply(error instanceof Error ? error : new Error(String(error)), errorId));
    metrics.errorReplied(reply.details);
    return immediateResponse(reply);
  }
}
