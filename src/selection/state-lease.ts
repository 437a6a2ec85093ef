import { processSharedState } from '../serve-cluster/process-shared-state.js';
import { LatencyWindows } from './latency-windows.js';
import { RedisSelectionState } from './redis-selection-state.js';
import { MemorySelectionState, type SelectionState } from './selection-state.js';

/** Where learned state lives, compiled from `model_selection.store` and `.redis`. */
export type StoreSettings =
  | { readonly kind: 'memory' }
  | { readonly kind: 'redis'; readonly url: string; readonly keyPrefix: string; readonly syncIntervalMs: number };

/** The state and latency windows a config borrows; `release` hands them back when the config retires. */
export interface StateLease {
  readonly state: SelectionState;
  readonly latency: LatencyWindows;
  /** Hears every failed store operation (the state fell back to its local copy); returns the unsubscribe. */
  onFailure(listener: StoreFailureListener): () => void;
  release(): Promise<void>;
}

/** Told what the Redis backend could not do; the stack counts and logs it. */
export type StoreFailureListener = (operation: string, error: Error) => void;

interface Entry {
  readonly state: SelectionState & { close?(): Promise<void> };
  readonly latency: LatencyWindows;
  readonly listeners: Set<StoreFailureListener>;
  users: number;
}

/**
 * What selection learnt outlives a config: a hot reload compiles the new config while the old one
 * still serves, and both must read and write the same ratings. One entry per store setting in the
 * process, dropped (and its Redis connections closed) when the last config using it retires.
 */
const entries = new Map<string, Entry>();

function keyOf(settings: StoreSettings): string {
  return settings.kind === 'memory' ? 'memory' : `redis\u0000${settings.url}\u0000${settings.keyPrefix}`;
}

/** Borrows the state for a store setting. */
export function leaseSelectionState(settings: StoreSettings): StateLease {
  const key = keyOf(settings);
  let entry = entries.get(key);
  if (entry === undefined) {
    const listeners = new Set<StoreFailureListener>();
    const onFailure: StoreFailureListener = (operation, error) => {
      for (const listener of listeners) listener(operation, error);
    };
    // With several serve workers, the memory state and the latency windows are the cluster's (one owner, the primary).
    const shared = processSharedState();
    const state = settings.kind === 'memory' ? (shared?.selectionState() ?? new MemorySelectionState()) : new RedisSelectionState({ ...settings, onFailure });
    entry = { state, latency: shared?.latencyWindows() ?? new LatencyWindows(), listeners, users: 0 };
    entries.set(key, entry);
  }
  const held = entry;
  held.users += 1;
  let released = false;
  return {
    state: held.state,
    latency: held.latency,
    onFailure(listener) {
      held.listeners.add(listener);
      return () => held.listeners.delete(listener);
    },
    async release() {
      if (released) return;
      released = true;
      held.users -= 1;
      if (held.users === 0 && entries.get(key) === held) {
        entries.delete(key);
        await held.state.close?.();
      }
    },
  };
}
