import type { ResponsesStoreSettings } from './responses-store.js';
import { unusedRedisFields } from '../cache/check-semantic-cache.js';
import { redisUrl } from '../cache/compile-semantic-cache.js';
import { redisBlockSchema } from '../cache/semantic-cache-schema.js';
import type { ConfigProblem } from '../config/config-problem.js';

/**
 * JSON Schema of the `response_api` section, in Athena's names: where `/v1/responses` answers are
 * kept for `previous_response_id` and `GET /v1/responses/{id}`, for how long and how many.
 */
export const RESPONSE_API_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  default: {},
  properties: {
    enabled: { type: 'boolean', default: true },
    store_backend: { enum: ['memory', 'redis'], default: 'memory' },
    ttl_seconds: { type: 'integer', minimum: 1, default: 86400 },
    max_responses: { type: 'integer', minimum: 1, default: 1000 },
    redis: redisBlockSchema('switchyard:responses:'),
  },
} as const;

/** The `response_api` section after schema validation with defaults filled in. */
export interface ResponseApiDocument {
  readonly enabled: boolean;
  readonly store_backend: 'memory' | 'redis';
  readonly ttl_seconds: number;
  readonly max_responses: number;
  readonly redis: { readonly address: string; readonly url?: string; readonly password?: string; readonly db: number; readonly key_prefix: string };
}

/** The store settings, or undefined when `enabled: false` (nothing stored, `previous_response_id` refused). */
export function compileResponseApi(section: ResponseApiDocument): ResponsesStoreSettings | undefined {
  if (!section.enabled) return undefined;
  return {
    backend: section.store_backend,
    ttlSeconds: section.ttl_seconds,
    maxResponses: section.max_responses,
    redis: { url: redisUrl(section.redis), keyPrefix: section.redis.key_prefix },
  };
}

/**
 * Warnings for `response_api` keys that are valid but have no effect, at each key: everything
 * else when `enabled` is false, and Redis settings the backend does not use.
 */
export function unsupportedResponseApiFields(section: ResponseApiDocument, written: Readonly<Record<string, unknown>>): ConfigProblem[] {
  if (!section.enabled) {
    return Object.keys(written)
      .filter((key) => key !== 'enabled')
      .map((key) => ({ path: ['response_api', key], at: 'key', severity: 'warning', code: 'SY_CFG_UNSUPPORTED', message: `response_api.${key} is ignored: response_api.enabled is false` }));
  }
  return unusedRedisFields('response_api', 'store_backend', section.store_backend, (written['redis'] ?? {}) as Readonly<Record<string, unknown>>);
}
