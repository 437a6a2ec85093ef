import { Redis } from 'ioredis';
import type { RouterLogger } from '../telemetry/logger.js';
import { subscribeRequestLog, type RequestLogEntry } from '../telemetry/request-log.js';
import type { DashboardSettings } from './dashboard-settings.js';

/** One finished request as the dashboard keeps it: the request log's entry, stamped. */
export interface RequestRecord {
  /** Increases by one per record in this process; the live table's cursor. */
  readonly seq: number;
  /** When the request's stream ended (epoch ms). */
  readonly time: number;
  readonly entry: RequestLogEntry;
}

/**
 * The recent requests: a bounded ring in memory, fed by the request log, mirrored to a Redis
 * list when `dashboard.replay.store: redis` (so records outlive a restart and replicas share
 * them). Prompt text is in a record only when the request log carried it (`router.log_prompts`).
 * Adding a record is O(1) and never waits on Redis: the live table must not slow the gateway.
 */
export class RequestStore {
  private readonly ring: (RequestRecord | undefined)[];
  private next = 0;
  private seq = 0;
  private readonly listeners = new Set<(record: RequestRecord) => void>();
  private readonly unsubscribe: () => void;
  private redis: Redis | undefined;
  private redisFailureLogged = false;

  private constructor(
    readonly capacity: number,
    private readonly redisKey: string,
    private readonly logger: RouterLogger,
  ) {
    this.ring = new Array<RequestRecord | undefined>(capacity);
    this.unsubscribe = subscribeRequestLog((entry) => this.add(entry, Date.now()));
  }

  /** Starts recording; with the Redis store, first loads the records already there. */
  static async open(settings: DashboardSettings['replay'], logger: RouterLogger): Promise<RequestStore> {
    const store = new RequestStore(settings.capacity, settings.redisKey, logger);
    if (settings.store === 'redis') await store.connect(settings.redisUrl);
    return store;
  }

  private async connect(url: string): Promise<void> {
    const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1, enableOfflineQueue: false });
    redis.on('error', (error: Error) => this.redisFailed(error));
    this.redis = redis;
    try {
      await redis.connect();
      const stored = await redis.lrange(this.redisKey, 0, this.capacity - 1);
      // The list is newest first.
      for (const text of stored.reverse()) {
        const record = JSON.parse(text) as RequestRecord;
        this.insert({ ...record, seq: ++this.seq });
      }
    } catch (error) {
      this.redisFailed(error as Error);
    }
  }

  private redisFailed(error: Error): void {
    if (this.redisFailureLogged) return;
    this.redisFailureLogged = true;
    this.logger.warn({ error: error.message }, 'dashboard request store: redis unavailable; keeping records in memory only');
  }

  /** Records one request (the request log's listener; public for tests and benchmarks). */
  add(entry: RequestLogEntry, time: number): void {
    const record: RequestRecord = { seq: ++this.seq, time, entry };
    this.insert(record);
    if (this.redis?.status === 'ready') {
      this.redis
        .multi()
        .lpush(this.redisKey, JSON.stringify(record))
        .ltrim(this.redisKey, 0, this.capacity - 1)
        .exec()
        .catch((error: Error) => this.redisFailed(error));
    }
    for (const listener of this.listeners) listener(record);
  }

  private insert(record: RequestRecord): void {
    this.ring[this.next] = record;
    this.next = (this.next + 1) % this.capacity;
  }

  /** Records newest last; `since` keeps only those with a greater `seq`, `limit` the newest that many. */
  records(options: { readonly since?: number; readonly limit?: number } = {}): RequestRecord[] {
    const ordered: RequestRecord[] = [];
    for (let i = 0; i < this.capacity; i++) {
      const record = this.ring[(this.next + i) % this.capacity];
      if (record !== undefined && record.seq > (options.since ?? 0)) ordered.push(record);
    }
    return options.limit === undefined ? ordered : ordered.slice(-options.limit);
  }

  /** The record with this request id, or with this `seq` when the id is a number. */
  find(id: string): RequestRecord | undefined {
    return this.records().find((record) => record.entry.requestId === id || String(record.seq) === id);
  }

  /** Calls `listener` with every new record; returns the unsubscribe function. */
  subscribe(listener: (record: RequestRecord) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async close(): Promise<void> {
    this.unsubscribe();
    this.listeners.clear();
    // A client still reconnecting (Redis down) has nothing to flush: cut it, or its retries keep the process alive.
    if (this.redis?.status === 'ready') await this.redis.quit().catch(() => undefined);
    else this.redis?.disconnect();
  }
}
