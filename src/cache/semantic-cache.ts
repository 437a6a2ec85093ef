import { randomUUID } from 'node:crypto';
import { BUNDLED_ENCODER_DIR } from '../classifiers/bundled-models.js';
import type { Embedder } from '../classifiers/embedder.js';
import { leaseEmbedder, type ModelLease } from '../signals/model-cache.js';
import type { SemanticCacheSettings } from '../config/runtime-config.js';
import type { SemanticCachePolicy } from '../router/route-result.js';
import type { RouterLogger } from '../telemetry/logger.js';
import type { CacheEvent } from '../telemetry/metrics.js';
import type { CacheKey } from './cache-key.js';
import type { CacheEntry, CachedCompletion } from './cached-completion.js';
import { LocalCacheIndex } from './local-cache-index.js';
import { DEFAULT_WORD_SIMILARITY } from './default-threshold.js';
import { nearMissReason } from './near-miss-guard.js';
import { promptFacts, type PromptFacts } from './prompt-facts.js';
import { RedisCacheStore } from './redis-cache-store.js';
import { RequestCoalescer, type CoalescingLead } from './request-coalescer.js';
import { processSharedState } from '../serve-cluster/process-shared-state.js';
import type { SharedCacheStore } from './shared-cache-store.js';

/** One lookup: the request's key, its decision's policy, and how long it may wait for an identical request. */
export interface CacheLookupRequest {
  readonly key: CacheKey;
  readonly policy: SemanticCachePolicy;
  /** Upper bound on waiting for an identical in-flight request (already capped by the caller's deadlines). */
  readonly waitMs: number;
  /** Called once before the request starts waiting (so the transport can extend its deadline). */
  readonly onWait?: () => void;
  readonly signal: AbortSignal;
}

/** What to do with an answer once the upstream response is complete; exactly one call, once. */
export interface CacheWriteTicket {
  /** The response completed normally: store it and hand it to waiting identical requests. */
  complete(completion: CachedCompletion): void;
  /** The response failed, was aborted or is not cacheable: store nothing, release the waiters. */
  abandon(): void;
}

/** The outcome of a lookup. */
export type CacheLookup =
  | { readonly kind: 'hit'; readonly completion: CachedCompletion; readonly similarity: number }
  | { readonly kind: 'miss'; readonly ticket: CacheWriteTicket }
  /** Nothing to compare (a query without words): neither read nor written. */
  | { readonly kind: 'skip' };

/** What a {@link SemanticCache} is built from. */
export interface SemanticCacheOptions {
  readonly settings: SemanticCacheSettings;
  readonly logger: RouterLogger;
  readonly count: (event: CacheEvent) => void;
  /**
   * The bundled sentence encoder (models/use-lite) when absent, leased from the process-wide model
   * cache: the same instance the signals use, so a request's last user message is embedded once.
   */
  readonly embedder?: Embedder;
  /** Clock for TTLs, in epoch milliseconds (tests move it). */
  readonly now?: () => number;
}

/** How often expired entries are swept out of the local index. */
const SWEEP_INTERVAL_MS = 1000;
/** Two queries this similar with the same wording are the same entry: the second write is skipped. */
const DUPLICATE_SIMILARITY = 0.9999;

const HAS_WORD = /[\p{L}\p{N}]/u;

function normalisedWording(text: string): string {
  return text.trim().replace(/\s+/g, ' ');
}

/**
 * The semantic cache of one sidecar process. A lookup embeds the last user message once, with its
 * speech repairs cut out (otherwise the vector the embedding and complexity signals already
 * computed for it), searches the HNSW index within the request's namespace (see `cache-key.ts`),
 * checks each candidate above the decision's threshold with the near-miss guard, and serves the
 * first that passes. On a miss it coalesces identical concurrent requests and hands back a ticket
 * that writes the answer when the response completes. With the redis backend, entries are shared
 * and the answer itself is read from Redis on a hit; every backend failure turns into a miss.
 */
export class SemanticCache {
  private readonly coalescer = new RequestCoalescer<CachedCompletion>();
  private readonly sweeper: NodeJS.Timeout;
  private readonly now: () => number;

  private constructor(
    private readonly options: SemanticCacheOptions,
    private readonly embedder: Embedder,
    readonly index: LocalCacheIndex,
    private readonly store: SharedCacheStore | undefined,
    private readonly embedderLease: ModelLease<Embedder> | undefined,
  ) {
    this.now = options.now ?? Date.now;
    this.sweeper = setInterval(() => this.sweep(), SWEEP_INTERVAL_MS);
    this.sweeper.unref();
  }

  /** Builds the cache for the global settings: loads the embedder, connects and loads Redis when configured. */
  static async create(options: SemanticCacheOptions): Promise<SemanticCache> {
    const { settings } = options;
    const lease = options.embedder === undefined ? await leaseEmbedder(BUNDLED_ENCODER_DIR) : undefined;
    const embedder = options.embedder ?? lease!.model;
    const index = new LocalCacheIndex({
      embeddingDimensions: embedder.dimensions,
      maxEntries: settings.maxEntries,
      evictionPolicy: settings.evictionPolicy,
      hnsw: settings.hnsw,
      onExpired: () => options.count('expiry'),
    });
    // With several serve workers, a memory cache's entries are shared through the primary.
    const store =
      settings.backendType === 'redis'
        ? new RedisCacheStore({ url: settings.redis.url, keyPrefix: settings.redis.keyPrefix, index, count: options.count, logger: options.logger })
        : processSharedState()?.cacheStore(settings, index, options.count);
    try {
      await store?.start();
    } catch (error) {
      lease?.release();
      throw error;
    }
    return new SemanticCache(options, embedder, index, store, lease);
  }

  /** The backend the entries live in (`memory`, `redis`), as `llm_cache_entries_total` labels it. */
  get backend(): string {
    return this.options.settings.backendType;
  }

  /** Entries the cache holds now (with Redis, the entries this process has indexed). */
  get entries(): number {
    return this.index.size;
  }

  /** The configured bound on waiting for an identical in-flight request. */
  get coalesceTimeoutMs(): number {
    return this.options.settings.coalesceTimeoutMs;
  }

  async lookup(request: CacheLookupRequest): Promise<CacheLookup> {
    if (!HAS_WORD.test(request.key.query)) return { kind: 'skip' };
    const facts = promptFacts(request.key.query);
    // The repaired text is the query itself unless it holds a speech repair, so the vector is
    // usually the one the signals already computed.
    const [vector] = await this.embedder.embed([facts.repaired]);
    if (vector === undefined) return { kind: 'skip' };

    const hit = await this.findHit(request.key, facts, vector, request.policy.similarityThreshold);
    if (hit !== undefined) return hit;
    const waiting = this.coalescer.wait(request.key.identity, request.waitMs, request.signal);
    if (waiting !== undefined) {
      request.onWait?.();
      const completion = await waiting;
      if (completion !== undefined) {
        this.options.count('coalesced');
        this.options.count('hit');
        return { kind: 'hit', completion, similarity: 1 };
      }
    }
    this.options.count('miss');
    const lead = this.coalescer.lead(request.key.identity);
    return { kind: 'miss', ticket: this.ticket(request, vector, lead) };
  }

  async close(): Promise<void> {
    clearInterval(this.sweeper);
    this.embedderLease?.release();
    await this.store?.close();
  }

  private async findHit(key: CacheKey, facts: PromptFacts, vector: Float32Array, threshold: number): Promise<CacheLookup | undefined> {
    for (const { entry, similarity } of this.index.candidates(key.namespace, vector, threshold, this.now())) {
      const matching = { embedder: this.embedder, wordSimilarity: DEFAULT_WORD_SIMILARITY };
      if ((await nearMissReason(facts, promptFacts(entry.query), matching)) !== undefined) {
        this.options.count('near_miss_rejected');
        continue;
      }
      const completion = await this.completionOf(entry);
      if (completion === 'unavailable') return undefined;
      if (completion === undefined) {
        this.index.remove(entry.id);
        this.options.count('expiry');
        continue;
      }
      this.index.touch(entry.id);
      this.options.count('hit');
      return { kind: 'hit', completion, similarity };
    }
    return undefined;
  }

  /** The entry's answer; undefined when the backend dropped it, 'unavailable' when the backend is down. */
  private async completionOf(entry: CacheEntry): Promise<CachedCompletion | undefined | 'unavailable'> {
    if (entry.completion !== undefined || this.store === undefined) return entry.completion;
    try {
      return await this.store.completionOf(entry.id);
    } catch {
      return 'unavailable';
    }
  }

  private ticket(request: CacheLookupRequest, vector: Float32Array, lead: CoalescingLead<CachedCompletion> | undefined): CacheWriteTicket {
    let used = false;
    return {
      complete: (completion) => {
        if (used) return;
        used = true;
        lead?.settle(completion);
        this.write(request, vector, completion);
      },
      abandon: () => {
        if (used) return;
        used = true;
        lead?.settle(undefined);
        this.options.count('not_written');
      },
    };
  }

  private write(request: CacheLookupRequest, vector: Float32Array, completion: CachedCompletion): void {
    const { key, policy } = request;
    if (policy.ttlSeconds <= 0) return;
    const now = this.now();
    const wording = normalisedWording(key.query);
    const duplicate = this.index
      .candidates(key.namespace, vector, DUPLICATE_SIMILARITY, now)
      .some(({ entry }) => normalisedWording(entry.query) === wording);
    if (duplicate) return;
    const entry = { id: randomUUID(), namespace: key.namespace, query: key.query, vector, expiresAt: now + policy.ttlSeconds * 1000 };
    // With a shared store the answer lives in Redis only, so a hit always sees Redis's expiry.
    const evicted = this.index.insert(this.store === undefined ? { ...entry, completion } : entry);
    for (const _ of evicted) this.options.count('eviction');
    if (this.store === undefined) {
      this.options.count('write');
      return;
    }
    // Counted once the shared store has it: a failed write is `not_written` (and a `backend_error`).
    this.store.write({ ...entry, completion }, evicted).then(
      () => this.options.count('write'),
      () => {
        this.index.remove(entry.id);
        this.options.count('not_written');
      },
    );
  }

  private sweep(): void {
    this.index.removeExpired(this.now());
  }
}
