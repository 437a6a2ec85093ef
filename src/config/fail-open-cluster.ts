import type { RuntimeConfig } from './runtime-config.js';

/** What {@link failOpenCluster} reads; a full RuntimeConfig fits. */
export type FailOpenSource = Pick<RuntimeConfig, 'envoy' | 'models'> & Partial<Pick<RuntimeConfig, 'defaultModel'>>;

/**
 * Where a request goes when the sidecar failed and `failure_mode_allow` lets it through: the
 * default model's endpoint with the highest weight (the first of equals). Envoy continues such a
 * request unmodified and routes it by its cached route, which the rendered envoy.yaml points at
 * this cluster for the served API paths; the built-in gateway's route table does the same.
 * Undefined when fail-open is off.
 */
export function failOpenCluster(config: FailOpenSource): string | undefined {
  if (!config.envoy.failureModeAllow || config.defaultModel === undefined) return undefined;
  const endpoints = config.models.get(config.defaultModel)?.endpoints ?? [];
  const heaviest = endpoints.reduce<(typeof endpoints)[number] | undefined>((best, endpoint) => (best === undefined || endpoint.weight > best.weight ? endpoint : best), undefined);
  return heaviest?.cluster;
}
