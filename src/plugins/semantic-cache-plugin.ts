import type { DecisionPluginType } from './decision-plugin.js';

/** `semantic-cache` configuration (Athena §1.5). */
export interface SemanticCacheConfiguration {
  readonly enabled: boolean;
  readonly similarity_threshold?: number;
  readonly ttl_seconds?: number;
}

/**
 * Turns the semantic cache on for a decision; a decision without this plug-in does not use the
 * cache (Athena's rule). Unset values fall back to the global `semantic_cache` section when the
 * router merges them; `ttl_seconds: 0` means read but do not store.
 */
export const semanticCachePlugin: DecisionPluginType<SemanticCacheConfiguration> = {
  type: 'semantic-cache',
  configurationSchema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      enabled: { type: 'boolean', default: true },
      similarity_threshold: { type: 'number', minimum: 0, maximum: 1 },
      ttl_seconds: { type: 'integer', minimum: 0 },
    },
  },
  compile(configuration) {
    const policy = {
      ...(configuration.similarity_threshold === undefined ? {} : { similarityThreshold: configuration.similarity_threshold }),
      ...(configuration.ttl_seconds === undefined ? {} : { ttlSeconds: configuration.ttl_seconds }),
    };
    return { apply: () => (configuration.enabled ? { cache: policy } : {}) };
  },
};
