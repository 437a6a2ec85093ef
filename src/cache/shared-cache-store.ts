import type { CacheEntry, CachedCompletion } from './cached-completion.js';

/**
 * Storage several replicas share. It keeps the replica's local index in step (start-up load,
 * other replicas' inserts and evictions, resync after an outage); its operations reject when the
 * backend is unreachable, and the cache then behaves as a miss.
 */
export interface SharedCacheStore {
  /** Connects and loads the shared entries; resolves (without throwing) even when the backend is down. */
  start(): Promise<void>;
  /** The answer of an entry; undefined when the backend no longer has it (expired or evicted). */
  completionOf(id: string): Promise<CachedCompletion | undefined>;
  /** Stores a new entry and drops the entries its local insert evicted, telling the other replicas. */
  write(entry: CacheEntry & { readonly completion: CachedCompletion }, evicted: readonly CacheEntry[]): Promise<void>;
  close(): Promise<void>;
}
