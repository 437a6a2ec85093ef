import { createHash } from 'node:crypto';
import type { RequestView, SignalExtractor, SignalResult } from './signal.js';

/**
 * How many distinct texts each memoised signal type remembers. Agent traffic resends the same
 * conversation turn after turn (and retries resend whole requests), so the recent texts repeat;
 * a few thousand entries of a few hundred bytes each stay well under a megabyte per type.
 */
export const SIGNAL_MEMO_ENTRIES = 2048;

/** The memo key of an extractor that reads the last user message and nothing else. */
export function lastUserTextKey(request: RequestView): string {
  return request.lastUserText;
}

/** The memo key of an extractor that also reads earlier user turns (`include_history`). */
export function userTurnsKey(request: RequestView): string {
  return JSON.stringify([request.lastUserText, ...request.messages.filter((m) => m.role === 'user').map((m) => m.text)]);
}

/**
 * The results of one signal type for the texts it saw last, keyed by a SHA-256 of the exact text the
 * extractor reads (its `memoKey` of the bounded view), so a repeated text skips the models. It lives
 * in one compiled pipeline: a config reload builds a new pipeline and so starts an empty memo, and
 * results of one config generation never answer for another. Only complete, error-free results are
 * kept; the oldest entry leaves past {@link SIGNAL_MEMO_ENTRIES}.
 */
export class SignalMemo {
  private readonly entries = new Map<string, readonly SignalResult[]>();
  hits = 0;
  misses = 0;

  constructor(
    private readonly memoKey: (request: RequestView) => string,
    private readonly capacity = SIGNAL_MEMO_ENTRIES,
  ) {}

  /**
   * The digest that names `request`'s text for this signal type. Pass one `digests` map for the types
   * of one request: most read the same last user message, which is then hashed once.
   */
  keyOf(request: RequestView, digests: Map<string, string> = new Map()): string {
    const text = this.memoKey(request);
    let digest = digests.get(text);
    if (digest === undefined) digests.set(text, (digest = createHash('sha256').update(text).digest('base64')));
    return digest;
  }

  recall(key: string): readonly SignalResult[] | undefined {
    const results = this.entries.get(key);
    if (results === undefined) {
      this.misses += 1;
      return undefined;
    }
    this.hits += 1;
    // Refresh its place: a conversation in progress keeps its entries while older ones leave.
    this.entries.delete(key);
    this.entries.set(key, results);
    return results;
  }

  remember(key: string, results: readonly SignalResult[]): void {
    if (results.some((result) => result.error !== undefined)) return;
    this.entries.set(key, results);
    if (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value!);
  }

  get size(): number {
    return this.entries.size;
  }
}

/** A memo for an extractor that declares what its results depend on; none for the others. */
export function signalMemoFor(extractor: SignalExtractor): SignalMemo | undefined {
  return extractor.memoKey === undefined ? undefined : new SignalMemo((request) => extractor.memoKey!(request));
}
