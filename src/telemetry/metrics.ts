import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/**
 * What the sidecar reports about its work. Injected into the transport edges (extproc,
 * gateway, CLI) so the routing core stays free of metrics; never a module-level global.
 */
export interface RouterMetrics {
  /** One ext_proc gRPC stream opened (one per HTTP request Envoy processes). */
  streamOpened(): void;
  /** A chat request got a routing outcome; `decision` is "none" when no decision matched. */
  requestRouted(decision: string, model: string): void;
  /** A request ended in an error reply; `code` is the reply's machine-readable reason. */
  errorReplied(code: string): void;
  /** Time spent deciding one request, from body received to reply built. */
  routingObserved(seconds: number): void;
  /** Something the semantic cache did (hit, miss, write, eviction, backend error, …) on its `backend` (memory, redis). */
  cacheEvent(event: CacheEvent, backend?: string): void;
  /** A request's semantic-cache lookup found an answer (`hit`) or not (`miss`), under its decision ("none" without one). */
  cacheLookedUp(decision: string, outcome: 'hit' | 'miss'): void;
  /** Reports the entries of the caches `source` lists in `llm_cache_entries_total{backend}` from now on. */
  countCacheEntries(source: CacheEntryCounts): void;
  /** A signal rule could not be evaluated (error or timeout) and counted as not matched. */
  signalFailed(signal: string): void;
  /** A decision's selection algorithm chose a model. */
  modelSelected(decision: string, algorithm: string, model: string): void;
  /** Something model selection did besides choosing: feedback taken or refused, a store or selector failure. */
  selectionEvent(event: SelectionEvent): void;
  /** A looper (confidence cascade) called a model: it `answered`, was `escalated` from, or `failed`. */
  looperCall(decision: string, model: string, outcome: string): void;
  /** The client reset an ext_proc stream (Envoy does so when its downstream client disconnects). */
  streamReset(): void;
  /** The sidecar retired an HTTP/2 connection with a graceful GOAWAY (e.g. `client_resets`). */
  sessionRetired(reason: string): void;
}

/** What model selection counts; `store_error` is a failed Redis operation (the replica went on with its local state). */
export type SelectionEvent = 'feedback_accepted' | 'feedback_rejected' | 'store_error' | 'selection_error';

/** What the semantic cache counts; `backend_error` covers every failed Redis operation. */
export type CacheEvent =
  | 'hit'
  | 'miss'
  | 'write'
  | 'not_written'
  | 'eviction'
  | 'expiry'
  | 'near_miss_rejected'
  | 'coalesced'
  | 'backend_error';

/**
 * Athena's `llm_cache_operations_total{operation,status}` for the cache events that are operations;
 * near-miss rejections and coalesced waits qualify a lookup already counted, so they are not repeated.
 */
const CACHE_OPERATIONS: Readonly<Partial<Record<CacheEvent, readonly [operation: string, status: string]>>> = {
  hit: ['find_similar', 'hit'],
  miss: ['find_similar', 'miss'],
  write: ['add_entry', 'success'],
  not_written: ['add_entry', 'skipped'],
  eviction: ['evict', 'success'],
  expiry: ['expire', 'success'],
  backend_error: ['backend', 'error'],
};

/** The plug-in type Athena's `llm_cache_plugin_{hits,misses}_total` name: the semantic cache's. */
const CACHE_PLUGIN_TYPE = 'semantic-cache';

/** How many entries each cache backend holds now, read at scrape time. */
export type CacheEntryCounts = () => Iterable<readonly [backend: string, entries: number]>;

/** The Prometheus text of a registry, as served on `/metrics`. */
export interface MetricsExposition {
  readonly contentType: string;
  render(): Promise<string>;
}

/** {@link RouterMetrics} on prom-client with a registry of its own (one per process, or per test). */
export class PrometheusRouterMetrics implements RouterMetrics, MetricsExposition {
  readonly registry: Registry;
  private readonly requests: Counter<'decision' | 'model'>;
  private readonly streams: Counter;
  private readonly errors: Counter<'code'>;
  private readonly routingDuration: Histogram;
  private readonly cacheEvents: Counter<'event'>;
  private readonly cacheOperations: Counter<'backend' | 'operation' | 'status'>;
  private readonly cachePluginHits: Counter<'decision_name' | 'plugin_type'>;
  private readonly cachePluginMisses: Counter<'decision_name' | 'plugin_type'>;
  private readonly cacheEntrySources: CacheEntryCounts[] = [];
  private readonly signalFailures: Counter<'signal'>;
  private readonly selections: Counter<'decision' | 'algorithm' | 'model'>;
  private readonly looperCalls: Counter<'decision' | 'model' | 'outcome'>;
  private readonly selectionEvents: Counter<'event'>;
  private readonly sessionsRetired: Counter<'reason'>;
  private readonly streamResets: Counter;

  constructor(registry: Registry = new Registry()) {
    this.registry = registry;
    this.requests = new Counter({
      name: 'switchyard_requests_total',
      help: 'Chat requests by routing decision and selected model.',
      labelNames: ['decision', 'model'] as const,
      registers: [registry],
    });
    this.streams = new Counter({
      name: 'switchyard_extproc_streams_total',
      help: 'ext_proc gRPC streams opened by Envoy.',
      registers: [registry],
    });
    this.errors = new Counter({
      name: 'switchyard_errors_total',
      help: 'Requests answered with an error, by reason.',
      labelNames: ['code'] as const,
      registers: [registry],
    });
    // Routing is in-process and usually sub-millisecond; buckets reach 1 s for model-backed signals.
    this.routingDuration = new Histogram({
      name: 'switchyard_routing_duration_seconds',
      help: 'Time from request body received to routing reply built.',
      buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
      registers: [registry],
    });
    this.cacheEvents = new Counter({
      name: 'switchyard_semantic_cache_events_total',
      help: 'Semantic cache hits, misses, writes, evictions, expiries, near-miss rejections, coalesced waits and backend errors.',
      labelNames: ['event'] as const,
      registers: [registry],
    });
    this.cacheOperations = new Counter({
      name: 'llm_cache_operations_total',
      help: 'Semantic cache operations by backend, operation (find_similar, add_entry, evict, expire, backend) and status (Athena\'s name and labels).',
      labelNames: ['backend', 'operation', 'status'] as const,
      registers: [registry],
    });
    this.cachePluginHits = new Counter({
      name: 'llm_cache_plugin_hits_total',
      help: 'Semantic cache lookups that found an answer, by decision and plug-in type (Athena\'s name and labels).',
      labelNames: ['decision_name', 'plugin_type'] as const,
      registers: [registry],
    });
    this.cachePluginMisses = new Counter({
      name: 'llm_cache_plugin_misses_total',
      help: 'Semantic cache lookups that found no answer (the request went upstream), by decision and plug-in type (Athena\'s name and labels).',
      labelNames: ['decision_name', 'plugin_type'] as const,
      registers: [registry],
    });
    const entrySources = this.cacheEntrySources;
    new Gauge({
      name: 'llm_cache_entries_total',
      help: 'Entries the semantic cache holds now, by backend (Athena\'s name; a gauge, despite the suffix).',
      labelNames: ['backend'] as const,
      registers: [registry],
      // serve workers each mirror the same shared entries: the cluster's figure is one worker's, not their sum.
      aggregator: 'max',
      collect() {
        this.reset();
        const totals = new Map<string, number>();
        for (const source of entrySources) for (const [backend, entries] of source()) totals.set(backend, (totals.get(backend) ?? 0) + entries);
        for (const [backend, entries] of totals) this.set({ backend }, entries);
      },
    });
    this.signalFailures = new Counter({
      name: 'switchyard_signal_failures_total',
      help: 'Signal rules that failed or timed out and were treated as not matched, by type:name.',
      labelNames: ['signal'] as const,
      registers: [registry],
    });
    this.selections = new Counter({
      name: 'switchyard_model_selections_total',
      help: "Models chosen by a decision's selection algorithm.",
      labelNames: ['decision', 'algorithm', 'model'] as const,
      registers: [registry],
    });
    this.selectionEvents = new Counter({
      name: 'switchyard_selection_events_total',
      help: 'Selection feedback accepted or rejected, selection store errors and selector failures.',
      labelNames: ['event'] as const,
      registers: [registry],
    });
    this.looperCalls = new Counter({
      name: 'switchyard_looper_calls_total',
      help: 'Upstream calls a confidence cascade made during routing, by outcome (answered, escalated, failed).',
      labelNames: ['decision', 'model', 'outcome'] as const,
      registers: [registry],
    });
    this.streamResets = new Counter({
      name: 'switchyard_extproc_stream_resets_total',
      help: 'ext_proc streams the client reset (RST_STREAM) instead of closing them; Envoy resets when its downstream client cancels.',
      registers: [registry],
    });
    this.sessionsRetired = new Counter({
      name: 'switchyard_extproc_sessions_retired_total',
      help: 'ext_proc HTTP/2 connections the sidecar retired with a graceful GOAWAY, by reason (client_resets: a cancel storm neared the rapid-reset limit).',
      labelNames: ['reason'] as const,
      registers: [registry],
    });
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  streamOpened(): void {
    this.streams.inc();
  }

  requestRouted(decision: string, model: string): void {
    this.requests.inc({ decision, model });
  }

  errorReplied(code: string): void {
    this.errors.inc({ code });
  }

  cacheLookedUp(decision: string, outcome: 'hit' | 'miss'): void {
    (outcome === 'hit' ? this.cachePluginHits : this.cachePluginMisses).inc({ decision_name: decision, plugin_type: CACHE_PLUGIN_TYPE });
  }

  countCacheEntries(source: CacheEntryCounts): void {
    this.cacheEntrySources.push(source);
  }

  signalFailed(signal: string): void {
    this.signalFailures.inc({ signal });
  }

  modelSelected(decision: string, algorithm: string, model: string): void {
    this.selections.inc({ decision, algorithm, model });
  }

  selectionEvent(event: SelectionEvent): void {
    this.selectionEvents.inc({ event });
  }

  looperCall(decision: string, model: string, outcome: string): void {
    this.looperCalls.inc({ decision, model, outcome });
  }

  streamReset(): void {
    this.streamResets.inc();
  }

  sessionRetired(reason: string): void {
    this.sessionsRetired.inc({ reason });
  }

  routingObserved(seconds: number): void {
    this.routingDuration.observe(seconds);
  }

  cacheEvent(event: CacheEvent, backend = 'memory'): void {
    this.cacheEvents.inc({ event });
    const operation = CACHE_OPERATIONS[event];
    if (operation !== undefined) this.cacheOperations.inc({ backend, operation: operation[0], status: operation[1] });
  }

  render(): Promise<string> {
    return this.registry.metrics();
  }
}

/** How an upstream call failed, for {@link GatewayMetrics.upstreamFailure}. */
export type UpstreamFailureKind =
  /** No connection (refused, unreachable, DNS): Envoy's `upstream_cx_connect_fail`. */
  | 'connect_failure'
  /** No response headers, or no data, within the deadline: Envoy's `upstream_rq_timeout`. */
  | 'timeout'
  /** The connection broke before the response headers. */
  | 'reset_before_headers'
  /** The connection broke after the response had started: the client's response is cut. */
  | 'reset_mid_stream'
  /** A circuit-breaker limit refused the call: Envoy's `upstream_rq_pending_overflow`. */
  | 'overflow';

/** What the built-in gateway reports beyond Envoy's ext_proc counters. */
export interface GatewayMetrics {
  /** The gateway answered by itself (Envoy's local reply), e.g. 431 `request_headers_too_large`. */
  localReply(status: number, reason: string): void;
  upstreamFailure(kind: UpstreamFailureKind): void;
  /** The client went away before its response was complete. */
  clientCancelled(): void;
  /** A request entered (+1) or left (-1) the gateway. */
  inFlight(delta: 1 | -1): void;
}

/** A GatewayMetrics that counts nothing, for gateways started without metrics. */
export const NO_GATEWAY_METRICS: GatewayMetrics = {
  localReply: () => undefined,
  upstreamFailure: () => undefined,
  clientCancelled: () => undefined,
  inFlight: () => undefined,
};

/** Envoy's ext_proc filter counters by name (see src/gateway/ext-proc-counters.ts). */
export type NamedCounters = Readonly<Record<string, number>>;

/**
 * {@link GatewayMetrics} on prom-client, plus the gateways' Envoy-named ext_proc counters read at
 * scrape time (summed over every listener, so `/metrics` shows what Envoy's `/stats` would).
 */
export class PrometheusGatewayMetrics implements GatewayMetrics, MetricsExposition {
  readonly registry = new Registry();
  private readonly localReplies: Counter<'code' | 'reason'>;
  private readonly upstreamFailures: Counter<'kind'>;
  private readonly clientCancels: Counter;
  private readonly requestsInFlight: Gauge;

  constructor(extProcCounters: () => readonly NamedCounters[] = () => []) {
    const registers = [this.registry];
    new Counter({
      name: 'switchyard_gateway_ext_proc_events_total',
      help: "The built-in gateway's ext_proc filter counters, by Envoy's counter name.",
      labelNames: ['counter'] as const,
      registers,
      collect() {
        const totals = new Map<string, number>();
        for (const counters of extProcCounters()) {
          for (const [name, value] of Object.entries(counters)) totals.set(name, (totals.get(name) ?? 0) + value);
        }
        this.reset();
        for (const [name, value] of totals) this.inc({ counter: name }, value);
      },
    });
    this.localReplies = new Counter({
      name: 'switchyard_gateway_local_replies_total',
      help: 'Responses the gateway made itself (no route, body or headers too large, upstream failures, overload ...), by status code and reason.',
      labelNames: ['code', 'reason'] as const,
      registers,
    });
    this.upstreamFailures = new Counter({
      name: 'switchyard_gateway_upstream_failures_total',
      help: 'Upstream calls that failed: connect_failure, timeout, reset_before_headers, reset_mid_stream, overflow (circuit breaker).',
      labelNames: ['kind'] as const,
      registers,
    });
    this.clientCancels = new Counter({
      name: 'switchyard_gateway_client_cancels_total',
      help: 'Requests whose client went away before the response was complete.',
      registers,
    });
    this.requestsInFlight = new Gauge({
      name: 'switchyard_gateway_requests_in_flight',
      help: 'Requests the gateway is serving right now.',
      registers,
    });
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  localReply(status: number, reason: string): void {
    this.localReplies.inc({ code: String(status), reason });
  }

  upstreamFailure(kind: UpstreamFailureKind): void {
    this.upstreamFailures.inc({ kind });
  }

  clientCancelled(): void {
    this.clientCancels.inc();
  }

  inFlight(delta: 1 | -1): void {
    this.requestsInFlight.inc(delta);
  }

  render(): Promise<string> {
    return this.registry.metrics();
  }
}

/**
 * The process's own state under prom-client's standard names: `process_resident_memory_bytes`,
 * `nodejs_eventloop_lag_seconds` (and its percentiles), heap, handles, GC. One per process.
 */
export class ProcessMetrics implements MetricsExposition {
  readonly registry = new Registry();

  constructor() {
    collectDefaultMetrics({ register: this.registry, eventLoopMonitoringPrecision: 10 });
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  render(): Promise<string> {
    return this.registry.metrics();
  }
}
