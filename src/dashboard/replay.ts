import { routePrompt } from '../cli/commands/route.js';
import type { RuntimeConfig } from '../config/runtime-config.js';
import type { RequestRecord } from './request-store.js';

/** One stored request routed again. */
export interface ReplayRow {
  readonly seq: number;
  readonly requestId: string | null;
  readonly time: number;
  readonly recorded: { readonly decision: string | null; readonly model: string | null };
  /** Where it goes now; null when the record holds no prompt (recorded only with `router.log_prompts`). */
  readonly replayed: { readonly decision: string | null; readonly model: string; readonly blocked: boolean } | null;
  readonly changed: boolean;
  /** Why it was not replayed, or what failed. */
  readonly note?: string;
  readonly prompt?: string;
}

/** A replay: every row, and how many routes changed. */
export interface ReplayResult {
  readonly rows: readonly ReplayRow[];
  readonly replayed: number;
  readonly changed: number;
  readonly withoutPrompt: number;
}

/**
 * Routes stored requests again against `config` (the one in force, or an edited one) without
 * calling any model, as `switchyard route` does, and says which would now go elsewhere. Only a
 * routed chat request with its prompt recorded can be replayed; the rest are listed as such.
 * The prompt is routed as the one user message it was recorded as.
 */
export async function replayRecords(config: RuntimeConfig, records: readonly RequestRecord[], showPrompts: boolean): Promise<ReplayResult> {
  const rows: ReplayRow[] = [];
  for (const record of records) {
    const { entry } = record;
    const base = { seq: record.seq, requestId: entry.requestId, time: record.time, recorded: { decision: entry.decision, model: entry.model }, ...(showPrompts && entry.prompt !== undefined ? { prompt: entry.prompt } : {}) };
    if (entry.prompt === undefined) {
      rows.push({ ...base, replayed: null, changed: false, note: entry.model === null ? 'not a routed request' : 'prompt not recorded (router.log_prompts is off)' });
      continue;
    }
    const line = await routePrompt(config, { id: record.seq, messages: [{ role: 'user', content: entry.prompt }], source: `request ${entry.requestId ?? record.seq}` });
    if (line instanceof Error) {
      rows.push({ ...base, replayed: null, changed: false, note: line.message });
      continue;
    }
    const replayed = { decision: line.decision, model: line.model, blocked: line.blocked };
    rows.push({ ...base, replayed, changed: replayed.decision !== entry.decision || replayed.model !== entry.model || replayed.blocked !== entry.blocked });
  }
  const replayedRows = rows.filter((row) => row.replayed !== null);
  return { rows, replayed: replayedRows.length, changed: rows.filter((row) => row.changed).length, withoutPrompt: rows.filter((row) => row.note?.startsWith('prompt not recorded') === true).length };
}
