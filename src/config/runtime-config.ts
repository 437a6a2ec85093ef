import type { DecisionEngine } from '../decisions/decision.js';
import type { SignalPipeline } from '../signals/signal.js';

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
}

/**
 * The compiled, immutable form of a config file. Built once per load; a stream keeps the
 * snapshot it started with, and a reload swaps the snapshot for new streams only.
 */
export interface RuntimeConfig {
  /** Content hash of the source, for logs and `/readyz`. */
  readonly version: string;
  readonly sourcePath: string;
  readonly listeners: readonly ListenerConfig[];
  readonly models: ReadonlyMap<string, ModelTarget>;
  readonly defaultModel: string;
  readonly defaultReasoningEffort: string;
  readonly router: RouterSettings;
  readonly signals: SignalPipeline;
  readonly decisions: DecisionEngine;
  /** Releases resources held by plug-ins (model sessions, connections). */
  close(): Promise<void>;
}
