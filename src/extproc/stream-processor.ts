import { performance } from 'node:perf_hooks';
import type { RuntimeConfig } from '../config/runtime-config.js';
import { RouterError } from '../errors.js';
import { errorReply } from '../router/error-reply.js';
import { listModelsReply } from '../router/model-list.js';
import type { routeChatCompletion } from '../router/route-request.js';
import type { ImmediateReply, RoutedRequest, RouteResult } from '../router/route-result.js';
import type { RouterLogger } from '../telemetry/logger.js';
import type { RouterMetrics } from '../telemetry/metrics.js';
import type { HttpBody, HttpHeaders, ProcessingResponse } from './ext-proc-messages.js';
import { readHeaderMap } from './header-map.js';
import { commonReply, headerMutation, immediateResponse } from './responses.js';

/** One object per Envoy stream, one method per ext_proc phase; each returns the one reply. */
export interface StreamProcessor {
  requestHeaders(message: HttpHeaders): Promise<ProcessingResponse>;
  requestBody(message: HttpBody): Promise<ProcessingResponse>;
  responseHeaders(message: HttpHeaders): Promise<ProcessingResponse>;
  responseBody(message: HttpBody): Promise<ProcessingResponse>;
}

/** The routing entry point the processor calls; a parameter so a caller can wrap or replace it. */
export type ChatRouter = typeof routeChatCompletion;

/** What a {@link RoutingStreamProcessor} works with; `config` is the snapshot taken when the stream opened. */
export interface StreamProcessorContext {
  readonly config: RuntimeConfig;
  readonly route: ChatRouter;
  readonly logger: RouterLogger;
  readonly metrics: RouterMetrics;
  /** Aborted when Envoy cancels the stream, so routing work stops early. */
  readonly abort: AbortSignal;
}

/** How long signals, decision and rewrite took for this request, in milliseconds. */
export const ROUTING_LATENCY_HEADER = 'x-vsr-routing-latency-ms';
const CHAT_COMPLETIONS_PATH = '/v1/chat/completions';
const MODELS_PATH = '/v1/models';

/**
 * The sidecar's processor: answers `GET /v1/models` itself, routes `POST /v1/chat/completions`
 * on the buffered body, and passes every other request through untouched.
 */
export class RoutingStreamProcessor implements StreamProcessor {
  private readonly context: StreamProcessorContext;
  private target: 'chat' | 'passthrough' = 'passthrough';
  private requestHeaderValues: ReadonlyMap<string, string> = new Map();
  private readonly bodyChunks: Buffer[] = [];
  private bodyBytes = 0;
  private routed: RoutedRequest | undefined;
  private routingMs = 0;

  constructor(context: StreamProcessorContext) {
    this.context = context;
  }

  async requestHeaders(message: HttpHeaders): Promise<ProcessingResponse> {
    const headers = readHeaderMap(message.headers);
    const method = headers.get(':method') ?? '';
    const path = pathWithoutQuery(headers.get(':path') ?? '');
    if (path === MODELS_PATH) {
      if (method === 'GET') return this.immediate(listModelsReply(this.context.config));
      return this.immediate(errorReply(new RouterError('SY_ERR_METHOD_NOT_ALLOWED', `${method} is not allowed on ${path}; use GET`)));
    }
    if (path !== CHAT_COMPLETIONS_PATH) return commonReply('request_headers');
    if (method !== 'POST') {
      return this.immediate(errorReply(new RouterError('SY_ERR_METHOD_NOT_ALLOWED', `${method} is not allowed on ${path}; use POST`)));
    }
    if (message.end_of_stream) {
      return this.immediate(errorReply(new RouterError('SY_ERR_REQUEST_MISSING_FIELD', 'request body is required')));
    }
    this.target = 'chat';
    this.requestHeaderValues = headers;
    return commonReply('request_headers');
  }

  async requestBody(message: HttpBody): Promise<ProcessingResponse> {
    if (this.target !== 'chat') return commonReply('request_body');
    this.bodyChunks.push(message.body);
    this.bodyBytes += message.body.length;
    const limit = this.context.config.router.maxRequestBodyBytes;
    if (this.bodyBytes > limit) {
      return this.immediate(
        errorReply(new RouterError('SY_ERR_REQUEST_TOO_LARGE', `request body is larger than ${limit} bytes`)),
      );
    }
    // BUFFERED sends one message; in STREAMED mode each chunk is forwarded unless replaced, so
    // earlier chunks are swallowed and the whole (rewritten) body goes out with the last one.
    if (!message.end_of_stream) return commonReply('request_body', { body_mutation: { clear_body: true } });
    const body = this.bodyChunks.length === 1 ? message.body : Buffer.concat(this.bodyChunks, this.bodyBytes);
    const started = performance.now();
    const result = await this.context.route(this.context.config, body, this.requestHeaderValues, this.context.abort);
    this.routingMs = performance.now() - started;
    this.context.metrics.routingObserved(this.routingMs / 1000);
    return this.routeReply(result);
  }

  async responseHeaders(message: HttpHeaders): Promise<ProcessingResponse> {
    const routed = this.routed;
    if (routed === undefined) return commonReply('response_headers');
    const headers = readHeaderMap(message.headers);
    const envoy = this.context.config.envoy;
    const isEventStream = (headers.get('content-type') ?? '').toLowerCase().startsWith('text/event-stream');
    // Body modes in a mode_override are absolute (unset = NONE), so the request mode is restated.
    const modeOverride =
      isEventStream && envoy.allowModeOverride
        ? { request_body_mode: envoy.processingMode.requestBodyMode, response_body_mode: 'STREAMED' as const }
        : undefined;
    // The routing time is measured here, at the transport edge, because the router core has no clock.
    const mutation = headerMutation([...routed.responseHeaders, [ROUTING_LATENCY_HEADER, this.routingMs.toFixed(3)]]);
    return commonReply('response_headers', { header_mutation: mutation }, modeOverride);
  }

  async responseBody(): Promise<ProcessingResponse> {
    return commonReply('response_body');
  }

  private routeReply(result: RouteResult): ProcessingResponse {
    switch (result.kind) {
      case 'routed': {
        this.routed = result;
        this.context.metrics.requestRouted(result.trace.decision ?? 'none', result.trace.model);
        this.context.logger.debug({ trace: result.trace }, 'request routed');
        return commonReply('request_body', {
          status: 'CONTINUE',
          header_mutation: headerMutation(result.requestHeaders.set, result.requestHeaders.remove),
          body_mutation: { body: result.body },
          clear_route_cache: true,
        });
      }
      case 'immediate':
        return this.immediate(result);
      case 'passthrough':
        return commonReply('request_body');
    }
  }

  private immediate(reply: ImmediateReply): ProcessingResponse {
    if (reply.trace !== undefined) this.context.metrics.requestRouted(reply.trace.decision ?? 'none', reply.trace.model);
    if (reply.status >= 400) this.context.metrics.errorReplied(reply.details);
    return immediateResponse(reply);
  }
}

function pathWithoutQuery(path: string): string {
  const query = path.indexOf('?');
  return query === -1 ? path : path.slice(0, query);
}
