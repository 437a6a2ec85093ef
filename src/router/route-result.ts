import type { LooperTry } from '../selection/looper/looper.js';
import type { ReasoningApplied } from './reasoning.js';

/** Header changes for the upstream request: removals first, then sets (Envoy's order). */
export interface HeaderEdit {
  readonly set: readonly (readonly [name: string, value: string])[];
  readonly remove: readonly string[];
}

/** What routing decided, in the stable shape that `switchyard route` prints. */
export interface RoutingTrace {
  readonly decision: string | null;
  readonly model: string;
  readonly reasoning: boolean;
  readonly blocked: boolean;
  /** Matched rule names per signal type, e.g. `{ keyword: ["coding_keywords"] }`. Types with no match are omitted. */
  readonly signals: Readonly<Record<string, readonly string[]>>;
  readonly confidence: number;
  /** Signal rules whose extractor failed or timed out (`on_error: skip`); they counted as not matched. */
  readonly signalErrors?: readonly SignalFailure[];
  /** How the decision's selection algorithm chose among its modelRefs; absent without a decision. */
  readonly selection?: SelectionTrace;
  /** The models a looper (confidence cascade) called for this request, in order; absent without one. */
  readonly looper?: { readonly tries: readonly LooperTry[] };
  /** The reasoning switch written into the upstream body; absent when reasoning was not turned on. */
  readonly reasoningApplied?: ReasoningApplied;
  /** The effort routing chose (the modelRef's, else `default_reasoning_effort`), asked for when reasoning is on; absent for a named model. */
  readonly reasoningEffort?: string;
  /** The PII types each matched `pii` rule denied, by rule name; absent when no PII rule matched. */
  readonly piiTypes?: Readonly<Record<string, readonly string[]>>;
}

/** One model selection: the algorithm, its choice and the reason in a few words. */
export interface SelectionTrace {
  readonly algorithm: string;
  readonly model: string;
  readonly reason: string;
  /** Set when the selector failed and `on_error: skip` took the first modelRef. */
  readonly error?: string;
}

/** One signal rule that could not be evaluated for a request. */
export interface SignalFailure {
  /** `type:name`, e.g. "domain:math". */
  readonly signal: string;
  readonly error: string;
}

/** A request that goes upstream, with the mutations to apply. */
export interface RoutedRequest {
  readonly kind: 'routed';
  readonly trace: RoutingTrace;
  /** The rewritten JSON body. */
  readonly body: Buffer;
  /** Upstream request header changes (content-length, routing headers, authorization, :path). */
  readonly requestHeaders: HeaderEdit;
  /** `x-vsr-*` headers to add to the response. */
  readonly responseHeaders: readonly (readonly [name: string, value: string])[];
  /** Whether the client asked for a streamed (SSE) response. */
  readonly stream: boolean;
  /** The router asked the upstream for `stream_options.include_usage` on the client's behalf: the response path removes the usage chunk. */
  readonly includeUsageAdded?: boolean;
  /** The request's semantic-cache policy; absent when the cache is off globally or for the winning decision. */
  readonly cache?: SemanticCachePolicy;
  /** The name the answer is cached under when it is not `trace.model`'s alone (a looper's answer: its decision's). */
  readonly cacheModel?: string;
  /** The last user message, for the request log; only when `router.log_prompts` is on. */
  readonly prompt?: string;
}

/** Per-decision cache settings, already merged with the global `semantic_cache` defaults. */
export interface SemanticCachePolicy {
  readonly similarityThreshold: number;
  readonly ttlSeconds: number;
}

/** A request answered by the sidecar itself: errors, `/v1/models`, blocks, cache hits. */
export interface ImmediateReply {
  readonly kind: 'immediate';
  readonly status: number;
  readonly headers: readonly (readonly [name: string, value: string])[];
  readonly body: Buffer;
  /** Set when the reply comes from a routing decision (a block), for `route` output. */
  readonly trace?: RoutingTrace;
  /** Short machine-readable reason; Envoy puts it in `%RESPONSE_CODE_DETAILS%`. */
  readonly details: string;
}

/** A request the sidecar does not touch. */
export interface PassThrough {
  readonly kind: 'passthrough';
}

export type RouteResult = RoutedRequest | ImmediateReply | PassThrough;
