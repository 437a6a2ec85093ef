import { SemanticCache } from '../cache/semantic-cache.js';
import type { RuntimeConfig, SemanticCacheSettings } from '../config/runtime-config.js';

/** Builds the cache for a `semantic_cache` section (the real one, or a test's). */
export type SemanticCacheBuilder = (settings: SemanticCacheSettings) => Promise<SemanticCache>;

/**
 * What makes two sections need two caches. The threshold and TTL are read per request from the
 * config snapshot, so changing them keeps the cache (and its entries); anything else (backend,
 * Redis address, size, eviction, HNSW, coalescing bound) builds a new one.
 */
function cacheIdentity(settings: SemanticCacheSettings | undefined): string | undefined {
  if (settings === undefined || !settings.enabled) return undefined;
  const { similarityThreshold: _threshold, ttlSeconds: _ttl, ...identity } = settings;
  return JSON.stringify(identity);
}

/**
 * The semantic caches of a serving process across reloads. A stream uses the cache of the config
 * snapshot it opened with. A reload that turns the cache on or changes what it is built from
 * (memory ↔ redis included) builds the new cache before the config goes in force; once it is in
 * force, caches no snapshot in force uses are closed. A stream still holding a closed one loses at
 * most its write-back (a closed Redis store counts a backend error; the request is unaffected).
 */
export class ReloadableCache {
  readonly #built = new Map<string, SemanticCache>();

  constructor(private readonly build: SemanticCacheBuilder) {}

  /** Builds the cache `config` needs unless it exists already. */
  async prepare(config: RuntimeConfig): Promise<void> {
    const identity = cacheIdentity(config.semanticCache);
    if (identity === undefined || config.semanticCache === undefined || this.#built.has(identity)) return;
    this.#built.set(identity, await this.build(config.semanticCache));
  }

  /** The cache a stream on `config` uses; undefined when the cache is off for it. */
  cacheFor(config: RuntimeConfig): SemanticCache | undefined {
    const identity = cacheIdentity(config.semanticCache);
    return identity === undefined ? undefined : this.#built.get(identity);
  }

  /** The entries of each built cache, by backend (for `llm_cache_entries_total`). */
  *entryCounts(): Iterable<readonly [backend: string, entries: number]> {
    for (const cache of this.#built.values()) yield [cache.backend, cache.entries];
  }

  /** Closes every cache except the one `inForce` uses. */
  async retire(inForce: RuntimeConfig): Promise<void> {
    const keep = cacheIdentity(inForce.semanticCache);
    const retired = [...this.#built].filter(([identity]) => identity !== keep);
    for (const [identity] of retired) this.#built.delete(identity);
    await Promise.all(retired.map(([, cache]) => cache.close()));
  }

  async close(): Promise<void> {
    const all = [...this.#built.values()];
    this.#built.clear();
    await Promise.all(all.map((cache) => cache.close()));
  }
}
