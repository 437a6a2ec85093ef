import { readFile, rename, writeFile } from 'node:fs/promises';
import { setTimeout as delay } from 'node:timers/promises';
import { hasErrors, type Diagnostic } from '../config/diagnostic.js';
import type { ConfigEnvironment } from '../config/env-expansion.js';
import { loadConfigText } from '../config/load.js';
import { planReload, type RestartOnlyChange } from '../config/reload-plan.js';
import type { ConfigStore } from '../config/watch.js';
import { decompileYamlText } from '../dsl/decompile.js';
import { diffLines, type DiffLine } from './line-diff.js';
import { maskSecrets, restoreSecrets } from './secret-masking.js';

/** What checking an edited config says: `validate`'s diagnostics, and when it is valid, what applying would do. */
export interface ConfigCheck {
  readonly valid: boolean;
  readonly diagnostics: readonly Diagnostic[];
  /** The edit against the file being served (secrets masked). */
  readonly diff: readonly DiffLine[];
  /** Sections a reload would apply for new streams (valid edits only). */
  readonly applied?: readonly string[];
  /** Settings that would wait for a restart (valid edits only). */
  readonly restartRequired?: readonly RestartOnlyChange[];
}

/** The running config as the config page shows it. */
export interface RunningConfig {
  readonly path: string;
  readonly version: string;
  /** The file's text with literal credentials masked (unless `show_access_keys`). */
  readonly text: string;
  /** Warnings of the running file, at their lines. */
  readonly diagnostics: readonly Diagnostic[];
  /** The same config in the routing DSL, or why it cannot be decompiled. */
  readonly dsl: string | null;
  readonly dslDiagnostics: readonly Diagnostic[];
  /** How many earlier versions a rollback can go back to. */
  readonly history: number;
}

/** The outcome of an apply or rollback. */
export type ApplyOutcome =
  | { readonly status: 'applied'; readonly version: string; readonly applied: readonly string[]; readonly restartRequired: readonly RestartOnlyChange[] }
  | { readonly status: 'invalid'; readonly diagnostics: readonly Diagnostic[] }
  | { readonly status: 'unchanged' | 'no-history' | 'timeout'; readonly message: string };

const HISTORY_LIMIT = 20;
const RELOAD_WAIT_MS = 15_000;

/**
 * The config page's back end. Checking compiles the text with the same loader as `validate`.
 * Applying writes the file `serve` watches (through a temporary file and a rename, as editors
 * do) and waits until the watcher's reload (config/watch.ts, planned by config/reload-plan.ts)
 * has put it in force, so the dashboard changes the config exactly as an edit on disk does.
 * Each applied version's predecessor is kept for one-click rollback.
 */
export class ConfigEditor {
  private readonly history: string[] = [];
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly store: ConfigStore,
    /** The file `serve` watches; undefined when nothing watches one (then nothing can be applied). */
    private readonly watchPath: string | undefined,
    private readonly env: ConfigEnvironment,
    private readonly showSecrets: () => boolean,
  ) {}

  private async fileText(): Promise<string> {
    return readFile(this.watchPath ?? this.store.current().sourcePath, 'utf8');
  }

  private shown(text: string): string {
    return this.showSecrets() ? text : maskSecrets(text);
  }

  async running(): Promise<RunningConfig> {
    const text = await this.fileText();
    const path = this.watchPath ?? this.store.current().sourcePath;
    const { config, diagnostics } = await loadConfigText(text, path, { env: this.env });
    await config?.close();
    const shown = this.shown(text);
    const decompiled = decompileYamlText(shown, path);
    return { path, version: this.store.current().version, text: shown, diagnostics, dsl: decompiled.dsl ?? null, dslDiagnostics: decompiled.diagnostics, history: this.history.length };
  }

  /** Compiles an edited (possibly masked) text as `validate` would and says what applying it would change. */
  async check(edited: string): Promise<ConfigCheck> {
    const current = await this.fileText();
    const text = restoreSecrets(edited, current);
    const path = this.watchPath ?? this.store.current().sourcePath;
    const { config, diagnostics } = await loadConfigText(text, path, { env: this.env });
    const diff = diffLines(this.shown(current), this.shown(text));
    if (config === undefined || hasErrors(diagnostics)) {
      await config?.close();
      return { valid: false, diagnostics, diff };
    }
    try {
      const plan = planReload(this.store.current(), config);
      return { valid: true, diagnostics, diff, applied: plan.applied, restartRequired: plan.restartRequired };
    } finally {
      await config.close();
    }
  }

  /** Applies an edited text when it is valid; the version it replaces becomes the rollback target. */
  apply(edited: string): Promise<ApplyOutcome> {
    return this.serialised(async () => {
      const current = await this.fileText();
      const outcome = await this.write(restoreSecrets(edited, current));
      if (outcome.status === 'applied') {
        this.history.push(current);
        if (this.history.length > HISTORY_LIMIT) this.history.shift();
      }
      return outcome;
    });
  }

  /** Puts the version before the last apply back in force. */
  rollback(): Promise<ApplyOutcome> {
    return this.serialised(async () => {
      const previous = this.history.at(-1);
      if (previous === undefined) return { status: 'no-history', message: 'nothing to roll back: no config was applied from the dashboard since start' };
      const outcome = await this.write(previous);
      if (outcome.status === 'applied' || outcome.status === 'unchanged') this.history.pop();
      return outcome;
    });
  }

  private serialised<T>(work: () => Promise<T>): Promise<T> {
    const run = this.queue.then(work, work);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async write(text: string): Promise<ApplyOutcome> {
    if (this.watchPath === undefined) return { status: 'timeout', message: 'this process does not watch a config file, so nothing can be applied' };
    const { config, diagnostics } = await loadConfigText(text, this.watchPath, { env: this.env });
    if (config === undefined || hasErrors(diagnostics)) {
      await config?.close();
      return { status: 'invalid', diagnostics };
    }
    const version = config.version;
    const plan = planReload(this.store.current(), config);
    await config.close();
    if (version === this.store.current().version) return { status: 'unchanged', message: 'the config in force already is this text' };
    const temporary = `${this.watchPath}.dashboard-${process.pid}.tmp`;
    await writeFile(temporary, text);
    await rename(temporary, this.watchPath);
    for (let waited = 0; waited < RELOAD_WAIT_MS; waited += 20) {
      if (this.store.current().version === version) return { status: 'applied', version, applied: plan.applied, restartRequired: plan.restartRequired };
      await delay(20);
    }
    return { status: 'timeout', message: `the file was written but the reload did not take effect within ${RELOAD_WAIT_MS / 1000} s; see the server log` };
  }
}
