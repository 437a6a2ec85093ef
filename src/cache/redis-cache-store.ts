import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import type { RouterLogger } from '../telemetry/logger.js';
import type { CacheEvent } from '../telemetry/metrics.js';
import type { CacheEntry, CachedCompletion } from './cached-completion.js';
import type { LocalCacheIndex } from './local-cache-index.js';
import type { SharedCacheStore } from './shared-cache-store.js';

/** What a {@link RedisCacheStore} connects to and keeps in step. */
export interface RedisCacheStoreOptions {
  readonly url: string;
  readonly keyPrefix: string;
  readonly index: LocalCacheIndex;
  readonly count: (event: CacheEvent) => void;
  readonly logger: RouterLogger;
  /** How long `start()` waits for the first load before serving without it. */
  readonly startTimeoutMs?: number;
}

/** A message on the events channel: an insert and/or removals by one replica. */
interface CacheChange {
  readonly origin: string;
  readonly added?: string;
  readonly removed?: readonly string[];
}

const ENTRY_FIELDS = ['ns', 'q', 'v', 'x'] as const;
const LOAD_BATCH = 500;

function vectorBuffer(vector: Float32Array): Buffer {
  return Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength);
}

function vectorOf(buffer: Buffer): Float32Array {
  // Copied: a Buffer's offset into its pool need not be 4-byte aligned.
  return new Float32Array(buffer.buffer.slice(buffer.byteOffset, buffer.byteOffset + buffer.byteLength));
}

/**
 * The `redis` backend. Redis holds each entry as a hash (`<prefix>entry:<id>`: namespace, query,
 * Float32 vector, answer, expiry) with PEXPIREAT at the entry's expiry, a sorted set of ids by
 * expiry (`<prefix>entries`) for loading, and a pub/sub channel (`<prefix>events`) on which every
 * insert and eviction is announced. Debian's Redis has no vector search, so each replica searches
 * its own HNSW index, which this store keeps in step: loaded at start, updated from the channel,
 * resynced after every reconnect, and pruned when a hit finds its entry gone from Redis (expiry
 * in Redis is the truth; the local TTL uses the same absolute time). Commands never queue while
 * Redis is down: they fail at once, the cache counts a backend error and the request goes on as a
 * miss; ioredis reconnects by itself.
 */
export class RedisCacheStore implements SharedCacheStore {
  private readonly client: Redis;
  private readonly subscriber: Redis;
  private readonly origin = randomUUID();
  private readonly channel: string;
  private readonly idsKey: string;
  private outage = false;
  private resyncing: Promise<void> | undefined;
  private resyncAgain = false;
  private closed = false;

  constructor(private readonly options: RedisCacheStoreOptions) {
    const connection = {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      autoResubscribe: false,
      connectTimeout: 1000,
      commandTimeout: 1000,
      retryStrategy: (attempt: number) => Math.min(50 * 2 ** Math.min(attempt, 6), 1000),
    };
    this.client = new Redis(options.url, connection);
    this.subscriber = new Redis(options.url, connection);
    this.channel = `${options.keyPrefix}events`;
    this.idsKey = `${options.keyPrefix}entries`;
    for (const connectionClient of [this.client, this.subscriber]) {
      connectionClient.on('error', (error: Error) => this.onConnectionError(error));
    }
    this.client.on('ready', () => this.onReady());
    this.subscriber.on('ready', () => {
      this.subscriber.subscribe(this.channel).then(() => this.onReady(), (error: unknown) => this.failed(error));
    });
    this.subscriber.on('message', (channel: string, message: string) => {
      if (channel === this.channel) void this.onChange(message);
    });
  }

  async start(): Promise<void> {
    const connected = Promise.all([this.client.connect(), this.subscriber.connect()]).then(
      () => this.resync(),
      () => undefined,
    );
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, this.options.startTimeoutMs ?? 2000);
    });
    await Promise.race([connected, timeout]);
    clearTimeout(timer);
  }

  async completionOf(id: string): Promise<CachedCompletion | undefined> {
    const text = await this.guarded(() => this.client.hget(this.entryKey(id), 'c'));
    return text === null ? undefined : (JSON.parse(text) as CachedCompletion);
  }

  async write(entry: CacheEntry & { readonly completion: CachedCompletion }, evicted: readonly CacheEntry[]): Promise<void> {
    const key = this.entryKey(entry.id);
    const transaction = this.client
      .multi()
      .hset(key, { ns: entry.namespace, q: entry.query, v: vectorBuffer(entry.vector), c: JSON.stringify(entry.completion), x: String(entry.expiresAt) })
      .pexpireat(key, entry.expiresAt)
      .zadd(this.idsKey, entry.expiresAt, entry.id)
      .zremrangebyscore(this.idsKey, '-inf', Date.now());
    for (const old of evicted) transaction.del(this.entryKey(old.id)).zrem(this.idsKey, old.id);
    const change: CacheChange = { origin: this.origin, added: entry.id, removed: evicted.map((old) => old.id) };
    transaction.publish(this.channel, JSON.stringify(change));
    await this.guarded(() => transaction.exec());
  }

  async close(): Promise<void> {
    this.closed = true;
    this.client.disconnect();
    this.subscriber.disconnect();
    await this.resyncing?.catch(() => undefined);
  }

  private entryKey(id: string): string {
    return `${this.options.keyPrefix}entry:${id}`;
  }

  /** Runs a command; a failure counts as a backend error and rethrows. */
  private async guarded<T>(command: () => Promise<T>): Promise<T> {
    try {
      return await command();
    } catch (error) {
      this.failed(error);
      throw error;
    }
  }

  private failed(error: unknown): void {
    this.options.count('backend_error');
    this.onConnectionError(error instanceof Error ? error : new Error(String(error)));
  }

  /** One log line per outage; the counter says how often it hurt. */
  private onConnectionError(error: Error): void {
    if (this.outage || this.closed) return;
    this.outage = true;
    this.options.logger.warn({ err: error.message }, 'semantic cache: Redis unreachable; serving without the cache until it reconnects');
  }

  private onReady(): void {
    if (this.client.status !== 'ready' || this.subscriber.status !== 'ready' || this.closed) return;
    if (this.outage) {
      this.outage = false;
      this.options.logger.info('semantic cache: Redis reachable again; resyncing');
    }
    void this.resync().catch(() => undefined);
  }

  /** Makes the local index hold exactly the live entries in Redis (single flight; reruns if asked meanwhile). */
  private resync(): Promise<void> {
    if (this.resyncing !== undefined) {
      this.resyncAgain = true;
      return this.resyncing;
    }
    this.resyncing = this.loadAll()
      .catch((error: unknown) => this.failed(error))
      .finally(() => {
        this.resyncing = undefined;
        if (this.resyncAgain && !this.closed) {
          this.resyncAgain = false;
          void this.resync();
        }
      });
    return this.resyncing;
  }

  private async loadAll(): Promise<void> {
    const ids = await this.client.zrangebyscore(this.idsKey, Date.now(), '+inf');
    const live = new Set(ids);
    const { index } = this.options;
    for (const id of [...index.ids()]) if (!live.has(id)) index.remove(id);
    const missing = ids.filter((id) => !index.has(id));
    for (let start = 0; start < missing.length; start += LOAD_BATCH) {
      const batch = missing.slice(start, start + LOAD_BATCH);
      const pipeline = this.client.pipeline();
      for (const id of batch) pipeline.hmgetBuffer(this.entryKey(id), ...ENTRY_FIELDS);
      const results = (await pipeline.exec()) ?? [];
      batch.forEach((id, i) => this.insertLoaded(id, results[i]?.[1] as (Buffer | null)[] | undefined));
    }
  }

  private insertLoaded(id: string, fields: readonly (Buffer | null)[] | undefined): void {
    const [namespace, query, vector, expiry] = fields ?? [];
    if (namespace == null || query == null || vector == null || expiry == null) return;
    const expiresAt = Number(expiry.toString());
    if (expiresAt <= Date.now()) return;
    const evicted = this.options.index.insert({ id, namespace: namespace.toString(), query: query.toString(), vector: vectorOf(vector), expiresAt });
    for (const _ of evicted) this.options.count('eviction');
  }

  private async onChange(message: string): Promise<void> {
    let change: CacheChange;
    try {
      change = JSON.parse(message) as CacheChange;
    } catch {
      return;
    }
    if (change.origin === this.origin) return;
    for (const id of change.removed ?? []) this.options.index.remove(id);
    if (change.added === undefined) return;
    const added = change.added;
    const fields = await this.guarded(() => this.client.hmgetBuffer(this.entryKey(added), ...ENTRY_FIELDS)).catch(() => undefined);
    this.insertLoaded(added, fields);
  }
}
