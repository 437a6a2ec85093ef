import { DECISION_PLUGIN_TYPES } from '../plugins/registry.js';
import { SIGNAL_PLUGINS } from '../signals/registry.js';
import type { SignalPlugin } from '../signals/signal.js';
import { SEMANTIC_CACHE_SCHEMA } from '../cache/semantic-cache-schema.js';
import { DASHBOARD_SCHEMA } from '../dashboard/dashboard-settings.js';
import { looperSectionSchema } from '../selection/looper/looper-section.js';
import { algorithmSchema, modelSelectionSchema } from '../selection/selection-schema.js';
import { DURATION_PATTERN } from './duration.js';
import { UPSTREAM_API_FORMATS } from '../apis/api-format.js';
import { RESPONSE_API_SCHEMA } from '../apis/response-api-schema.js';
import { OBSERVABILITY_SCHEMA } from '../telemetry/observability-config.js';

/** JSON Schema of a config file, as Ajv takes it. */
export type ConfigSchema = Readonly<Record<string, unknown>>;

const MIB = 1024 * 1024;

const NAME = { type: 'string', minLength: 1 } as const;
const DURATION = { type: 'string', pattern: DURATION_PATTERN } as const;
const PORT = { type: 'integer', minimum: 1, maximum: 65535 } as const;
const REASONING_EFFORT = { enum: ['minimal', 'low', 'medium', 'high'] } as const;

const REASONING_FAMILIES = {
  type: 'object',
  additionalProperties: {
    type: 'object',
    additionalProperties: false,
    required: ['type', 'parameter'],
    properties: {
      type: { enum: ['chat_template_kwargs', 'reasoning_effort'] },
      parameter: NAME,
    },
  },
} as const;

const ENDPOINT = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'endpoint'],
  properties: {
    name: NAME,
    weight: { type: 'number', minimum: 0, default: 1 },
    endpoint: NAME,
    protocol: { enum: ['http', 'https'], default: 'http' },
    access_key: { type: 'string' },
  },
} as const;

const MODEL = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'endpoints'],
  properties: {
    name: NAME,
    param_size: { type: 'string' },
    endpoints: { type: 'array', minItems: 1, items: ENDPOINT },
    access_key: { type: 'string' },
    reasoning_family: NAME,
    capabilities: { type: 'array', items: NAME, default: [] },
    quality_score: { type: 'number', minimum: 0, maximum: 1 },
    pricing: {
      type: 'object',
      additionalProperties: false,
      required: ['prompt_per_1m', 'completion_per_1m'],
      properties: {
        currency: { type: 'string', minLength: 1, default: 'USD' },
        prompt_per_1m: { type: 'number', minimum: 0 },
        completion_per_1m: { type: 'number', minimum: 0 },
      },
    },
    description: { type: 'string' },
    api_format: { enum: UPSTREAM_API_FORMATS, default: 'openai' },
  },
} as const;

const LISTENER = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'address', 'port'],
  properties: {
    name: NAME,
    address: NAME,
    port: PORT,
    timeout: { ...DURATION, default: '300s' },
  },
} as const;

// Rule nodes and leaves share one open shape; which one a rule is, and whether its
// operator exists, is decided by the reference check so each gets a precise code.
const RULE = {
  type: 'object',
  additionalProperties: false,
  properties: {
    operator: { type: 'string' },
    conditions: { type: 'array', items: { $ref: '#/$defs/rule' } },
    type: NAME,
    name: NAME,
  },
} as const;

const DECISION = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'rules', 'modelRefs'],
  properties: {
    name: NAME,
    description: { type: 'string' },
    priority: { type: 'number', default: 0 },
    rules: { $ref: '#/$defs/rule' },
    modelRefs: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['model', 'use_reasoning'],
        properties: {
          model: NAME,
          use_reasoning: { type: 'boolean' },
          reasoning_effort: REASONING_EFFORT,
          weight: { type: 'number', minimum: 0 },
        },
      },
    },
    plugins: {
      type: 'array',
      default: [],
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['type'],
        // Each type's configuration is checked against that type's own schema by plugins/check-decision-plugins.ts.
        properties: { type: { enum: DECISION_PLUGIN_TYPES.map((plugin) => plugin.type) }, configuration: { type: 'object', default: {} } },
      },
    },
    // Each selection algorithm contributes its parameter block (selection/registry.ts).
    algorithm: algorithmSchema(),
  },
} as const;

const ROUTER = {
  type: 'object',
  additionalProperties: false,
  default: {},
  properties: {
    auto_model_names: { type: 'array', minItems: 1, uniqueItems: true, items: NAME, default: ['auto', 'MoM'] },
    max_request_body_bytes: { type: 'integer', minimum: 1, default: 16 * MIB },
    cluster_header: { type: 'string', pattern: '^[a-z0-9-]+$', default: 'x-switchyard-cluster' },
    log_prompts: { type: 'boolean', default: false },
    drain_timeout: { ...DURATION, default: '30s' },
  },
} as const;

/** `config_source: kubernetes`: which resources `serve` watches (src/config/kubernetes/). */
const KUBERNETES_SOURCE = {
  type: 'object',
  additionalProperties: false,
  properties: {
    // Default: the pod's namespace (its service account's), else the kubeconfig context's, else "default".
    namespace: { type: 'string', pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$', maxLength: 63 },
    router_name: { type: 'string', pattern: '^[a-z0-9]([-.a-z0-9]*[a-z0-9])?$', maxLength: 253, default: 'router' },
  },
} as const;

const BODY_MODE = { enum: ['NONE', 'STREAMED', 'BUFFERED', 'BUFFERED_PARTIAL'] } as const;
const HEADER_MODE = { enum: ['SEND', 'SKIP'] } as const;

const PEM_FILE = { type: 'string', minLength: 1 } as const;

/**
 * TLS on the ext_proc hop, for a sidecar that Envoy reaches over a network. `server` is the
 * sidecar's listener; `client` is what Envoy (the rendered envoy.yaml) and the built-in gateway
 * present and trust. Paths are PEM files, relative ones resolved against the config's folder.
 */
const EXTPROC_TLS = {
  type: 'object',
  additionalProperties: false,
  properties: {
    server: {
      type: 'object',
      additionalProperties: false,
      required: ['cert_file', 'key_file'],
      properties: {
        cert_file: PEM_FILE,
        key_file: PEM_FILE,
        client_ca_file: PEM_FILE,
        require_client_cert: { type: 'boolean', default: true },
      },
    },
    client: {
      type: 'object',
      additionalProperties: false,
      required: ['ca_file'],
      dependencies: { cert_file: ['key_file'], key_file: ['cert_file'] },
      properties: {
        ca_file: PEM_FILE,
        cert_file: PEM_FILE,
        key_file: PEM_FILE,
        server_name: NAME,
      },
    },
  },
} as const;

const ENVOY = {
  type: 'object',
  additionalProperties: false,
  default: {},
  properties: {
    extproc_address: { ...NAME, default: '127.0.0.1' },
    extproc_port: { ...PORT, default: 50051 },
    admin_port: { ...PORT, default: 9901 },
    extproc_tls: EXTPROC_TLS,
    failure_mode_allow: { type: 'boolean', default: false },
    allow_mode_override: { type: 'boolean', default: true },
    message_timeout: { ...DURATION, default: '2s' },
    max_message_timeout: { ...DURATION, default: '30s' },
    buffer_limit_bytes: { type: 'integer', minimum: 1, default: 16 * MIB },
    route_cache_action: { enum: ['DEFAULT', 'CLEAR', 'RETAIN'], default: 'CLEAR' },
    // Envoy's per-cluster circuit breakers (its defaults), applied to every model cluster.
    circuit_breakers: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        max_connections: { type: 'integer', minimum: 1, default: 1024 },
        max_pending_requests: { type: 'integer', minimum: 0, default: 1024 },
        max_requests: { type: 'integer', minimum: 1, default: 1024 },
      },
    },
    // Downstream connection caps of each listener (Envoy: connection_limit filter, HCM options).
    downstream: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        max_connections: { type: 'integer', minimum: 1, default: 4096 },
        max_requests_per_connection: { type: 'integer', minimum: 0, default: 0 },
        request_headers_timeout: { ...DURATION, default: '10s' },
        idle_timeout: { ...DURATION, default: '1h' },
      },
    },
    processing_mode: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        request_header_mode: { ...HEADER_MODE, default: 'SEND' },
        request_body_mode: { ...BODY_MODE, default: 'BUFFERED' },
        response_header_mode: { ...HEADER_MODE, default: 'SEND' },
        response_body_mode: { ...BODY_MODE, default: 'STREAMED' },
      },
    },
  },
} as const;

/**
 * Builds the config schema, the one source of truth for what a config file may hold.
 * `signals` gets one key per signal plug-in (its `configKey`), each an array of the
 * plug-in's `ruleSchema`, so a new signal type needs no change here. Defaults live in the
 * schema and are filled in by Ajv (`useDefaults`).
 */
function createConfigSchema(plugins: readonly SignalPlugin[]): ConfigSchema {
  const signalSections: Record<string, unknown> = {};
  for (const plugin of plugins) signalSections[plugin.configKey] = { type: 'array', items: plugin.ruleSchema };

  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    title: 'Switchyard router config',
    type: 'object',
    additionalProperties: false,
    required: ['version', 'providers'],
    $defs: { rule: RULE },
    properties: {
      version: NAME,
      listeners: { type: 'array', items: LISTENER, default: [] },
      providers: {
        type: 'object',
        additionalProperties: false,
        required: ['models'],
        properties: {
          models: { type: 'array', minItems: 1, items: MODEL },
          default_model: NAME,
          reasoning_families: REASONING_FAMILIES,
          default_reasoning_effort: REASONING_EFFORT,
        },
      },
      // Athena accepts these three both here and under `providers`.
      default_model: NAME,
      reasoning_families: REASONING_FAMILIES,
      default_reasoning_effort: REASONING_EFFORT,
      signals: { type: 'object', additionalProperties: false, default: {}, properties: signalSections },
      decisions: { type: 'array', items: DECISION, default: [] },
      router: ROUTER,
      envoy: ENVOY,
      semantic_cache: SEMANTIC_CACHE_SCHEMA,
      model_selection: modelSelectionSchema(),
      response_api: RESPONSE_API_SCHEMA,
      dashboard: DASHBOARD_SCHEMA,
      // Athena's multi-model looper settings (calls made by the confidence cascade).
      looper: looperSectionSchema(),
      observability: OBSERVABILITY_SCHEMA,
      // Where `serve` takes routing from: this file, or the cluster's custom resources laid over it.
      config_source: { enum: ['file', 'kubernetes'], default: 'file' },
      kubernetes: KUBERNETES_SOURCE,
    },
  };
}

/** The schema for the signal types in the registry. */
export const CONFIG_SCHEMA: ConfigSchema = createConfigSchema(SIGNAL_PLUGINS);
