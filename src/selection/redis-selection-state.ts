import { Redis } from 'ioredis';
import { MemorySelectionState, type SelectionState, type StateUpdate } from './selection-state.js';

/** What a {@link RedisSelectionState} connects to. */
export interface RedisSelectionStateOptions {
  readonly url: string;
  readonly keyPrefix: string;
  /** How often the local copy is refreshed from Redis (other replicas' updates arrive this way). */
  readonly syncIntervalMs: number;
  readonly onFailure: (operation: string, error: Error) => void;
}

/**
 * Applies a batch of updates atomically (a Lua script runs alone on the server) and returns the
 * touched tables. Same arithmetic as `applyToTable` in selection-state.ts; Redis numbers are
 * strings, so every field is parsed with tonumber.
 */
const APPLY_SCRIPT = `
local updates = cjson.decode(ARGV[1])
local prefix = ARGV[2]
local touched = {}
for _, u in ipairs(updates) do
  local key = prefix .. 't:' .. u.table
  redis.call('SADD', prefix .. 'tables', u.table)
  touched[u.table] = true
  if u.kind == 'add' then
    for field, delta in pairs(u.deltas) do redis.call('HINCRBYFLOAT', key, field, delta) end
  else
    if u.decay > 0 then
      local all = redis.call('HGETALL', key)
      for i = 1, #all, 2 do
        if not string.find(all[i], '#', 1, true) then
          redis.call('HSET', key, all[i], tostring(tonumber(all[i + 1]) * (1 - u.decay)))
        end
      end
    end
    local rw = tonumber(redis.call('HGET', key, u.winner) or '0')
    local rl = tonumber(redis.call('HGET', key, u.loser) or '0')
    local expected = 1 / (1 + 10 ^ ((rl - rw) / 400))
    local change = u.k * (u.score - expected)
    redis.call('HSET', key, u.winner, tostring(rw + change), u.loser, tostring(rl - change))
    redis.call('HINCRBYFLOAT', key, u.winner .. '#n', 1)
    redis.call('HINCRBYFLOAT', key, u.loser .. '#n', 1)
  end
end
local out = {}
for name, _ in pairs(touched) do
  table.insert(out, name)
  table.insert(out, redis.call('HGETALL', prefix .. 't:' .. name))
end
return out
`;

function fieldsOf(flat: readonly string[]): Map<string, number> {
  const fields = new Map<string, number>();
  for (let i = 0; i + 1 < flat.length; i += 2) fields.set(flat[i]!, Number(flat[i + 1]));
  return fields;
}

/**
 * Selection state shared by replicas through Redis: one hash per table (`<prefix>t:<table>`) and a
 * set of table names (`<prefix>tables`). Reads come from a local copy, refreshed every sync
 * interval and after each of this replica's own updates, so selection never waits on the network.
 * When Redis is unreachable an update is applied to the local copy only and reported; the next
 * successful refresh replaces the copy with Redis's state again.
 */
export class RedisSelectionState implements SelectionState {
  readonly backend = 'redis' as const;
  private readonly local = new MemorySelectionState();
  private readonly client: Redis;
  private readonly timer: NodeJS.Timeout;
  private outage = false;
  private closed = false;

  constructor(private readonly options: RedisSelectionStateOptions) {
    this.client = new Redis(options.url, {
      lazyConnect: false,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      connectTimeout: 1000,
      commandTimeout: 1000,
      retryStrategy: (attempt: number) => Math.min(50 * 2 ** Math.min(attempt, 6), 1000),
    });
    // Connection errors surface through the failed commands; ioredis reconnects by itself.
    this.client.on('error', () => undefined);
    this.client.on('ready', () => void this.refresh());
    this.timer = setInterval(() => void this.refresh(), options.syncIntervalMs);
    this.timer.unref();
  }

  get(table: string, field: string): number | undefined {
    return this.local.get(table, field);
  }

  tables(prefix: string): Map<string, Map<string, number>> {
    return this.local.tables(prefix);
  }

  async apply(updates: readonly StateUpdate[]): Promise<void> {
    try {
      const result = (await this.client.eval(APPLY_SCRIPT, 0, JSON.stringify(updates), this.options.keyPrefix)) as (string | string[])[];
      for (let i = 0; i + 1 < result.length; i += 2) this.local.replaceTable(result[i] as string, fieldsOf(result[i + 1] as string[]));
      this.recovered();
    } catch (error) {
      this.local.applyNow(updates);
      this.failed('apply', error);
    }
  }

  /** Reloads every table from Redis into the local copy. */
  async refresh(): Promise<void> {
    if (this.closed) return;
    try {
      const names = await this.client.smembers(`${this.options.keyPrefix}tables`);
      const pipeline = this.client.pipeline();
      for (const name of names) pipeline.hgetall(`${this.options.keyPrefix}t:${name}`);
      const results = names.length === 0 ? [] : ((await pipeline.exec()) ?? []);
      results.forEach(([error, value], i) => {
        if (error === null) this.local.replaceTable(names[i]!, new Map(Object.entries(value as Record<string, string>).map(([k, v]) => [k, Number(v)])));
      });
      this.recovered();
    } catch (error) {
      this.failed('sync', error);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    this.client.disconnect();
  }

  private recovered(): void {
    this.outage = false;
  }

  /** Every failed update is reported; a failing refresh only once per outage, not every interval. */
  private failed(operation: string, error: unknown): void {
    if (operation === 'sync' && this.outage) return;
    this.outage = true;
    this.options.onFailure(operation, error instanceof Error ? error : new Error(String(error)));
  }
}
