/** The latest observations kept per model, as in Athena (`pkg/latency/cache.go`). */
export const LATENCY_WINDOW_SIZE = 1000;

/** A ring of the last observations of one quantity. */
class Window {
  private readonly values = new Float64Array(LATENCY_WINDOW_SIZE);
  private next = 0;
  count = 0;

  push(value: number): void {
    this.values[this.next] = value;
    this.next = (this.next + 1) % LATENCY_WINDOW_SIZE;
    this.count = Math.min(this.count + 1, LATENCY_WINDOW_SIZE);
  }

  /** Mean for one or two observations (a percentile of two is noise), nearest-rank percentile from three. */
  percentile(p: number): number | undefined {
    if (this.count === 0) return undefined;
    const values = Array.from(this.values.subarray(0, this.count));
    if (values.length < 3) return values.reduce((a, b) => a + b, 0) / values.length;
    values.sort((a, b) => a - b);
    return values[Math.min(values.length - 1, Math.max(0, Math.ceil((p / 100) * values.length) - 1))];
  }
}

/**
 * Time to first token and time per output token per model over a sliding window, fed by the
 * sidecar's response path and read by `latency_aware`. Percentiles are cached per window until the
 * next observation, so selection does not sort on every request.
 */
export class LatencyWindows {
  private readonly ttft = new Map<string, Window>();
  private readonly tpot = new Map<string, Window>();
  private readonly memo = new Map<string, number | undefined>();

  observe(model: string, sample: { readonly ttftMs?: number; readonly tpotMs?: number }): void {
    if (sample.ttftMs !== undefined && Number.isFinite(sample.ttftMs)) windowOf(this.ttft, model).push(sample.ttftMs);
    if (sample.tpotMs !== undefined && Number.isFinite(sample.tpotMs)) windowOf(this.tpot, model).push(sample.tpotMs);
    for (const key of this.memo.keys()) if (key.endsWith(`\u0000${model}`)) this.memo.delete(key);
  }

  percentile(kind: 'ttft' | 'tpot', model: string, p: number): number | undefined {
    const key = `${kind}\u0000${p}\u0000${model}`;
    if (this.memo.has(key)) return this.memo.get(key);
    const value = (kind === 'ttft' ? this.ttft : this.tpot).get(model)?.percentile(p);
    this.memo.set(key, value);
    return value;
  }

  /** Observation counts per model, for `GET /api/v1/latency`-style reports and tests. */
  counts(model: string): { ttft: number; tpot: number } {
    return { ttft: this.ttft.get(model)?.count ?? 0, tpot: this.tpot.get(model)?.count ?? 0 };
  }
}

function windowOf(windows: Map<string, Window>, model: string): Window {
  let window = windows.get(model);
  if (window === undefined) windows.set(model, (window = new Window()));
  return window;
}
