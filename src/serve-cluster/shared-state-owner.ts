import type { CacheEntry, CachedCompletion } from '../cache/cached-completion.js';
import { MemoryResponsesStore, type ResponsesStoreSettings, type StoredResponse } from '../apis/responses-store.js';
import { LATENCY_WINDOW_SIZE, LatencyWindows } from '../selection/latency-windows.js';
import { MemorySelectionState, type StateUpdate } from '../selection/selection-state.js';
import type { ClusterChannel } from './cluster-channel.js';
import type { ProcessSharedState } from './process-shared-state.js';

/** One latency observation as it crosses the channel. */
export interface LatencyObservation {
  readonly model: string;
  readonly sample: { readonly ttftMs?: number; readonly tpotMs?: number };
}

/** An insert and/or removals in one cache, announced to every worker but the one that made it. */
export interface CacheChange {
  readonly cache: string;
  readonly origin: number;
  readonly added?: CacheEntry;
  readonly removed: readonly string[];
}

/** The key of a cache or responses store in the owner: the settings it was built from. */
export function sharedStoreKey(settings: object): string {
  return JSON.stringify(settings);
}

/** The primary's selection state: every applied update is pushed to the workers' copies, whole tables at a time. */
class OwnedSelectionState extends MemorySelectionState {
  constructor(private readonly announce: (tables: Map<string, Map<string, number>>) => void) {
    super();
  }

  override applyNow(updates: readonly StateUpdate[]): void {
    super.applyNow(updates);
    const touched = new Map<string, Map<string, number>>();
    for (const { table } of updates) touched.set(table, this.tables(table).get(table) ?? new Map());
    this.announce(touched);
  }
}

/** The primary's latency windows: every observation goes to every worker in one order, so all copies agree. */
class OwnedLatencyWindows extends LatencyWindows {
  /** The latest observations per model, replayed to a worker that starts (or restarts) later. */
  readonly #recent = new Map<string, LatencyObservation[]>();

  constructor(private readonly announce: (observation: LatencyObservation) => void) {
    super();
  }

  override observe(model: string, sample: LatencyObservation['sample']): void {
    super.observe(model, sample);
    let recent = this.#recent.get(model);
    if (recent === undefined) this.#recent.set(model, (recent = []));
    recent.push({ model, sample });
    if (recent.length > LATENCY_WINDOW_SIZE) recent.shift();
    this.announce({ model, sample });
  }

  history(): LatencyObservation[] {
    return [...this.#recent.values()].flat();
  }
}

/** The entries of one shared semantic cache, answers included. */
class OwnedCache {
  readonly entries = new Map<string, CacheEntry & { readonly completion: CachedCompletion }>();

  live(now: number): CacheEntry[] {
    const live: CacheEntry[] = [];
    for (const [id, entry] of this.entries) {
      if (entry.expiresAt <= now) this.entries.delete(id);
      else live.push(withoutAnswer(entry));
    }
    return live;
  }
}

function withoutAnswer(entry: CacheEntry): CacheEntry {
  const { completion: _answer, ...rest } = entry;
  return rest;
}

/**
 * The one owner of the state workers share, in the cluster primary: selection state, latency
 * windows, semantic cache entries and stored Responses. Workers read their own copies of the
 * first three synchronously (selection never waits on IPC) and send every change here; the owner
 * applies it and pushes it to every worker, so a rating or a cache entry learnt through one worker
 * is what every other one reads. The primary's own configs (the admin API's feedback) use the
 * same owned state through {@link ProcessSharedState}.
 */
export class SharedStateOwner {
  readonly #channels = new Map<number, ClusterChannel>();
  readonly #selection = new OwnedSelectionState((tables) => this.#broadcast('selection.tables', tables));
  readonly #latency = new OwnedLatencyWindows((observation) => this.#broadcast('latency.observed', observation));
  readonly #caches = new Map<string, OwnedCache>();
  readonly #responses = new Map<string, MemoryResponsesStore>();

  /** The primary's side of {@link ProcessSharedState}. */
  readonly processState: ProcessSharedState = {
    selectionState: () => this.#selection,
    latencyWindows: () => this.#latency,
    // The primary serves no traffic, so it builds no cache.
    cacheStore: () => undefined,
    responsesStore: (settings) => this.#responsesFor(sharedStoreKey(settings), settings),
  };

  /** Serves a worker's calls and events until it exits. */
  attach(workerId: number, channel: ClusterChannel): void {
    this.#channels.set(workerId, channel);
    channel.handle('selection.snapshot', () => this.#selection.tables(''));
    channel.handle('selection.apply', (updates: readonly StateUpdate[]) => this.#selection.apply(updates));
    channel.handle('latency.history', () => this.#latency.history());
    channel.on<LatencyObservation>('latency.observe', ({ model, sample }) => this.#latency.observe(model, sample));
    channel.handle('cache.load', (cache: string) => this.#cache(cache).live(Date.now()));
    channel.handle('cache.completion', (cache: string, id: string) => {
      const entry = this.#cache(cache).entries.get(id);
      return entry === undefined || entry.expiresAt <= Date.now() ? undefined : entry.completion;
    });
    channel.handle('cache.write', (cache: string, entry: CacheEntry & { completion: CachedCompletion }, evicted: readonly string[]) => {
      const owned = this.#cache(cache);
      for (const id of evicted) owned.entries.delete(id);
      owned.entries.set(entry.id, entry);
      const change: CacheChange = { cache, origin: workerId, added: withoutAnswer(entry), removed: evicted };
      this.#broadcast('cache.change', change, workerId);
    });
    channel.handle('responses.get', (store: string, settings: ResponsesStoreSettings, id: string) => this.#responsesFor(store, settings).get(id));
    channel.handle('responses.put', (store: string, settings: ResponsesStoreSettings, id: string, record: StoredResponse) =>
      this.#responsesFor(store, settings).put(id, record),
    );
    channel.handle('responses.delete', (store: string, settings: ResponsesStoreSettings, id: string) => this.#responsesFor(store, settings).delete(id));
  }

  detach(workerId: number): void {
    this.#channels.delete(workerId);
  }

  #cache(key: string): OwnedCache {
    let cache = this.#caches.get(key);
    if (cache === undefined) this.#caches.set(key, (cache = new OwnedCache()));
    return cache;
  }

  #responsesFor(key: string, settings: ResponsesStoreSettings): MemoryResponsesStore {
    let store = this.#responses.get(key);
    if (store === undefined) this.#responses.set(key, (store = new MemoryResponsesStore(settings)));
    return store;
  }

  #broadcast(topic: string, payload: unknown, except?: number): void {
    for (const [id, channel] of this.#channels) if (id !== except) channel.emit(topic, payload);
  }
}
