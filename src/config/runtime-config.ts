import type { DashboardSettings } from '../dashboard/dashboard-settings.js';
import type { ObservabilitySettings } from '../telemetry/observability-config.js';
import type { DecisionEngine } from '../decisions/decision.js';
import type { ModelSelection } from '../selection/model-selection.js';
import type { SignalPipeline } from '../signals/signal.js';
import type { UpstreamApiFormat } from '../apis/api-format.js';
import type { ResponsesStoreSettings } from '../apis/responses-store.js';

/** One upstream address of a model, parsed from `endpoint: "host:port/path"`. */
export interface ModelEndpoint {
  readonly name: string;
  readonly weight: number;
  readonly protocol: 'http' | 'https';
  readonly host: string;
  readonly port: number;
  /** Path prefix carried by the endpoint ("" or e.g. "/v1beta/openai"), never with a trailing slash. */
  readonly pathPrefix: string;
  /** Envoy cluster name for this endpoint; what the sidecar writes into the cluster header. */
  readonly cluster: string;
  /** Credential of this endpoint (`endpoints[].access_key`); when absent the model's `accessKey` applies. */
  readonly accessKey?: string;
}

/** A reasoning family: how "reasoning on/off" is written into a request body for a model. */
export interface ReasoningFamily {
  readonly name: string;
  readonly type: 'chat_template_kwargs' | 'reasoning_effort';
  readonly parameter: string;
}

export interface ModelPricing {
  readonly currency: string;
  readonly promptPer1M: number;
  readonly completionPer1M: number;
}

/** A configured model, compiled. `name` is what decisions and clients use; it is also sent upstream. */
export interface ModelTarget {
  readonly name: string;
  readonly endpoints: readonly ModelEndpoint[];
  readonly accessKey?: string;
  readonly reasoningFamily?: ReasoningFamily;
  readonly pricing?: ModelPricing;
  readonly paramSize?: string;
  readonly capabilities: readonly string[];
  readonly qualityScore?: number;
  readonly description?: string;
  /** The wire format of its backend; absent means `openai` (chat completions). */
  readonly apiFormat?: UpstreamApiFormat;
}

export interface ListenerConfig {
  readonly name: string;
  readonly address: string;
  readonly port: number;
  readonly timeoutMs: number;
}

/** Settings of the ext_proc side that are not routing logic. */
export interface RouterSettings {
  /** Request `model` values that ask for routing ("auto", "MoM"). */
  readonly autoModelNames: ReadonlySet<string>;
  /** The name `/v1/models` lists first. */
  readonly primaryAutoModelName: string;
  /** Largest request body accepted; larger gets 413. */
  readonly maxRequestBodyBytes: number;
  /** Header carrying the Envoy cluster name for `cluster_header` routing. */
  readonly clusterHeader: string;
  /** Put the last user message in each request's log line (off: prompts never reach the log). */
  readonly logPrompts: boolean;
  /**
   * How long a SIGTERM lets in-flight requests, SSE streams and ext_proc streams finish before
   * the process cuts them (`router.drain_timeout`); match Kubernetes' terminationGracePeriodSeconds.
   */
  readonly drainTimeoutMs: number;
}

/** ext_proc processing modes, as in Envoy's `ProcessingMode`. */
export interface ProcessingModeSettings {
  readonly requestHeaderMode: 'SEND' | 'SKIP';
  readonly requestBodyMode: 'NONE' | 'STREAMED' | 'BUFFERED' | 'BUFFERED_PARTIAL';
  readonly responseHeaderMode: 'SEND' | 'SKIP';
  readonly responseBodyMode: 'NONE' | 'STREAMED' | 'BUFFERED' | 'BUFFERED_PARTIAL';
}

/** The sidecar's side of ext_proc TLS; paths are absolute. */
export interface ExtProcServerTls {
  readonly certFile: string;
  readonly keyFile: string;
  /** CA that client certificates must chain to; with it, a presented certificate is verified. */
  readonly clientCaFile?: string;
  /** Refuse a client without a certificate signed by `clientCaFile` (mutual TLS). */
  readonly requireClientCert: boolean;
}

/** Envoy's (and the built-in gateway's) side of ext_proc TLS; paths are absolute. */
export interface ExtProcClientTls {
  /** CA the sidecar's certificate must chain to. */
  readonly caFile: string;
  /** The client certificate presented to the sidecar, with its key. */
  readonly certFile?: string;
  readonly keyFile?: string;
  /** SNI sent and the DNS name the sidecar's certificate must carry; without it only the chain is checked. */
  readonly serverName?: string;
}

export interface ExtProcTlsSettings {
  readonly server?: ExtProcServerTls;
  readonly client?: ExtProcClientTls;
}

/**
 * How Envoy (or the built-in gateway, which plays Envoy's part) runs the ext_proc filter
 * and reaches the sidecar. `switchyard envoy` renders these into envoy.yaml, and the
 * gateway obeys the same values, so the two never drift.
 */
export interface EnvoySettings {
  /** Where the sidecar's gRPC server listens. */
  readonly extprocAddress: string;
  readonly extprocPort: number;
  /** Admin port (Envoy's admin, or the gateway's /healthz, /readyz, /metrics). */
  readonly adminPort: number;
  /** TLS on the ext_proc hop; absent means plaintext (right for loopback only). */
  readonly extprocTls?: ExtProcTlsSettings;
  readonly processingMode: ProcessingModeSettings;
  readonly failureModeAllow: boolean;
  readonly allowModeOverride: boolean;
  /** Per-message reply deadline; Envoy answers 504 when it passes. */
  readonly messageTimeoutMs: number;
  readonly maxMessageTimeoutMs: number;
  /** Listener buffer limit: a buffered request body over it gets 413. */
  readonly bufferLimitBytes: number;
  readonly routeCacheAction: 'DEFAULT' | 'CLEAR' | 'RETAIN';
  /** Envoy's circuit breakers of every model cluster (`envoy.circuit_breakers`). */
  readonly circuitBreakers: CircuitBreakerSettings;
  /** Caps on client connections of each listener (`envoy.downstream`); absent: the schema defaults. */
  readonly downstream?: DownstreamLimits;
}

/**
 * What an operator caps on the client side of each listener, as Envoy's connection_limit
 * filter and connection-manager options do: past `maxConnections` a new connection gets 503
 * and is closed; after `maxRequestsPerConnection` requests (0: no cap) a connection is closed
 * once its response is sent; a header section not complete within `requestHeadersTimeoutMs`
 * gets 408; a connection idle for `idleTimeoutMs` between requests is closed.
 */
export interface DownstreamLimits {
  readonly maxConnections: number;
  readonly maxRequestsPerConnection: number;
  readonly requestHeadersTimeoutMs: number;
  readonly idleTimeoutMs: number;
}

/**
 * Envoy's per-cluster circuit-breaker thresholds: past them a request is refused at once with
 * 503 (`upstream_rq_pending_overflow`) instead of queueing without bound.
 */
export interface CircuitBreakerSettings {
  /** Connections open to the cluster. */
  readonly maxConnections: number;
  /** Requests waiting for a connection. */
  readonly maxPendingRequests: number;
  /** Requests in flight to the cluster. */
  readonly maxRequests: number;
}

/** HNSW graph settings of the in-process semantic-cache index. */
export interface HnswSettings {
  readonly m: number;
  readonly efConstruction: number;
  readonly efSearch: number;
}

/** The global `semantic_cache` section, compiled; when enabled every decision uses the cache unless its `semantic-cache` plug-in turns it off. */
export interface SemanticCacheSettings {
  readonly enabled: boolean;
  readonly backendType: 'memory' | 'redis';
  readonly similarityThreshold: number;
  /** 0 means answers are not written. */
  readonly ttlSeconds: number;
  readonly maxEntries: number;
  readonly evictionPolicy: 'lru' | 'lfu' | 'fifo';
  /** How long identical concurrent misses wait for the first one's answer. */
  readonly coalesceTimeoutMs: number;
  readonly redis: { readonly url: string; readonly keyPrefix: string };
  readonly hnsw: HnswSettings;
}

/** Where `serve` takes routing from after start-up (`config_source`). */
export type ConfigSourceSettings =
  | { readonly kind: 'file' }
  /** `namespace` absent: the pod's own (see `kubernetes/namespace.ts`). */
  | { readonly kind: 'kubernetes'; readonly namespace?: string; readonly routerName: string };

/**
 * The compiled, immutable form of a config file. Built once per load; a stream keeps the
 * snapshot it started with, and a reload swaps the snapshot for new streams only.
 */
export interface RuntimeConfig {
  /** Content hash of the source, for logs and `/readyz`. */
  readonly version: string;
  readonly sourcePath: string;
  /**
   * Content hash of each top-level section as compiled (after `${VAR}` expansion, defaults filled
   * in), so a reload can say which sections it changed.
   */
  readonly sectionDigests: Readonly<Record<string, string>>;
  readonly listeners: readonly ListenerConfig[];
  readonly models: ReadonlyMap<string, ModelTarget>;
  readonly defaultModel: string;
  readonly defaultReasoningEffort: string;
  readonly router: RouterSettings;
  readonly envoy: EnvoySettings;
  /** Always set by the compiler; absent (a file) only in configs assembled by hand. */
  readonly configSource?: ConfigSourceSettings;
  readonly signals: SignalPipeline;
  readonly decisions: DecisionEngine;
  /** Always set by the compiler; absent (cache off) only in configs assembled by hand. */
  readonly semanticCache?: SemanticCacheSettings;
  /** Selectors of the decisions and their learned state; absent (first modelRef) only in configs assembled by hand. */
  readonly selection?: ModelSelection;
  /** The Responses API store settings; absent when `response_api.enabled` is false. */
  readonly responseApi?: ResponsesStoreSettings;
  /** The web dashboard on the admin port; absent (defaults) only in configs assembled by hand. */
  readonly dashboard?: DashboardSettings;
  /** Cost accounting, metrics export and tracing; absent (accounting off) only in configs assembled by hand. */
  readonly observability?: ObservabilitySettings;
  /** Releases resources held by plug-ins (model sessions, connections). */
  close(): Promise<void>;
}
