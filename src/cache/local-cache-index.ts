import type { HnswSettings } from '../config/runtime-config.js';
import type { CacheEntry } from './cached-completion.js';
import { createEvictionOrder, type EvictionOrder } from './eviction-order.js';
import { HnswVectorIndex } from './hnsw-vector-index.js';
import { indexVector, NAMESPACE_DIMENSIONS } from './namespace-vector.js';

/** A stored entry that resembles a query, with the cosine of their embeddings. */
export interface CacheCandidate {
  readonly entry: CacheEntry;
  readonly similarity: number;
}

/** What bounds a {@link LocalCacheIndex}. */
export interface LocalCacheIndexOptions {
  readonly embeddingDimensions: number;
  readonly maxEntries: number;
  readonly evictionPolicy: 'lru' | 'lfu' | 'fifo';
  readonly hnsw: HnswSettings;
  /** Told of every entry removed because its TTL passed. */
  readonly onExpired?: (entry: CacheEntry) => void;
}

/** Candidates looked at per lookup; a namespace's own entries rank first, so a few suffice. */
const SEARCH_WIDTH = 8;

/**
 * This process's view of the cache: entries by id, an HNSW graph over their vectors, TTLs and
 * the eviction order, kept in step on every insert and removal so the graph never holds a
 * point whose entry is gone.
 */
export class LocalCacheIndex {
  private readonly byId = new Map<string, { entry: CacheEntry; label: number }>();
  private readonly byLabel = new Map<number, CacheEntry>();
  private readonly vectors: HnswVectorIndex;
  private readonly order: EvictionOrder;
  private nextLabel = 0;

  constructor(private readonly options: LocalCacheIndexOptions) {
    this.vectors = new HnswVectorIndex(options.embeddingDimensions + NAMESPACE_DIMENSIONS, options.maxEntries, options.hnsw);
    this.order = createEvictionOrder(options.evictionPolicy);
  }

  get size(): number {
    return this.byId.size;
  }

  has(id: string): boolean {
    return this.byId.has(id);
  }

  ids(): IterableIterator<string> {
    return this.byId.keys();
  }

  /** Adds an entry (replacing one with the same id) and returns the entries evicted to make room. */
  insert(entry: CacheEntry): CacheEntry[] {
    this.remove(entry.id);
    const evicted: CacheEntry[] = [];
    while (this.byId.size >= this.options.maxEntries) {
      const victim = this.order.victim();
      const victimEntry = victim === undefined ? undefined : this.byLabel.get(victim);
      if (victimEntry === undefined) break;
      this.remove(victimEntry.id);
      evicted.push(victimEntry);
    }
    const label = this.nextLabel++;
    this.vectors.add(label, indexVector(entry.vector, entry.namespace));
    this.byId.set(entry.id, { entry, label });
    this.byLabel.set(label, entry);
    this.order.added(label);
    return evicted;
  }

  /** Removes an entry; false when it was not there. */
  remove(id: string): boolean {
    const found = this.byId.get(id);
    if (found === undefined) return false;
    this.byId.delete(id);
    this.byLabel.delete(found.label);
    this.vectors.remove(found.label);
    this.order.removed(found.label);
    return true;
  }

  /** Notes that an entry answered a request (LRU and LFU order). */
  touch(id: string): void {
    const found = this.byId.get(id);
    if (found !== undefined) this.order.touched(found.label);
  }

  /**
   * Live entries of `namespace` at least `threshold` similar to `vector`, most similar first.
   * Expired entries met on the way are removed.
   */
  candidates(namespace: string, vector: Float32Array, threshold: number, now: number): CacheCandidate[] {
    const found: CacheCandidate[] = [];
    for (const { label, distance } of this.vectors.search(indexVector(vector, namespace), SEARCH_WIDTH)) {
      const entry = this.byLabel.get(label);
      if (entry === undefined || entry.namespace !== namespace) continue;
      if (entry.expiresAt <= now) {
        this.remove(entry.id);
        this.options.onExpired?.(entry);
        continue;
      }
      // Same namespace: ip = ½·cos + ½, and the hnswlib distance is 1 − ip.
      const similarity = 1 - 2 * distance;
      if (similarity >= threshold) found.push({ entry, similarity });
    }
    return found;
  }

  /** Removes every entry whose TTL has passed. */
  removeExpired(now: number): void {
    const expired: CacheEntry[] = [];
    for (const { entry } of this.byId.values()) if (entry.expiresAt <= now) expired.push(entry);
    for (const entry of expired) {
      this.remove(entry.id);
      this.options.onExpired?.(entry);
    }
  }
}
