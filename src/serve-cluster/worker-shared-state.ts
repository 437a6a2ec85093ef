import type { ResponsesStore, ResponsesStoreSettings, StoredResponse } from '../apis/responses-store.js';
import type { CacheEntry, CachedCompletion } from '../cache/cached-completion.js';
import type { LocalCacheIndex } from '../cache/local-cache-index.js';
import type { SharedCacheStore } from '../cache/shared-cache-store.js';
import type { SemanticCacheSettings } from '../config/runtime-config.js';
import { LatencyWindows } from '../selection/latency-windows.js';
import { MemorySelectionState, type SelectionState, type StateUpdate } from '../selection/selection-state.js';
import type { CacheEvent } from '../telemetry/metrics.js';
import type { ClusterChannel } from './cluster-channel.js';
import type { ProcessSharedState } from './process-shared-state.js';
import { sharedStoreKey, type CacheChange, type LatencyObservation } from './shared-state-owner.js';

/**
 * A worker's copy of the primary's selection state. Reads are local and synchronous; `apply` runs
 * on the owner, which pushes the touched tables to every worker (this one first, before its
 * answer), so the copy shows the update when `apply` resolves, as with the Redis backend.
 */
class WorkerSelectionState implements SelectionState {
  readonly backend = 'memory' as const;
  readonly #copy = new MemorySelectionState();

  constructor(private readonly channel: ClusterChannel) {
    channel.on<Map<string, Map<string, number>>>('selection.tables', (tables) => this.#replace(tables));
  }

  /** Loads the owner's state (a worker that starts after others have learnt). */
  async load(): Promise<void> {
    this.#replace(await this.channel.call<Map<string, Map<string, number>>>('selection.snapshot'));
  }

  get(table: string, field: string): number | undefined {
    return this.#copy.get(table, field);
  }

  tables(prefix: string): Map<string, Map<string, number>> {
    return this.#copy.tables(prefix);
  }

  async apply(updates: readonly StateUpdate[]): Promise<void> {
    await this.channel.call('selection.apply', updates);
  }

  #replace(tables: Map<string, Map<string, number>>): void {
    for (const [name, fields] of tables) this.#copy.replaceTable(name, fields);
  }
}

/** A worker's copy of the primary's latency windows: observations go to the owner and come back, in the owner's order, to every worker. */
class WorkerLatencyWindows extends LatencyWindows {
  constructor(private readonly channel: ClusterChannel) {
    super();
    channel.on<LatencyObservation>('latency.observed', ({ model, sample }) => super.observe(model, sample));
  }

  async load(): Promise<void> {
    for (const { model, sample } of await this.channel.call<LatencyObservation[]>('latency.history')) super.observe(model, sample);
  }

  override observe(model: string, sample: LatencyObservation['sample']): void {
    this.channel.emit('latency.observe', { model, sample });
  }
}

/**
 * A `memory` semantic cache shared through the primary, the way the redis backend shares one
 * through Redis: the answers live in the owner, each worker searches its own HNSW index, kept in
 * step with the other workers' inserts and evictions. A call that fails (the primary is going
 * away) rejects, and the cache treats it as a miss.
 */
class WorkerCacheStore implements SharedCacheStore {
  readonly #key: string;
  #unsubscribe: (() => void) | undefined;

  constructor(
    settings: SemanticCacheSettings,
    private readonly index: LocalCacheIndex,
    private readonly count: (event: CacheEvent) => void,
    private readonly channel: ClusterChannel,
  ) {
    // Threshold and TTL are read per request, so a reload that changes them keeps the cache (see serve-stack/reloadable-cache.ts).
    const { similarityThreshold: _threshold, ttlSeconds: _ttl, ...identity } = settings;
    this.#key = sharedStoreKey(identity);
  }

  async start(): Promise<void> {
    this.#unsubscribe = this.channel.on<CacheChange>('cache.change', (change) => {
      if (change.cache !== this.#key) return;
      for (const id of change.removed) this.index.remove(id);
      if (change.added !== undefined) this.#insert(change.added);
    });
    for (const entry of await this.channel.call<CacheEntry[]>('cache.load', this.#key)) this.#insert(entry);
  }

  completionOf(id: string): Promise<CachedCompletion | undefined> {
    return this.channel.call('cache.completion', this.#key, id);
  }

  async write(entry: CacheEntry & { readonly completion: CachedCompletion }, evicted: readonly CacheEntry[]): Promise<void> {
    await this.channel.call('cache.write', this.#key, entry, evicted.map((old) => old.id));
  }

  async close(): Promise<void> {
    this.#unsubscribe?.();
  }

  #insert(entry: CacheEntry): void {
    if (entry.expiresAt <= Date.now()) return;
    for (const _ of this.index.insert(entry)) this.count('eviction');
  }
}

/** A `memory` Responses store kept by the primary, so a conversation continues on whichever worker its next turn reaches. */
class WorkerResponsesStore implements ResponsesStore {
  readonly #key: string;

  constructor(
    private readonly settings: ResponsesStoreSettings,
    private readonly channel: ClusterChannel,
  ) {
    this.#key = sharedStoreKey(settings);
  }

  get(id: string): Promise<StoredResponse | undefined> {
    return this.channel.call('responses.get', this.#key, this.settings, id);
  }

  async put(id: string, record: StoredResponse): Promise<void> {
    await this.channel.call('responses.put', this.#key, this.settings, id, record);
  }

  delete(id: string): Promise<boolean> {
    return this.channel.call('responses.delete', this.#key, this.settings, id);
  }

  async close(): Promise<void> {}
}

/** A worker's {@link ProcessSharedState}, loaded from the owner before the worker compiles its config. */
export async function workerSharedState(channel: ClusterChannel): Promise<ProcessSharedState> {
  const selection = new WorkerSelectionState(channel);
  const latency = new WorkerLatencyWindows(channel);
  await Promise.all([selection.load(), latency.load()]);
  return {
    selectionState: () => selection,
    latencyWindows: () => latency,
    cacheStore: (settings, index, count) => new WorkerCacheStore(settings, index, count, channel),
    responsesStore: (settings) => new WorkerResponsesStore(settings, channel),
  };
}
