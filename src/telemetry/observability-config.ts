import type { ConfigProblem } from '../config/config-problem.js';
import { durationToMs } from '../config/duration.js';
import { DURATION_PATTERN } from '../config/duration.js';

/** The `observability` section as written (defaults filled in by the schema). */
export interface ObservabilityDocument {
  /** Read upstream response bodies for token usage, cost and TTFT/TPOT (the body then passes through the sidecar). */
  readonly accounting: boolean;
  /** The model whose prices "saved" is measured against; the most expensive priced model when absent. */
  readonly cost_baseline_model?: string;
  readonly metrics: { readonly otlp_endpoint?: string; readonly export_interval: string };
  readonly tracing: {
    readonly enabled: boolean;
    readonly exporter: { readonly endpoint?: string };
    readonly sampling: { readonly type: 'always_on' | 'always_off' | 'probabilistic'; readonly rate: number };
    readonly resource: { readonly service_name: string };
  };
}

/** The compiled `observability` section. */
export interface ObservabilitySettings {
  readonly accounting: boolean;
  readonly costBaselineModel?: string;
  /** OTLP/HTTP metrics endpoint (`…/v1/metrics`); metrics are only on `/metrics` when absent. */
  readonly metricsOtlpEndpoint?: string;
  readonly metricsExportIntervalMs: number;
  /** Tracing on, with an OTLP/HTTP traces endpoint (`…/v1/traces`); off when undefined. */
  readonly tracing?: { readonly endpoint: string; readonly sampleRatio: number; readonly serviceName: string };
}

const URL_STRING = { type: 'string', pattern: '^https?://' } as const;

/** JSON Schema of the `observability` section (Athena's `tracing` layout, plus cost accounting). */
export const OBSERVABILITY_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  default: {},
  properties: {
    accounting: { type: 'boolean', default: true },
    cost_baseline_model: { type: 'string', minLength: 1 },
    metrics: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        otlp_endpoint: URL_STRING,
        export_interval: { type: 'string', pattern: DURATION_PATTERN, default: '15s' },
      },
    },
    tracing: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        enabled: { type: 'boolean', default: false },
        exporter: { type: 'object', additionalProperties: false, default: {}, properties: { endpoint: URL_STRING } },
        sampling: {
          type: 'object',
          additionalProperties: false,
          default: {},
          properties: {
            type: { enum: ['always_on', 'always_off', 'probabilistic'], default: 'always_on' },
            rate: { type: 'number', minimum: 0, maximum: 1, default: 1 },
          },
        },
        resource: { type: 'object', additionalProperties: false, default: {}, properties: { service_name: { type: 'string', minLength: 1, default: 'switchyard' } } },
      },
    },
  },
} as const;

/** The models a baseline may name: each must exist and have a price. */
export function checkObservability(document: ObservabilityDocument, models: readonly { readonly name: string; readonly pricing?: unknown }[]): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const baseline = document.cost_baseline_model;
  if (baseline !== undefined) {
    const model = models.find((candidate) => candidate.name === baseline);
    if (model === undefined) {
      problems.push({ path: ['observability', 'cost_baseline_model'], code: 'SY_CFG_UNKNOWN_MODEL', message: `cost_baseline_model "${baseline}" is not a configured model` });
    } else if (model.pricing === undefined) {
      problems.push({ path: ['observability', 'cost_baseline_model'], code: 'SY_CFG_UNKNOWN_MODEL', message: `cost_baseline_model "${baseline}" has no pricing, so nothing can be priced at it` });
    }
  }
  if (durationToMs(document.metrics.export_interval) < 1000) {
    problems.push({ path: ['observability', 'metrics', 'export_interval'], code: 'SY_CFG_SCHEMA', message: `metrics.export_interval must be at least 1s (is ${document.metrics.export_interval})` });
  }
  const tracing = document.tracing;
  if (tracing.enabled && tracing.exporter.endpoint === undefined) {
    problems.push({ path: ['observability', 'tracing', 'enabled'], code: 'SY_CFG_SCHEMA', message: 'tracing is enabled but exporter.endpoint is not set (an OTLP/HTTP traces URL, e.g. http://collector:4318/v1/traces)' });
  }
  return problems;
}

function sampleRatio(sampling: ObservabilityDocument['tracing']['sampling']): number {
  if (sampling.type === 'always_on') return 1;
  if (sampling.type === 'always_off') return 0;
  return sampling.rate;
}

export function compileObservability(document: ObservabilityDocument): ObservabilitySettings {
  const endpoint = document.tracing.exporter.endpoint;
  return {
    accounting: document.accounting,
    ...(document.cost_baseline_model === undefined ? {} : { costBaselineModel: document.cost_baseline_model }),
    ...(document.metrics.otlp_endpoint === undefined ? {} : { metricsOtlpEndpoint: document.metrics.otlp_endpoint }),
    metricsExportIntervalMs: durationToMs(document.metrics.export_interval),
    ...(document.tracing.enabled && endpoint !== undefined
      ? { tracing: { endpoint, sampleRatio: sampleRatio(document.tracing.sampling), serviceName: document.tracing.resource.service_name } }
      : {}),
  };
}
