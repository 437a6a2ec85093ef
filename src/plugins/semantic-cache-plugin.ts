import type { DecisionPluginType } from './decision-plugin.js';

/** `semantic-cache` configuration (Athena §1.5). */
export interface SemanticCacheConfiguration {
  readonly enabled: boolean;
  readonly similarity_threshold?: number;
  readonly ttl_seconds?: number;
}

/**
 * A decision's own cache settings. With `semantic_cache.enabled: true` every decision uses the
 * cache; this plug-in changes the threshold or TTL for its decision, or turns the cache off there
 * (`enabled: false`). Unset values fall back to the global section when the router merges them;
 * `ttl_seconds: 0` means read but do not store. The plug-in cannot turn on a cache that is off
 * globally: there is no cache to use.
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
    const override = {
      enabled: configuration.enabled,
      ...(configuration.similarity_threshold === undefined ? {} : { similarityThreshold: configuration.similarity_threshold }),
      ...(configuration.ttl_seconds === undefined ? {} : { ttlSeconds: configuration.ttl_seconds }),
    };
    return { apply: () => ({ cache: override }) };
  },
};
