import type { LooperSectionDocument } from '../selection/looper/looper-section.js';
import type { SemanticCacheDocument } from '../cache/compile-semantic-cache.js';
import type { DashboardDocument } from '../dashboard/dashboard-settings.js';
import type { ModelSelectionDocument } from '../selection/compile-selection.js';
import type { ResponseApiDocument } from '../apis/response-api-schema.js';
import type { UpstreamApiFormat } from '../apis/api-format.js';
import type { ObservabilityDocument } from '../telemetry/observability-config.js';
/**
 * The shape of a config file after schema validation with defaults filled in: YAML keys as
 * written (snake_case). Only `compile.ts` turns it into the camelCase `RuntimeConfig`.
 */
export interface ConfigDocument {
  readonly version: string;
  readonly listeners: readonly ListenerDocument[];
  readonly providers: ProvidersDocument;
  readonly default_model?: string;
  readonly reasoning_families?: Readonly<Record<string, ReasoningFamilyDocument>>;
  readonly default_reasoning_effort?: string;
  readonly signals: Readonly<Record<string, readonly SignalRuleDocument[]>>;
  readonly decisions: readonly DecisionDocument[];
  readonly router: RouterDocument;
  readonly envoy: EnvoyDocument;
  readonly semantic_cache: SemanticCacheDocument;
  readonly dashboard: DashboardDocument;
  readonly model_selection: ModelSelectionDocument;
  readonly response_api: ResponseApiDocument;
  /** Athena's looper section: settings of the calls a confidence cascade makes. */
  readonly looper?: LooperSectionDocument;
  readonly observability: ObservabilityDocument;
  readonly config_source: 'file' | 'kubernetes';
  readonly kubernetes?: { readonly namespace?: string; readonly router_name: string };
}

/** A `listeners[]` entry. */
export interface ListenerDocument {
  readonly name: string;
  readonly address: string;
  readonly port: number;
  readonly timeout: string;
}

/** The `providers` section. */
export interface ProvidersDocument {
  readonly models: readonly ModelDocument[];
  readonly default_model?: string;
  readonly reasoning_families?: Readonly<Record<string, ReasoningFamilyDocument>>;
  readonly default_reasoning_effort?: string;
}

/** A `providers.models[]` entry. */
export interface ModelDocument {
  readonly name: string;
  readonly param_size?: string;
  readonly endpoints: readonly EndpointDocument[];
  readonly access_key?: string;
  readonly reasoning_family?: string;
  readonly capabilities: readonly string[];
  readonly quality_score?: number;
  readonly pricing?: { readonly currency: string; readonly prompt_per_1m: number; readonly completion_per_1m: number };
  readonly description?: string;
  readonly api_format: UpstreamApiFormat;
}

/** A `providers.models[].endpoints[]` entry. */
export interface EndpointDocument {
  readonly name: string;
  readonly weight: number;
  readonly endpoint: string;
  readonly protocol: 'http' | 'https';
  readonly access_key?: string;
}

/** A `reasoning_families.<name>` entry. */
export interface ReasoningFamilyDocument {
  readonly type: 'chat_template_kwargs' | 'reasoning_effort';
  readonly parameter: string;
}

/** One rule under `signals.<configKey>`; the rest of its fields belong to the plug-in's schema. */
export interface SignalRuleDocument {
  readonly name: string;
}

/** A decision's `rules`: a node `{operator, conditions}`, a leaf `{type, name}`, or `{}`. */
export interface RuleDocument {
  readonly operator?: string;
  readonly conditions?: readonly RuleDocument[];
  readonly type?: string;
  readonly name?: string;
}

/** A `decisions[]` entry. */
export interface DecisionDocument {
  readonly name: string;
  readonly description?: string;
  readonly priority: number;
  readonly rules: RuleDocument;
  readonly modelRefs: readonly {
    readonly model: string;
    readonly use_reasoning: boolean;
    readonly reasoning_effort?: string;
    readonly weight?: number;
  }[];
  readonly plugins: readonly { readonly type: string; readonly configuration: Readonly<Record<string, unknown>> }[];
  readonly algorithm?: Readonly<Record<string, unknown>>;
}

/** The Switchyard `router` section. */
export interface RouterDocument {
  readonly auto_model_names: readonly string[];
  readonly max_request_body_bytes: number;
  readonly cluster_header: string;
  readonly log_prompts: boolean;
  readonly drain_timeout: string;
}

/** The Switchyard `envoy` section. */
export interface EnvoyDocument {
  readonly extproc_address: string;
  readonly extproc_port: number;
  readonly admin_port: number;
  readonly extproc_tls?: {
    readonly server?: { readonly cert_file: string; readonly key_file: string; readonly client_ca_file?: string; readonly require_client_cert: boolean };
    readonly client?: { readonly ca_file: string; readonly cert_file?: string; readonly key_file?: string; readonly server_name?: string };
  };
  readonly failure_mode_allow: boolean;
  readonly allow_mode_override: boolean;
  readonly message_timeout: string;
  readonly max_message_timeout: string;
  readonly buffer_limit_bytes: number;
  readonly route_cache_action: 'DEFAULT' | 'CLEAR' | 'RETAIN';
  readonly processing_mode: {
    readonly request_header_mode: 'SEND' | 'SKIP';
    readonly request_body_mode: 'NONE' | 'STREAMED' | 'BUFFERED' | 'BUFFERED_PARTIAL';
    readonly response_header_mode: 'SEND' | 'SKIP';
    readonly response_body_mode: 'NONE' | 'STREAMED' | 'BUFFERED' | 'BUFFERED_PARTIAL';
  };
  readonly circuit_breakers: {
    readonly max_connections: number;
    readonly max_pending_requests: number;
    readonly max_requests: number;
  };
  readonly downstream: {
    readonly max_connections: number;
    readonly max_requests_per_connection: number;
    readonly request_headers_timeout: string;
    readonly idle_timeout: string;
  };
}
