import type { ConfigProblem } from '../../config/config-problem.js';
import { DEFAULT_LOOPER_SETTINGS, type LooperSettings } from './looper.js';

/** Athena's top-level `looper` section. */
export interface LooperSectionDocument {
  readonly endpoint?: string;
  readonly model_endpoints?: Readonly<Record<string, unknown>>;
  readonly grpc_max_msg_size_mb?: number;
  readonly timeout_seconds?: number;
  readonly retry_count?: number;
  readonly headers?: Readonly<Record<string, string>>;
}

/** JSON Schema of the `looper` section. */
export function looperSectionSchema(): Record<string, unknown> {
  return {
    type: 'object',
    additionalProperties: false,
    properties: {
      endpoint: { type: 'string', minLength: 1 },
      model_endpoints: { type: 'object' },
      grpc_max_msg_size_mb: { type: 'number', exclusiveMinimum: 0 },
      timeout_seconds: { type: 'number', exclusiveMinimum: 0 },
      retry_count: { type: 'integer', minimum: 0, maximum: 10 },
      headers: { type: 'object', additionalProperties: { type: 'string' } },
    },
  };
}

/** Keys Athena needs because its looper calls models back through Envoy; Switchyard calls the endpoints itself. */
const THROUGH_ENVOY: Readonly<Record<string, string>> = {
  endpoint: 'Switchyard calls the decision\'s model endpoints itself instead of going back through Envoy, and a decision\'s looper algorithm alone turns the looper on',
  model_endpoints: 'the looper calls each model at its configured endpoints',
  grpc_max_msg_size_mb: 'looper calls are plain HTTP to the models, not gRPC messages',
};

/** The looper section's settings, and a warning at each key that does not act. */
export function compileLooperSection(section: LooperSectionDocument | undefined): { settings: LooperSettings; problems: ConfigProblem[] } {
  if (section === undefined) return { settings: DEFAULT_LOOPER_SETTINGS, problems: [] };
  const problems: ConfigProblem[] = Object.entries(THROUGH_ENVOY)
    .filter(([key]) => (section as Record<string, unknown>)[key] !== undefined)
    .map(([key, reason]) => ({ path: ['looper', key], at: 'key', severity: 'warning', code: 'SY_CFG_UNSUPPORTED', message: `looper.${key} is accepted but ignored: ${reason}` }));
  return {
    settings: {
      timeoutMs: (section.timeout_seconds ?? DEFAULT_LOOPER_SETTINGS.timeoutMs / 1000) * 1000,
      retryCount: section.retry_count ?? DEFAULT_LOOPER_SETTINGS.retryCount,
      headers: Object.entries(section.headers ?? {}),
    },
    problems,
  };
}
