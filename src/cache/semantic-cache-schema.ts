import { DURATION_PATTERN } from '../config/duration.js';
import { DEFAULT_SIMILARITY_THRESHOLD } from './default-threshold.js';

const HNSW_M = { type: 'integer', minimum: 2, maximum: 128 } as const;
const HNSW_EF = { type: 'integer', minimum: 1, maximum: 4096 } as const;

/** A `redis` connection block (address, or a whole url; password, db, key prefix), as Athena writes it. */
export function redisBlockSchema(keyPrefix: string) {
  return {
    type: 'object',
    additionalProperties: false,
    default: {},
    properties: {
      address: { type: 'string', minLength: 1, default: '127.0.0.1:6379' },
      url: { type: 'string', pattern: '^rediss?://' },
      password: { type: 'string' },
      db: { type: 'integer', minimum: 0, default: 0 },
      key_prefix: { type: 'string', default: keyPrefix },
    },
  } as const;
}

/**
 * JSON Schema of the global `semantic_cache` section: Athena's keys (`enabled`, `backend_type`,
 * `similarity_threshold`, `ttl_seconds`, `max_entries`, `eviction_policy`, `redis`, and its flat
 * `hnsw_m` / `hnsw_ef_construction` / `hnsw_ef_search`) plus a nested `hnsw` block and the
 * coalescing bound. Defaults are filled in by Ajv.
 */
export const SEMANTIC_CACHE_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  default: {},
  properties: {
    enabled: { type: 'boolean', default: false },
    backend_type: { enum: ['memory', 'redis'], default: 'memory' },
    similarity_threshold: { type: 'number', minimum: 0, maximum: 1, default: DEFAULT_SIMILARITY_THRESHOLD },
    ttl_seconds: { type: 'integer', minimum: 0, default: 3600 },
    max_entries: { type: 'integer', minimum: 1, default: 1000 },
    eviction_policy: { enum: ['lru', 'lfu', 'fifo'], default: 'fifo' },
    coalesce_timeout: { type: 'string', pattern: DURATION_PATTERN, default: '30s' },
    redis: redisBlockSchema('switchyard:cache:'),
    hnsw: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        m: { ...HNSW_M, default: 16 },
        ef_construction: { ...HNSW_EF, default: 200 },
        ef_search: { ...HNSW_EF, default: 64 },
      },
    },
    hnsw_m: HNSW_M,
    hnsw_ef_construction: HNSW_EF,
    hnsw_ef_search: HNSW_EF,
  },
} as const;
