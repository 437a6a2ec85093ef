/** The first of several identical requests: it settles what the others wait for. */
export interface CoalescingLead<T> {
  /** Hands the answer (or undefined: none, go upstream yourselves) to every waiter, once. */
  settle(value: T | undefined): void;
}

interface InFlight<T> {
  readonly settled: Promise<T | undefined>;
  readonly resolve: (value: T | undefined) => void;
}

/**
 * Coalesces identical concurrent misses: the first request for a key leads and goes upstream,
 * later ones wait for its answer up to a bound, then (on timeout, abort or a failed lead) go
 * upstream themselves. Process-local: replicas do not coalesce with each other.
 */
export class RequestCoalescer<T> {
  private readonly inFlight = new Map<string, InFlight<T>>();

  /** Takes the lead for `key`; undefined when another request already leads. */
  lead(key: string): CoalescingLead<T> | undefined {
    if (this.inFlight.has(key)) return undefined;
    let resolve!: (value: T | undefined) => void;
    const settled = new Promise<T | undefined>((r) => {
      resolve = r;
    });
    const flight = { settled, resolve };
    this.inFlight.set(key, flight);
    return {
      settle: (value) => {
        if (this.inFlight.get(key) !== flight) return;
        this.inFlight.delete(key);
        resolve(value);
      },
    };
  }

  /**
   * Waits for the lead of `key`: its answer, or undefined when it failed, `timeoutMs` passed or
   * `signal` aborted. Undefined (no promise) when nobody leads.
   */
  wait(key: string, timeoutMs: number, signal: AbortSignal): Promise<T | undefined> | undefined {
    const flight = this.inFlight.get(key);
    if (flight === undefined || timeoutMs <= 0) return undefined;
    return new Promise((resolve) => {
      const finish = (value: T | undefined): void => {
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      };
      const onAbort = (): void => finish(undefined);
      const timer = setTimeout(() => finish(undefined), timeoutMs);
      signal.addEventListener('abort', onAbort, { once: true });
      void flight.settled.then(finish);
    });
  }
}
