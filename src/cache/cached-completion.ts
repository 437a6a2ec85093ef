/** Token counts of an answer, as the upstream reported them. */
export interface CompletionUsage {
  readonly prompt_tokens: number;
  readonly completion_tokens: number;
  readonly total_tokens: number;
}

/** An answer worth replaying: one assistant message that ended with `finish_reason: "stop"`. */
export interface CachedCompletion {
  /** The model that produced it, as the upstream named it. */
  readonly model: string;
  readonly content: string;
  readonly usage?: CompletionUsage;
  readonly systemFingerprint?: string;
}

/** A stored answer with what finds it again. */
export interface CacheEntry {
  /** Shared across replicas. */
  readonly id: string;
  readonly namespace: string;
  /** The last user message it answered. */
  readonly query: string;
  /** The embedding of the query with its speech repairs cut out (unit length). */
  readonly vector: Float32Array;
  /** Epoch milliseconds. */
  readonly expiresAt: number;
  /** Held locally by the memory backend; the redis backend fetches it on a hit. */
  readonly completion?: CachedCompletion;
}
