import { performance } from 'node:perf_hooks';
import { cacheHitReply } from '../cache/cache-hit-reply.js';
import { cacheKeyOf } from '../cache/cache-key.js';
import { completionFromEventStream, completionFromJson } from '../cache/completion-from-response.js';
import type { CacheWriteTicket, SemanticCache } from '../cache/semantic-cache.js';
import type { RuntimeConfig } from '../config/runtime-config.js';
import { RouterError } from '../errors.js';
import { MAX_JSON_DEPTH } from '../router/chat-request.js';
import { errorReply } from '../router/error-reply.js';
import { OFF_LOOP_JSON_BYTES, parseCompactJsonOffLoop } from '../router/json-worker.js';
import { errorFormatOfPath, matchApiPath, methodsServedAt, unknownPathMessage } from '../router/api-paths.js';
import { listModelsReply, retrieveModelReply } from '../router/model-list.js';
import type { routeChatCompletion } from '../router/route-request.js';
import type { LooperCacheLookup } from '../selection/looper/run-looper.js';
import type { ImmediateReply, RoutedRequest, RouteResult, RoutingTrace, SemanticCachePolicy } from '../router/route-result.js';
import { ApiAnswer } from '../apis/api-answer.js';
import type { ClientApi } from '../apis/api-format.js';
import { routeApiRequest, type ApiRoutingContext } from '../apis/api-routing.js';
import { translateErrorBody } from '../apis/api-errors.js';
import { deleteStoredResponse, retrieveStoredResponse } from '../apis/responses-retrieval.js';
import type { ResponsesStore } from '../apis/responses-store.js';
import { ResponseTiming } from '../selection/response-timing.js';
import type { RouterLogger } from '../telemetry/logger.js';
import type { RouterMetrics } from '../telemetry/metrics.js';
import { logRequest, type RequestLogEntry, type RequestRecordSink } from '../telemetry/request-log.js';
import { RequestMeter } from '../telemetry/request-meter.js';
import { RecordedStage, type RequestSpans, type RequestTracer } from '../telemetry/request-tracing.js';
import { stage, type StageSpan } from '../telemetry/stage-span.js';
import { traceIdOf } from '../telemetry/trace-context.js';
import type { BodySendMode, HttpBody, HttpHeaders, ProcessingResponse } from './ext-proc-messages.js';
import { readHeaderMap } from './header-map.js';
import type { ResponseBodyObserver } from './response-body-observer.js';
import { commonReply, headerMutation, immediateResponse } from './responses.js';

/** One object per Envoy stream, one method per ext_proc phase; each returns the one reply. */
export interface StreamProcessor {
  requestHeaders(message: HttpHeaders): Promise<ProcessingResponse>;
  requestBody(message: HttpBody): Promise<ProcessingResponse>;
  responseHeaders(message: HttpHeaders): Promise<ProcessingResponse>;
  responseBody(message: HttpBody): Promise<ProcessingResponse>;
  /** A phase threw and the transport answers with this error instead; returns it in the client's format. */
  failed(reply: ImmediateReply): ImmediateReply;
  /** The stream ended (closed after its last message, cancelled or failed). */
  close(): void;
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
  /** The process's semantic cache; absent when `semantic_cache` is off. */
  readonly cache?: SemanticCache;
  /** Sends `override_message_timeout` for the message being processed. */
  readonly extendMessageTimeout?: (ms: number) => void;
  /** The Responses API store; absent when `response_api` is off. */
  readonly responsesStore?: ResponsesStore;
  /** Receives each request's record (metrics, recent requests) besides the log line. */
  readonly records?: RequestRecordSink;
  /** Traces requests (`observability.tracing`); none when absent. */
  readonly tracer?: RequestTracer;
  /** Only with a co-located gateway (in-process transport): it runs this on the response body it forwards. */
  readonly observeResponseBody?: (observer: ResponseBodyObserver) => void;
}

/** An upstream response being collected so a cache miss can be written once it completes. */
interface ResponseCapture {
  readonly ticket: CacheWriteTicket;
  readonly chunks: Buffer[];
  bytes: number;
  eventStream: boolean;
}

/** What is known about a request's end, for its log line. */
interface RequestOutcome {
  trace: RoutingTrace | undefined;
  /** The router ran on the body (so routingMs means something). */
  routed: boolean;
  cached: boolean;
  status: number | null;
  /** When the routed request left for the upstream (performance.now()). */
  upstreamStarted: number | undefined;
  upstreamMs: number | null;
  logged: boolean;
}

/** How long signals, decision and rewrite took for this request, in milliseconds. */
export const ROUTING_LATENCY_HEADER = 'x-vsr-routing-latency-ms';
/** Time kept between a coalesced wait's end and the message deadline, for the reply to get out. */
const DEADLINE_MARGIN_MS = 200;

/**
 * The sidecar's processor, dispatching on the API path table: answers the model list and
 * retrieve itself, routes chat completions on the buffered body, and answers any other path
 * with a 404 that names the served ones.
 */
export class RoutingStreamProcessor implements StreamProcessor {
  private readonly context: StreamProcessorContext;
  private target: 'chat' | 'passthrough' = 'passthrough';
  /** The API the client speaks, which its answer comes back in. */
  private api: ClientApi = 'chat';
  private answer: ApiAnswer | undefined;
  private requestHeaderValues: ReadonlyMap<string, string> = new Map();
  private readonly bodyChunks: Buffer[] = [];
  private bodyBytes = 0;
  private routed: RoutedRequest | undefined;
  private routingMs = 0;
  private capture: ResponseCapture | undefined;
  /** The reply when the cache answered a looper decision's request before any model was called. */
  private looperCacheHit: ProcessingResponse | undefined;
  /** What the request log line reports, filled in phase by phase. */
  private readonly outcome: RequestOutcome = { trace: undefined, routed: false, cached: false, status: null, upstreamStarted: undefined, upstreamMs: null, logged: false };
  /** Watches a response body for time per output token (model selection's latency windows). */
  private timing: ResponseTiming | undefined;
  /** Tokens, cost and savings of the request (telemetry/request-meter.ts). */
  private readonly meter: RequestMeter;
  private readonly startedAt = performance.now();
  private clientBody: Buffer | undefined;
  private spans: RequestSpans | undefined;
  /** The request's stage timings: the trace's stages when sampled, else recorded for the metrics alone. */
  private stages: RecordedStage | undefined;
  /** The co-located gateway is reading the response body for accounting: the log line waits for its end. */
  private gatewayObserving = false;
  private closed = false;

  constructor(context: StreamProcessorContext) {
    this.context = context;
    this.meter = new RequestMeter(context.config);
  }

  async requestHeaders(message: HttpHeaders): Promise<ProcessingResponse> {
    const headers = readHeaderMap(message.headers);
    const method = headers.get(':method') ?? '';
    const path = headers.get(':path') ?? '';
    this.requestHeaderValues = headers;
    this.spans = this.context.tracer?.start(headers);
    this.stages = this.spans?.stages ?? (this.context.records?.recordStages === undefined ? undefined : new RecordedStage('stages', {}));
    // Anthropic clients get every error in Anthropic's format, a wrong method or path included.
    if (errorFormatOfPath(path) === 'messages') this.api = 'messages';
    const match = matchApiPath(path, method);
    if (match === undefined) return this.immediate(errorReply(new RouterError('SY_ERR_UNKNOWN_PATH', unknownPathMessage(method, path))));
    if (method !== match.route.method) {
      return this.immediate(errorReply(new RouterError('SY_ERR_METHOD_NOT_ALLOWED', `${method} is not allowed on ${pathWithoutQuery(path)}; use ${methodsServedAt(match)}`)));
    }
    switch (match.route.operation) {
      case 'list_models':
        return this.immediate(listModelsReply(this.context.config));
      case 'retrieve_model':
        return this.immediate(retrieveModelReply(this.context.config, match.parameter ?? ''));
      case 'retrieve_response':
        return this.immediate(await retrieveStoredResponse(this.context.responsesStore, match.parameter ?? ''));
      case 'delete_response':
        return this.immediate(await deleteStoredResponse(this.context.responsesStore, match.parameter ?? ''));
      case 'responses':
      case 'messages':
        this.api = match.route.operation;
        break;
      case 'chat_completions':
        break;
    }
    if (message.end_of_stream) {
      return this.immediate(errorReply(new RouterError('SY_ERR_REQUEST_MISSING_FIELD', 'request body is required')));
    }
    this.target = 'chat';
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
    this.clientBody = body;
    const started = performance.now();
    const routing = await stage(this.stages, 'routing', {}, (routingStage) => routeApiRequest(this.api, this.apiRoutingContext(started, routingStage), body, this.requestHeaderValues));
    const result = routing.result;
    // Only a translated or recorded answer is looked at; any other keeps the body out of the sidecar.
    if (result.kind === 'routed' && (routing.answer !== undefined || routing.recorder !== undefined)) this.answer = new ApiAnswer(routing, this.context.config.envoy.bufferLimitBytes);
    this.routingMs = performance.now() - started;
    this.outcome.routed = true;
    this.context.metrics.routingObserved(this.routingMs / 1000);
    if (result.kind !== 'passthrough') this.reportSignalFailures(result.trace);
    if (this.looperCacheHit !== undefined) return this.looperCacheHit;
    if (result.kind === 'routed' && result.cache !== undefined && this.context.cache !== undefined) {
      const hit = await this.consultCache(this.context.cache, result, result.cache, started);
      if (hit !== undefined) return hit.response;
    }
    return this.routeReply(result);
  }

  async responseHeaders(message: HttpHeaders): Promise<ProcessingResponse> {
    const routed = this.routed;
    if (routed === undefined) return commonReply('response_headers');
    const headers = readHeaderMap(message.headers);
    this.outcome.status = Number(headers.get(':status') ?? '0') || null;
    if (this.outcome.upstreamStarted !== undefined) this.outcome.upstreamMs = performance.now() - this.outcome.upstreamStarted;
    const envoy = this.context.config.envoy;
    const isEventStream = (headers.get('content-type') ?? '').toLowerCase().startsWith('text/event-stream');
    if (this.capture !== undefined) {
      const status = Number(headers.get(':status') ?? '0');
      // Only a complete 2xx body can be cached.
      if (status < 200 || status > 299 || message.end_of_stream) this.stopCapture();
      else this.capture.eventStream = isEventStream;
    }
    this.observeLatency(routed, headers, isEventStream, message.end_of_stream);
    const answer = message.end_of_stream ? undefined : this.answer?.headers(Number(headers.get(':status') ?? '0'), headers.get('content-type') ?? '');
    const configuredBodyMode = envoy.processingMode.responseBodyMode;
    const gateway = this.context.observeResponseBody;
    // The body reaches the sidecar only in a body mode other than NONE; a co-located gateway sees it in any.
    const bodyReachable = gateway !== undefined || configuredBodyMode !== 'NONE' || envoy.allowModeOverride;
    const accounting = this.meter.responseStarted(this.outcome.status ?? 0, isEventStream, message.end_of_stream || !bodyReachable);
    const sidecarReads = this.capture !== undefined || this.timing !== undefined || answer !== undefined;
    // Accounting alone needs nothing the co-located gateway does not see: it reads the usage where
    // the body passes, and the body stays out of the sidecar (no message per chunk).
    const inGateway = accounting && !sidecarReads && gateway !== undefined && (envoy.allowModeOverride || configuredBodyMode === 'NONE');
    if (inGateway) gateway(this.gatewayObserver());
    // Otherwise only what reads the response body keeps it here. Without a reader the body
    // bypasses the sidecar (NONE): every STREAMED chunk would otherwise wait for a reply, adding a
    // gRPC round trip to each SSE event. Body modes in a mode_override are absolute (unset = NONE),
    // so the request mode is restated.
    const readsBody = sidecarReads || (accounting && !inGateway);
    const responseBodyMode: BodySendMode | undefined = !readsBody ? 'NONE' : (answer?.bodyMode ?? (isEventStream || configuredBodyMode === 'NONE' ? 'STREAMED' : undefined));
    const modeOverride =
      responseBodyMode !== undefined && envoy.allowModeOverride
        ? { request_body_mode: envoy.processingMode.requestBodyMode, response_body_mode: responseBodyMode }
        : undefined;
    // The routing time is measured here, at the transport edge, because the router core has no clock.
    const mutation = headerMutation([...routed.responseHeaders, [ROUTING_LATENCY_HEADER, this.routingMs.toFixed(3)]], answer?.removeHeaders);
    return commonReply('response_headers', { header_mutation: mutation }, modeOverride);
  }

  async responseBody(message: HttpBody): Promise<ProcessingResponse> {
    const replacement = this.meter.responseChunk(message.body, performance.now(), message.end_of_stream);
    if (this.timing !== undefined && this.routed !== undefined) {
      const now = performance.now();
      this.timing.chunk(message.body, now);
      if (message.end_of_stream) {
        this.context.config.selection?.latency.observe(this.routed.trace.model, { tpotMs: this.timing.tpotMs(now) });
        this.timing = undefined;
      }
    }
    // A translated answer is replaced chunk by chunk; the cache keeps what the client reads.
    const translated = this.answer?.body(message.body, message.end_of_stream);
    if (message.end_of_stream) await this.answer?.stored();
    // A translated answer replaces the chunk; otherwise accounting may (an include_usage chunk taken out again).
    const out = this.answer !== undefined ? translated : replacement;
    const reply = commonReply('response_body', out === undefined ? undefined : { body_mutation: { body: out } });
    const capture = this.capture;
    if (capture === undefined) return reply;
    capture.chunks.push(translated ?? message.body);
    capture.bytes += (translated ?? message.body).length;
    if (capture.bytes > this.context.config.envoy.bufferLimitBytes) {
      this.stopCapture();
    } else if (message.end_of_stream) {
      this.capture = undefined;
      const text = Buffer.concat(capture.chunks, capture.bytes).toString('utf8');
      const completion = capture.eventStream ? completionFromEventStream(text) : completionFromJson(text);
      if (completion === undefined) capture.ticket.abandon();
      else {
        const write = this.stages?.child('cache.write');
        capture.ticket.complete(completion);
        write?.end();
      }
    }
    return reply;
  }

  private apiRoutingContext(started: number, stages: StageSpan | undefined): ApiRoutingContext {
    const { config, route, abort, responsesStore, logger, cache } = this.context;
    const onStoreError = (error: unknown): void => {
      logger.warn({ err: error }, 'storing a Responses API answer failed; previous_response_id will not find it');
    };
    // A looper decision asks the cache before its calls (chat clients: a cached chat answer is their reply as is).
    const looperCache = cache === undefined || this.api !== 'chat' ? undefined : (probe: RoutedRequest) => this.lookUpForLooper(cache, probe, started);
    const routeWithCache: ChatRouter =
      looperCache === undefined && stages === undefined
        ? route
        : (config, body, headers, signal, random, options) =>
            route(config, body, headers, signal, random, { ...options, ...(looperCache === undefined ? {} : { looperCache }), ...(stages === undefined ? {} : { stages }) });
    return { config, route: routeWithCache, abort, onStoreError, ...(responsesStore === undefined ? {} : { store: responsesStore }) };
  }

  /**
   * The cache lookup of a looper decision, keyed by the looper's name: a hit becomes the reply
   * before any model is called; on a miss the looper's held answer is written through `keep`, and
   * an answer routed to its last model is captured from the response as any routed answer.
   */
  private async lookUpForLooper(cache: SemanticCache, probe: RoutedRequest, started: number): Promise<LooperCacheLookup> {
    const hit = await this.consultCache(cache, probe, probe.cache!, started);
    if (hit !== undefined) {
      this.looperCacheHit = hit.response;
      return { kind: 'hit', reply: hit.reply };
    }
    return {
      kind: 'miss',
      keep: (completion) => {
        const capture = this.capture;
        this.capture = undefined;
        const cached = completionFromJson(JSON.stringify(completion));
        if (cached === undefined) capture?.ticket.abandon();
        else capture?.ticket.complete(cached);
      },
    };
  }

  failed(reply: ImmediateReply): ImmediateReply {
    this.outcome.status = reply.status;
    return this.inClientFormat(reply);
  }

  close(): void {
    // A response that never reached end_of_stream (aborted, reset, truncated) is not cached.
    this.stopCapture();
    this.closed = true;
    if (!this.gatewayObserving) this.logAfterReply();
  }

  /**
   * Writes the log line (and its metrics and spans) once the reply has gone out: the stream ends
   * while the gateway still writes the response, and the line is not the client's to wait for.
   */
  private logAfterReply(): void {
    const endedAt = performance.now();
    setImmediate(() => this.writeRequestLog(endedAt));
  }

  /** Accounting run by the co-located gateway on the body it forwards; the stream may close before the body ends. */
  private gatewayObserver(): ResponseBodyObserver {
    this.gatewayObserving = true;
    const ended = (): void => {
      if (!this.gatewayObserving) return;
      this.gatewayObserving = false;
      if (this.closed) this.logAfterReply();
    };
    return {
      rewrites: this.meter.rewritesResponse,
      chunk: (body, endOfStream) => {
        const replacement = this.meter.responseChunk(body, performance.now(), endOfStream);
        if (endOfStream) ended();
        return replacement;
      },
      abandon: ended,
    };
  }

  /** The request's one `info` line, once, when its stream ends. */
  private writeRequestLog(endedAt: number): void {
    const outcome = this.outcome;
    if (outcome.logged || !this.requestHeaderValues.has(':path')) return;
    outcome.logged = true;
    const headers = this.requestHeaderValues;
    const trace = outcome.trace;
    const prompt = this.routed?.prompt;
    const entry: RequestLogEntry = {
      requestId: headers.get('x-request-id') ?? null,
      method: headers.get(':method') ?? '',
      path: headers.get(':path') ?? '',
      decision: trace?.decision ?? null,
      model: trace?.model ?? null,
      reasoning: trace?.reasoning ?? null,
      blocked: trace?.blocked ?? false,
      cached: outcome.cached,
      status: outcome.status,
      routingMs: outcome.routed ? this.routingMs : null,
      upstreamMs: outcome.upstreamMs,
      ...(trace?.selection === undefined ? {} : { selection: { algorithm: trace.selection.algorithm, reason: trace.selection.reason } }),
      ...(trace === undefined ? {} : { signals: trace.signals }),
      ...(trace?.reasoningApplied === undefined ? {} : { reasoningApplied: trace.reasoningApplied }),
      ...(trace?.decision == null ? {} : { confidence: trace.confidence }),
      ...(trace?.reasoningEffort === undefined ? {} : { reasoningEffort: trace.reasoningEffort }),
      ...(trace?.piiTypes === undefined ? {} : { piiTypes: trace.piiTypes }),
      ...(prompt === undefined ? {} : { prompt }),
      latencyMs: endedAt - this.startedAt,
      traceId: this.spans?.traceId ?? traceIdOf(headers.get('traceparent')),
      ...this.meter.fields(outcome.status),
    };
    logRequest(this.context.logger, entry);
    if (this.stages !== undefined) this.context.records?.recordStages?.(this.stages.timings());
    this.context.records?.record(entry);
    this.spans?.end(entry);
  }

  /**
   * Feeds model selection's latency windows: time to the response headers for every 2xx answer, and
   * time per output token when the decision's selector reads it (then the body is watched).
   */
  private observeLatency(routed: RoutedRequest, headers: ReadonlyMap<string, string>, isEventStream: boolean, endOfStream: boolean): void {
    const selection = this.context.config.selection;
    const status = Number(headers.get(':status') ?? '0');
    if (selection === undefined || status < 200 || status > 299) return;
    const sentAt = this.outcome.upstreamStarted;
    if (sentAt === undefined) return;
    selection.latency.observe(routed.trace.model, { ttftMs: performance.now() - sentAt });
    const decision = routed.trace.decision === null ? undefined : selection.forDecision(routed.trace.decision);
    if (decision?.tokenTiming === true && !endOfStream) this.timing = new ResponseTiming(sentAt, isEventStream);
  }

  /** Counts a routed request, and its model selection when a decision's algorithm made one. */
  private countRouted(trace: RoutingTrace): void {
    this.context.metrics.requestRouted(trace.decision ?? 'none', trace.model);
    const selection = trace.selection;
    if (selection === undefined || trace.decision === null) return;
    this.context.metrics.modelSelected(trace.decision, selection.algorithm, selection.model);
    for (const attempt of trace.looper?.tries ?? []) {
      this.context.metrics.looperCall(trace.decision, attempt.model, attempt.outcome);
      if (attempt.error !== undefined) this.context.logger.warn({ decision: trace.decision, model: attempt.model, error: attempt.error }, 'looper call failed; the cascade went on');
    }
    if (selection.error !== undefined) {
      this.context.metrics.selectionEvent('selection_error');
      this.context.logger.warn({ decision: trace.decision, algorithm: selection.algorithm, error: selection.error }, 'model selection failed; the first modelRef was taken');
    }
  }

  private stopCapture(): void {
    this.capture?.ticket.abandon();
    this.capture = undefined;
  }

  /**
   * Looks the routed request up in the semantic cache: a hit becomes the reply; a miss leaves a
   * capture that writes the answer when the response completes. The cache never fails a request:
   * any error in it is logged and the request goes upstream.
   */
  private async consultCache(cache: SemanticCache, routed: RoutedRequest, policy: SemanticCachePolicy, started: number): Promise<{ response: ProcessingResponse; reply: ImmediateReply } | undefined> {
    let json: unknown;
    try {
      // The routed body can be megabytes: parse it where the router parses a large body, off the loop.
      const parsed = routed.body.length > OFF_LOOP_JSON_BYTES ? await parseCompactJsonOffLoop(routed.body, MAX_JSON_DEPTH) : { value: JSON.parse(routed.body.toString('utf8')) };
      // Strings too long to bring onto the loop (a conversation over a megabyte): not looked up, not stored.
      if ('longStrings' in parsed) return undefined;
      json = parsed.value;
    } catch {
      return undefined;
    }
    const key = cacheKeyOf(json, routed.cacheModel ?? routed.trace.model);
    if (key === undefined) return undefined;
    const { waitMs, overrideMs } = this.coalescingBudget(started);
    try {
      const lookup = await stage(this.stages, 'cache.lookup', {}, () => cache.lookup({
        key,
        policy,
        waitMs,
        signal: this.context.abort,
        ...(overrideMs === undefined || this.context.extendMessageTimeout === undefined
          ? {}
          : { onWait: () => this.context.extendMessageTimeout!(overrideMs) }),
      }));
      if (lookup.kind !== 'skip') this.context.metrics.cacheLookedUp(routed.trace.decision ?? 'none', lookup.kind);
      if (lookup.kind === 'miss') this.capture = { ticket: lookup.ticket, chunks: [], bytes: 0, eventStream: false };
      if (lookup.kind !== 'hit') return undefined;
      const options = (json as { stream_options?: { include_usage?: unknown } | null }).stream_options;
      this.countRouted(routed.trace);
      this.routed = routed;
      this.outcome.trace = routed.trace;
      this.outcome.cached = true;
      this.outcome.status = 200;
      if (this.clientBody !== undefined) this.meter.cacheHit(routed.trace.model, this.clientBody, lookup.completion);
      const latency: [string, string] = [ROUTING_LATENCY_HEADER, this.routingMs.toFixed(3)];
      const reply = cacheHitReply(lookup.completion, { stream: routed.stream, includeUsage: options?.include_usage === true }, [...routed.responseHeaders, latency]);
      return { response: immediateResponse(reply), reply };
    } catch (error) {
      this.context.logger.warn({ err: error }, 'semantic cache lookup failed; the request goes upstream');
      this.context.metrics.cacheEvent('backend_error', this.context.config.semanticCache?.backendType);
      return undefined;
    }
  }

  /**
   * How long this request may wait for an identical one in flight: the configured bound, cut to
   * what the message deadline allows. When Envoy accepts `override_message_timeout` the deadline
   * is extended to cover the wait; otherwise the wait fits in what is left of the current one.
   */
  private coalescingBudget(started: number): { waitMs: number; overrideMs: number | undefined } {
    const limit = this.context.cache?.coalesceTimeoutMs ?? 0;
    const { messageTimeoutMs, maxMessageTimeoutMs } = this.context.config.envoy;
    if (maxMessageTimeoutMs > messageTimeoutMs) {
      const waitMs = Math.min(limit, maxMessageTimeoutMs - DEADLINE_MARGIN_MS);
      return { waitMs, overrideMs: waitMs + DEADLINE_MARGIN_MS };
    }
    const left = messageTimeoutMs - (performance.now() - started) - DEADLINE_MARGIN_MS;
    return { waitMs: Math.max(0, Math.min(limit, left)), overrideMs: undefined };
  }

  private routeReply(result: RouteResult): ProcessingResponse {
    switch (result.kind) {
      case 'routed': {
        this.routed = result;
        this.outcome.trace = result.trace;
        this.outcome.upstreamStarted = performance.now();
        this.meter.sent(result, this.clientBody ?? result.body, this.outcome.upstreamStarted);
        this.countRouted(result.trace);
        this.context.logger.debug({ trace: result.trace }, 'request routed');
        const traceparent = this.spans?.upstreamStarted(result.trace.model);
        const set = traceparent === undefined ? result.requestHeaders.set : [...result.requestHeaders.set, ['traceparent', traceparent] as const];
        return commonReply('request_body', {
          status: 'CONTINUE',
          header_mutation: headerMutation(set, result.requestHeaders.remove),
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

  /** A skipped signal never fails the request, but it is never silent either. */
  private reportSignalFailures(trace: RoutingTrace | undefined): void {
    for (const failure of trace?.signalErrors ?? []) {
      this.context.metrics.signalFailed(failure.signal);
      this.context.logger.warn({ signal: failure.signal, error: failure.error }, 'signal failed; its rule counted as not matched');
    }
  }

  private immediate(answer: ImmediateReply): ProcessingResponse {
    const reply = this.inClientFormat(answer);
    this.outcome.status = reply.status;
    this.meter.immediate(reply, this.clientBody);
    if (reply.trace !== undefined) this.outcome.trace = reply.trace;
    if (reply.trace !== undefined) this.countRouted(reply.trace);
    if (reply.status >= 400) this.context.metrics.errorReplied(reply.details);
    return immediateResponse(reply);
  }

  /** An error reply as an Anthropic client expects it (translating is idempotent); others unchanged. */
  private inClientFormat(reply: ImmediateReply): ImmediateReply {
    if (this.api !== 'messages' || reply.status < 400) return reply;
    return { ...reply, body: translateErrorBody('messages', reply.status, reply.body) };
  }
}

function pathWithoutQuery(path: string): string {
  const query = path.indexOf('?');
  return query === -1 ? path : path.slice(0, query);
}
