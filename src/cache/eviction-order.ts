/** Which entry goes first when the cache is full. */
export interface EvictionOrder {
  added(label: number): void;
  /** The entry answered a request. */
  touched(label: number): void;
  removed(label: number): void;
  /** The next entry to evict; undefined when empty. */
  victim(): number | undefined;
}

/** First in, first out; hits change nothing (Athena's default). */
class FifoOrder implements EvictionOrder {
  protected readonly order = new Set<number>();
  added(label: number): void {
    this.order.add(label);
  }
  touched(_label: number): void {}
  removed(label: number): void {
    this.order.delete(label);
  }
  victim(): number | undefined {
    return this.order.values().next().value;
  }
}

/** Least recently used: a hit moves the entry to the back of the insertion-ordered set. */
class LruOrder extends FifoOrder {
  override touched(label: number): void {
    if (this.order.delete(label)) this.order.add(label);
  }
}

/** Least frequently used, the oldest first among equals; entries sit in one bucket per hit count. */
class LfuOrder implements EvictionOrder {
  private readonly counts = new Map<number, number>();
  private readonly buckets = new Map<number, Set<number>>();

  added(label: number): void {
    this.counts.set(label, 0);
    this.bucket(0).add(label);
  }
  touched(label: number): void {
    const count = this.counts.get(label);
    if (count === undefined) return;
    this.take(label, count);
    this.counts.set(label, count + 1);
    this.bucket(count + 1).add(label);
  }
  removed(label: number): void {
    const count = this.counts.get(label);
    if (count === undefined) return;
    this.take(label, count);
    this.counts.delete(label);
  }
  victim(): number | undefined {
    // Few distinct hit counts exist at any time, so a scan of the bucket keys is cheap.
    let lowest: number | undefined;
    for (const count of this.buckets.keys()) if (lowest === undefined || count < lowest) lowest = count;
    return lowest === undefined ? undefined : this.buckets.get(lowest)!.values().next().value;
  }
  private bucket(count: number): Set<number> {
    let bucket = this.buckets.get(count);
    if (bucket === undefined) this.buckets.set(count, (bucket = new Set()));
    return bucket;
  }
  private take(label: number, count: number): void {
    const bucket = this.buckets.get(count);
    bucket?.delete(label);
    if (bucket?.size === 0) this.buckets.delete(count);
  }
}

/** The eviction order for a configured `eviction_policy`. */
export function createEvictionOrder(policy: 'lru' | 'lfu' | 'fifo'): EvictionOrder {
  switch (policy) {
    case 'lru':
      return new LruOrder();
    case 'lfu':
      return new LfuOrder();
    case 'fifo':
      return new FifoOrder();
  }
}
