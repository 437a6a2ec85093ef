import type { ModelTarget } from '../config/runtime-config.js';
import type { RequestRecord } from './request-store.js';

/** Windows the savings page offers, in milliseconds. */
export const SAVINGS_WINDOWS: Readonly<Record<string, number>> = { '5m': 5 * 60_000, '15m': 15 * 60_000, '1h': 3_600_000, '6h': 6 * 3_600_000, '24h': 24 * 3_600_000 };

const BUCKETS = 30;

/** p50 and p95 of some latencies, in ms; null without samples. */
export interface StageLatency {
  readonly p50: number | null;
  readonly p95: number | null;
  readonly samples: number;
}

/** Sums over a group of requests. */
export interface SavingsTotals {
  readonly requests: number;
  /** What the requests cost, when the records carry a cost (issue 16's accounting). */
  readonly cost: number;
  /** What the same tokens would have cost on the baseline model, when the records carry it. */
  readonly saved: number;
  /** Requests with a cost figure; the rest predate accounting or had no usage. */
  readonly costed: number;
  /** Share answered without a paid model: a free (local) model, the cache or a block. */
  readonly localShare: number;
  readonly cacheHits: number;
  readonly cacheHitRate: number;
  readonly blocked: number;
  /** Non-2xx or cut-off answers. */
  readonly errors: number;
}

/** One time bucket of the savings charts. */
export interface SavingsBucket extends SavingsTotals {
  /** Bucket start, epoch ms. */
  readonly t: number;
  readonly routingP50: number | null;
  readonly upstreamP50: number | null;
}

/** The savings page: totals, a time series, and breakdowns by model and by decision. */
export interface SavingsSummary {
  readonly window: string;
  readonly bucketMs: number;
  readonly currency: string;
  readonly totals: SavingsTotals;
  readonly series: readonly SavingsBucket[];
  readonly byModel: readonly (SavingsTotals & { readonly model: string; readonly free: boolean })[];
  readonly byDecision: readonly (SavingsTotals & { readonly decision: string })[];
  readonly stages: Readonly<Record<'routing' | 'upstream' | 'ttft', StageLatency>>;
}

/** A number the request record may carry (cost accounting adds these fields when it runs). */
export function recordNumber(record: RequestRecord, field: string): number | undefined {
  const value = (record.entry as unknown as Record<string, unknown>)[field];
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

function isFree(model: ModelTarget | undefined): boolean {
  const pricing = model?.pricing;
  return pricing === undefined || (pricing.promptPer1M === 0 && pricing.completionPer1M === 0);
}

function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

function latency(values: readonly (number | null | undefined)[]): StageLatency {
  const sorted = values.filter((value): value is number => typeof value === 'number').sort((a, b) => a - b);
  return { p50: percentile(sorted, 50), p95: percentile(sorted, 95), samples: sorted.length };
}

function totals(records: readonly RequestRecord[], models: ReadonlyMap<string, ModelTarget>): SavingsTotals {
  let cost = 0;
  let saved = 0;
  let costed = 0;
  let local = 0;
  let cacheHits = 0;
  let blocked = 0;
  let errors = 0;
  for (const record of records) {
    const { entry } = record;
    const recordCost = recordNumber(record, 'cost');
    if (recordCost !== undefined) {
      cost += recordCost;
      costed++;
    }
    saved += recordNumber(record, 'saved') ?? 0;
    if (entry.cached) cacheHits++;
    if (entry.blocked) blocked++;
    if (entry.cached || entry.blocked || (entry.model !== null && isFree(models.get(entry.model)))) local++;
    if (entry.status === null || entry.status < 200 || entry.status > 299) errors++;
  }
  const requests = records.length;
  return { requests, cost, saved, costed, localShare: requests === 0 ? 0 : local / requests, cacheHits, cacheHitRate: requests === 0 ? 0 : cacheHits / requests, blocked, errors };
}

function groupBy(records: readonly RequestRecord[], key: (record: RequestRecord) => string): Map<string, RequestRecord[]> {
  const groups = new Map<string, RequestRecord[]>();
  for (const record of records) {
    const name = key(record);
    const group = groups.get(name);
    if (group === undefined) groups.set(name, [record]);
    else group.push(record);
  }
  return groups;
}

/**
 * Summarises the records of the last `window` (one of {@link SAVINGS_WINDOWS}) before `now`:
 * what they cost and saved, the share kept local, the cache hit rate and latency per stage,
 * in {@link BUCKETS} time buckets and by model and decision. Pure: the page's numbers are tested here.
 */
export function summariseSavings(records: readonly RequestRecord[], models: ReadonlyMap<string, ModelTarget>, window: string, now: number): SavingsSummary {
  const windowMs = SAVINGS_WINDOWS[window] ?? SAVINGS_WINDOWS['15m']!;
  const start = now - windowMs;
  const inWindow = records.filter((record) => record.time > start && record.time <= now);
  const bucketMs = windowMs / BUCKETS;
  const buckets: RequestRecord[][] = Array.from({ length: BUCKETS }, () => []);
  for (const record of inWindow) buckets[Math.min(BUCKETS - 1, Math.floor((record.time - start) / bucketMs))]!.push(record);
  const currency = [...models.values()].find((model) => model.pricing !== undefined)?.pricing?.currency ?? 'USD';
  return {
    window: SAVINGS_WINDOWS[window] === undefined ? '15m' : window,
    bucketMs,
    currency,
    totals: totals(inWindow, models),
    series: buckets.map((bucket, index) => ({
      t: Math.round(start + index * bucketMs),
      ...totals(bucket, models),
      routingP50: latency(bucket.map((record) => record.entry.routingMs)).p50,
      upstreamP50: latency(bucket.map((record) => record.entry.upstreamMs)).p50,
    })),
    byModel: [...groupBy(inWindow, (record) => record.entry.model ?? '(not routed)')]
      .map(([model, group]) => ({ model, free: isFree(models.get(model)), ...totals(group, models) }))
      .sort((a, b) => b.requests - a.requests),
    byDecision: [...groupBy(inWindow, (record) => record.entry.decision ?? '(none)')]
      .map(([decision, group]) => ({ decision, ...totals(group, models) }))
      .sort((a, b) => b.requests - a.requests),
    stages: {
      routing: latency(inWindow.map((record) => record.entry.routingMs)),
      upstream: latency(inWindow.map((record) => record.entry.upstreamMs)),
      ttft: latency(inWindow.map((record) => recordNumber(record, 'ttftMs'))),
    },
  };
}
