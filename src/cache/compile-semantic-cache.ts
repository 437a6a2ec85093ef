import type { ConfigDocument } from '../config/config-document.js';
import { durationToMs } from '../config/duration.js';
import type { SemanticCacheSettings } from '../config/runtime-config.js';

/** The `semantic_cache` section after schema validation with defaults filled in. */
export interface SemanticCacheDocument {
  readonly enabled: boolean;
  readonly backend_type: 'memory' | 'redis';
  readonly similarity_threshold: number;
  readonly ttl_seconds: number;
  readonly max_entries: number;
  readonly eviction_policy: 'lru' | 'lfu' | 'fifo';
  readonly coalesce_timeout: string;
  readonly redis: { readonly address: string; readonly url?: string; readonly password?: string; readonly db: number; readonly key_prefix: string };
  readonly hnsw: { readonly m: number; readonly ef_construction: number; readonly ef_search: number };
  readonly hnsw_m?: number;
  readonly hnsw_ef_construction?: number;
  readonly hnsw_ef_search?: number;
}

/** A `redis` block (address, password, db, or a whole url) as one connection URL. */
export function redisUrl(redis: Pick<SemanticCacheDocument['redis'], 'address' | 'url' | 'password' | 'db'>): string {
  if (redis.url !== undefined) return redis.url;
  const auth = redis.password === undefined ? '' : `:${encodeURIComponent(redis.password)}@`;
  return `redis://${auth}${redis.address}/${redis.db}`;
}

/**
 * Compiles the validated `semantic_cache` section. Athena's flat `hnsw_*` keys win over the
 * nested `hnsw` block, so an Athena config keeps meaning what it says (in Athena they are read
 * but never reach the index).
 */
export function compileSemanticCache(document: ConfigDocument): SemanticCacheSettings {
  const section = document.semantic_cache;
  return {
    enabled: section.enabled,
    backendType: section.backend_type,
    similarityThreshold: section.similarity_threshold,
    ttlSeconds: section.ttl_seconds,
    maxEntries: section.max_entries,
    evictionPolicy: section.eviction_policy,
    coalesceTimeoutMs: durationToMs(section.coalesce_timeout),
    redis: { url: redisUrl(section.redis), keyPrefix: section.redis.key_prefix },
    hnsw: {
      m: section.hnsw_m ?? section.hnsw.m,
      efConstruction: section.hnsw_ef_construction ?? section.hnsw.ef_construction,
      efSearch: section.hnsw_ef_search ?? section.hnsw.ef_search,
    },
  };
}
