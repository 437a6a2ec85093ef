import { watch, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';
import type { Diagnostic } from './diagnostic.js';
import type { ConfigEnvironment } from './env-expansion.js';
import { loadConfigFile } from './load.js';
import { planReload, type ReloadPlan } from './reload-plan.js';
import type { RuntimeConfig } from './runtime-config.js';

/**
 * Holds the config snapshot in force. Streams read `current()` once when they open and
 * keep that snapshot; a reload swaps it for new streams only.
 */
export class ConfigStore {
  #current: RuntimeConfig;

  constructor(initial: RuntimeConfig) {
    this.#current = initial;
  }

  /** The snapshot new work should use. */
  current(): RuntimeConfig {
    return this.#current;
  }

  /** Puts `next` in force and returns the snapshot it replaces, for the caller to close. */
  swap(next: RuntimeConfig): RuntimeConfig {
    const previous = this.#current;
    this.#current = next;
    return previous;
  }
}

/** What happens around a swap: the same for a file reload and for a config from the cluster. */
export interface ConfigSwapHooks {
  /**
   * Readies what the planned config needs before it goes in force (a new semantic cache, say).
   * A failure rejects the reload: the previous config keeps serving.
   */
  readonly prepare?: (plan: ReloadPlan) => Promise<void>;
  /** A changed config compiled and `plan.config` is now in force; the plan says what applied and what waits for a restart. */
  readonly onReload?: (plan: ReloadPlan) => void;
}

/** A source of configs other than the file (the cluster's resources), running until closed. */
export interface ConfigFeed {
  close(): Promise<void>;
}

/** Starts a feed that hands each valid config it compiles to `apply` (the process's `swapInConfig`). */
export type StartConfigFeed = (apply: (config: RuntimeConfig) => Promise<void>) => Promise<ConfigFeed>;

/** What `watchConfig` reports and how it loads. */
export interface ConfigWatchOptions extends ConfigSwapHooks {
  /** A changed file did not load; the previous config keeps serving. */
  readonly onRejected?: (diagnostics: readonly Diagnostic[]) => void;
  /** Variables for `${VAR}` expansion; defaults to `process.env`. */
  readonly env?: ConfigEnvironment;
  /** Quiet time after the last file event before reloading. */
  readonly debounceMs?: number;
}

/** A running config watch. */
export interface ConfigWatchHandle {
  /** Stops watching and waits for a reload in progress to finish. */
  close(): Promise<void>;
  /** Reloads the file now, as a change would (SIGHUP). */
  reload(): void;
}

const DEFAULT_DEBOUNCE_MS = 100;

/**
 * A mounted ConfigMap's file is a link through `..data`, which the kubelet swaps (a rename over
 * it) on an update: no event names the file itself, so a change of this link counts too.
 */
const KUBELET_DATA_LINK = '..data';

/**
 * Puts a loaded config in force for new streams: planned over the snapshot in force (settings
 * that need a restart keep their serving values, see `reload-plan.ts`), prepared, swapped in,
 * and the old snapshot closed after the swap. A config whose content hash equals the snapshot
 * in force is closed unused. A failed `prepare` rejects, closing `config`: the old one keeps serving.
 */
export async function swapInConfig(store: ConfigStore, config: RuntimeConfig, hooks: ConfigSwapHooks): Promise<void> {
  if (config.version === store.current().version) {
    await config.close();
    return;
  }
  const plan = planReload(store.current(), config);
  try {
    await hooks.prepare?.(plan);
  } catch (error) {
    await config.close();
    throw error;
  }
  const previous = store.swap(plan.config);
  await previous.close();
  hooks.onReload?.(plan);
}

/**
 * Watches a config file and reloads it on change. The directory is watched rather than the
 * file, because editors save by writing a new file and renaming it over the old one, which
 * ends a watch on the file itself. Events are debounced, reloads never overlap, and a file
 * whose content hash equals the snapshot in force is not reloaded. A good file goes in force
 * through `swapInConfig`; a bad one is rejected with its diagnostics.
 */
export function watchConfig(path: string, store: ConfigStore, options: ConfigWatchOptions = {}): ConfigWatchHandle {
  const fileName = basename(path);
  const debounceMs = options.debounceMs ?? DEFAULT_DEBOUNCE_MS;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let rerun = false;
  let closed = false;

  const reject = (message: string): void => {
    options.onRejected?.([{ file: path, line: 1, col: 1, severity: 'error', code: 'SY_CFG_FILE', message }]);
  };

  const reload = async (): Promise<void> => {
    const { config, diagnostics } = await loadConfigFile(path, options.env === undefined ? {} : { env: options.env });
    if (config === undefined) {
      if (!closed) options.onRejected?.(diagnostics);
      return;
    }
    if (closed) {
      await config.close();
      return;
    }
    await swapInConfig(store, config, options);
  };

  const run = (): void => {
    if (running !== undefined) {
      rerun = true;
      return;
    }
    running = reload()
      .catch((error: unknown) => reject(`config reload failed: ${error instanceof Error ? error.message : String(error)}`))
      .finally(() => {
        running = undefined;
        if (rerun && !closed) {
          rerun = false;
          run();
        }
      });
  };

  const watcher: FSWatcher = watch(dirname(path), (_event, changed) => {
    // Some platforms do not report the file name; then any change in the folder counts.
    if (closed || (changed !== null && changed !== fileName && changed !== KUBELET_DATA_LINK)) return;
    clearTimeout(timer);
    timer = setTimeout(run, debounceMs);
  });
  watcher.on('error', (error) => reject(`cannot watch "${dirname(path)}": ${error.message}`));

  return {
    async close(): Promise<void> {
      closed = true;
      clearTimeout(timer);
      watcher.close();
      await running;
    },
    reload: () => {
      if (!closed) run();
    },
  };
}
