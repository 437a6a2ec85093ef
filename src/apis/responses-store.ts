import { Redis } from 'ioredis';
import { processSharedState } from '../serve-cluster/process-shared-state.js';
import type { JsonObject } from './wire-json.js';

/** One stored Responses API answer: what `GET /v1/responses/{id}` returns and what `previous_response_id` continues. */
export interface StoredResponse {
  /** The response object as the client received it (status, output, usage…). */
  readonly response: JsonObject;
  /** This turn's input items, with ids (`GET /v1/responses/{id}/input_items`). */
  readonly inputItems: readonly JsonObject[];
  /** The turn this one continued, so a conversation is a chain of stored turns. */
  readonly previousResponseId: string | null;
}

/** The `response_api` section, compiled. */
export interface ResponsesStoreSettings {
  readonly backend: 'memory' | 'redis';
  readonly ttlSeconds: number;
  readonly maxResponses: number;
  readonly redis: { readonly url: string; readonly keyPrefix: string };
}

/** Where responses are kept: bounded in entries and in time. */
export interface ResponsesStore {
  get(id: string): Promise<StoredResponse | undefined>;
  put(id: string, record: StoredResponse): Promise<void>;
  delete(id: string): Promise<boolean>;
  close(): Promise<void>;
}

/** The process's own store: at most `maxResponses` entries, the least recently used dropped first, each for `ttlSeconds`. */
export class MemoryResponsesStore implements ResponsesStore {
  private readonly entries = new Map<string, { record: StoredResponse; expiresAt: number }>();

  constructor(
    private readonly settings: Pick<ResponsesStoreSettings, 'ttlSeconds' | 'maxResponses'>,
    private readonly now: () => number = Date.now,
  ) {}

  async get(id: string): Promise<StoredResponse | undefined> {
    const entry = this.entries.get(id);
    if (entry === undefined) return undefined;
    this.entries.delete(id);
    if (entry.expiresAt <= this.now()) return undefined;
    this.entries.set(id, entry);
    return entry.record;
  }

  async put(id: string, record: StoredResponse): Promise<void> {
    this.entries.delete(id);
    this.entries.set(id, { record, expiresAt: this.now() + this.settings.ttlSeconds * 1000 });
    for (const oldest of this.entries.keys()) {
      if (this.entries.size <= this.settings.maxResponses) break;
      this.entries.delete(oldest);
    }
  }

  async delete(id: string): Promise<boolean> {
    return this.entries.delete(id);
  }

  async close(): Promise<void> {
    this.entries.clear();
  }
}

/**
 * Responses in Redis, shared by every replica: one key per response with the TTL as its expiry,
 * and an index (a sorted set by store time) that keeps at most `maxResponses`, the oldest
 * dropped first. A failing Redis fails the store call, never the process.
 */
export class RedisResponsesStore implements ResponsesStore {
  private readonly client: Redis;

  constructor(private readonly settings: Pick<ResponsesStoreSettings, 'ttlSeconds' | 'maxResponses' | 'redis'>) {
    this.client = new Redis(settings.redis.url, { lazyConnect: true, maxRetriesPerRequest: 1, connectTimeout: 1000, commandTimeout: 1000 });
    this.client.on('error', () => undefined);
  }

  async get(id: string): Promise<StoredResponse | undefined> {
    const text = await this.client.get(this.key(id));
    return text === null ? undefined : (JSON.parse(text) as StoredResponse);
  }

  async put(id: string, record: StoredResponse): Promise<void> {
    const now = Date.now();
    const index = this.key('index');
    await this.client
      .multi()
      .set(this.key(id), JSON.stringify(record), 'EX', this.settings.ttlSeconds)
      .zadd(index, now, id)
      .zremrangebyscore(index, 0, now - this.settings.ttlSeconds * 1000)
      .exec();
    const excess = (await this.client.zcard(index)) - this.settings.maxResponses;
    if (excess <= 0) return;
    const oldest = await this.client.zrange(index, 0, String(excess - 1));
    if (oldest.length > 0) await this.client.multi().del(...oldest.map((old) => this.key(old))).zrem(index, ...oldest).exec();
  }

  async delete(id: string): Promise<boolean> {
    await this.client.zrem(this.key('index'), id);
    return (await this.client.del(this.key(id))) > 0;
  }

  async close(): Promise<void> {
    this.client.disconnect();
  }

  private key(id: string): string {
    return `${this.settings.redis.keyPrefix}${id}`;
  }
}

export function openResponsesStore(settings: ResponsesStoreSettings): ResponsesStore {
  if (settings.backend === 'redis') return new RedisResponsesStore(settings);
  // With several serve workers, one memory store in the primary serves them all.
  return processSharedState()?.responsesStore(settings) ?? new MemoryResponsesStore(settings);
}

/** How far back `previous_response_id` is followed; a longer chain is cut at its oldest turns. */
const MAX_CHAIN = 100;

/** The conversation before a turn: every earlier turn's input and output items, oldest first. */
export async function conversationBefore(store: ResponsesStore, previousId: string): Promise<JsonObject[] | undefined> {
  const turns: StoredResponse[] = [];
  let id: string | null = previousId;
  while (id !== null && turns.length < MAX_CHAIN) {
    const record: StoredResponse | undefined = await store.get(id);
    if (record === undefined) {
      if (turns.length === 0) return undefined;
      break;
    }
    turns.push(record);
    id = record.previousResponseId;
  }
  return turns.reverse().flatMap((turn) => [...turn.inputItems, ...((turn.response.output as JsonObject[] | undefined) ?? [])]);
}
