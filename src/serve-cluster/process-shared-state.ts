import type { SemanticCacheSettings } from '../config/runtime-config.js';
import type { ResponsesStore, ResponsesStoreSettings } from '../apis/responses-store.js';
import type { LocalCacheIndex } from '../cache/local-cache-index.js';
import type { SharedCacheStore } from '../cache/shared-cache-store.js';
import type { LatencyWindows } from '../selection/latency-windows.js';
import type { SelectionState } from '../selection/selection-state.js';
import type { CacheEvent } from '../telemetry/metrics.js';

/**
 * Where the state a `memory` backend would keep in this process lives instead, when `serve` runs
 * several worker processes: the primary owns one copy, workers reach it over IPC (see
 * `shared-state-owner.ts` and `worker-shared-state.ts`). Redis-backed state is shared already and
 * never comes here. Unset (one process) the memory backends are the process's own.
 */
export interface ProcessSharedState {
  /** The `model_selection.store: memory` state. */
  selectionState(): SelectionState;
  /** The latency windows `latency_aware` reads. */
  latencyWindows(): LatencyWindows;
  /** The store a `semantic_cache.backend_type: memory` cache shares entries through; undefined keeps them local. */
  cacheStore(settings: SemanticCacheSettings, index: LocalCacheIndex, count: (event: CacheEvent) => void): SharedCacheStore | undefined;
  /** The `response_api.store_backend: memory` store. */
  responsesStore(settings: ResponsesStoreSettings): ResponsesStore;
}

let installed: ProcessSharedState | undefined;

/** Set once at start-up by a cluster primary or worker, before any config is compiled. */
export function installProcessSharedState(shared: ProcessSharedState): void {
  installed = shared;
}

/** The cluster's shared state, when this process is part of one. */
export function processSharedState(): ProcessSharedState | undefined {
  return installed;
}
