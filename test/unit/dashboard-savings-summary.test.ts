import type { ModelTarget } from '../../src/config/runtime-config.js';
import type { RequestRecord } from '../../src/dashboard/request-store.js';
import { summariseSavings } from '../../src/dashboard/savings-summary.js';
import type { RequestLogEntry } from '../../src/telemetry/request-log.js';

const NOW = 1_800_000_000_000;

function model(name: string, promptPer1M: number, completionPer1M: number): [string, ModelTarget] {
  return [name, { name, endpoints: [], capabilities: [], pricing: { currency: 'EUR', promptPer1M, completionPer1M } }];
}
const MODELS = new Map([model('local', 0, 0), model('cloud', 1, 10)]);

let seq = 0;
function record(agoMs: number, entry: Partial<RequestLogEntry> & Record<string, unknown>): RequestRecord {
  const base: RequestLogEntry = { requestId: null, method: 'POST', path: '/v1/chat/completions', decision: 'coding', model: 'local', reasoning: false, blocked: false, cached: false, status: 200, routingMs: 1, upstreamMs: 10, latencyMs: 11, traceId: null };
  return { seq: ++seq, time: NOW - agoMs, entry: { ...base, ...entry } as RequestLogEntry };
}

describe('summariseSavings', () => {
  const records = [
    record(60_000, { model: 'local', routingMs: 2, upstreamMs: 20, cost: 0, saved: 0.5 }),
    record(50_000, { model: 'cloud', decision: 'reasoning', routingMs: 4, upstreamMs: 200, cost: 0.25, saved: 0 }),
    record(40_000, { model: 'cloud', decision: 'reasoning', cached: true, upstreamMs: null, cost: 0, saved: 0.25 }),
    record(30_000, { model: 'cloud', decision: 'guard', blocked: true, status: 403, upstreamMs: null }),
    record(20_000, { model: 'local', status: 502 }),
    // Outside a 5-minute window.
    record(10 * 60_000, { model: 'cloud', decision: 'reasoning', cost: 9 }),
  ];

  it('sums cost and saved, and counts local share, cache hits, blocks and errors within the window', () => {
    const summary = summariseSavings(records, MODELS, '5m', NOW);
    expect(summary.currency).toBe('EUR');
    expect(summary.totals).toEqual({ requests: 5, cost: 0.25, saved: 0.75, costed: 3, localShare: 4 / 5, cacheHits: 1, cacheHitRate: 1 / 5, blocked: 1, errors: 2 });
    expect(summariseSavings(records, MODELS, '15m', NOW).totals.cost).toBeCloseTo(9.25);
  });

  it('breaks the window down by model and by decision, most requests first', () => {
    const summary = summariseSavings(records, MODELS, '5m', NOW);
    expect(summary.byModel.map((row) => [row.model, row.free, row.requests, row.cost])).toEqual([
      ['cloud', false, 3, 0.25],
      ['local', true, 2, 0],
    ]);
    expect(summary.byDecision.map((row) => [row.decision, row.requests])).toEqual([
      ['coding', 2],
      ['reasoning', 2],
      ['guard', 1],
    ]);
  });

  it('puts each request in its time bucket and reports latency per stage', () => {
    const summary = summariseSavings(records, MODELS, '5m', NOW);
    expect(summary.series).toHaveLength(30);
    expect(summary.series.reduce((sum, bucket) => sum + bucket.requests, 0)).toBe(5);
    // 10-second buckets: the request 60 s ago sits 24 buckets into the window.
    expect(summary.series[24]!.requests).toBe(1);
    expect(summary.series[24]!.upstreamP50).toBe(20);
    expect(summary.stages.upstream).toEqual({ p50: 20, p95: 200, samples: 3 });
    expect(summary.stages.ttft.samples).toBe(0);
  });

  it('falls back to 15 minutes for a window it does not offer', () => {
    expect(summariseSavings(records, MODELS, '7y', NOW).window).toBe('15m');
  });
});
