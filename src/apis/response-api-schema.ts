import type { ResponsesStoreSettings } from './responses-store.js';
import { redisUrl } from '../cache/compile-semantic-cache.js';

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
    redis: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        address: { type: 'string', minLength: 1, default: '127.0.0.1:6379' },
        url: { type: 'string', pattern: '^rediss?://' },
        password: { type: 'string' },
        db: { type: 'integer', minimum: 0, default: 0 },
        key_prefix: { type: 'string', default: 'switchyard:responses:' },
      },
    },
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
