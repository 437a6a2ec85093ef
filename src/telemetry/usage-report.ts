import type { TimedRequestRecord } from './recent-requests.js';

/** Totals of one group of requests (all, a model, a decision). */
export interface UsageTotals {
  readonly requests: number;
  /** Answered without a priced upstream call: a free (local) model, the cache, a fast response or a block. */
  readonly local: number;
  readonly errors: number;
  readonly promptTokens: number;
  readonly completionTokens: number;
  /** Requests whose tokens were estimated from text. */
  readonly estimated: number;
  readonly cost: number;
  readonly baselineCost: number;
  readonly saved: number;
}

/** What `switchyard report` prints: totals, by model, by decision, errors by reason, over a window. */
export interface UsageReport {
  readonly from: number | undefined;
  readonly to: number | undefined;
  readonly currency: string;
  readonly baselineModel: string | undefined;
  readonly total: UsageTotals;
  readonly byModel: ReadonlyMap<string, UsageTotals>;
  readonly byDecision: ReadonlyMap<string, UsageTotals>;
  readonly errorsByReason: ReadonlyMap<string, number>;
  /** Requests the router switched reasoning on for, by family, parameter and effort (`llm_reasoning_*_usage_total`). */
  readonly reasoning: readonly ReasoningUsage[];
  /** Requests a PII or jailbreak rule matched, by `type:rule` and what became of them (`llm_pii_violations_total`, `switchyard_jailbreak_detections_total`). */
  readonly safety: ReadonlyMap<string, ReadonlyMap<string, number>>;
}

/** How often one reasoning family was switched on with one parameter and effort. */
export interface ReasoningUsage {
  readonly family: string;
  readonly parameter: string;
  /** Absent for template-flag families, which write no effort. */
  readonly effort?: string;
  readonly requests: number;
}

/** Signal types whose matches the report's safety table lists. */
const SAFETY_SIGNALS = ['jailbreak', 'pii'];

function increment<K>(map: Map<K, number>, key: K): void {
  map.set(key, (map.get(key) ?? 0) + 1);
}

const EMPTY: UsageTotals = { requests: 0, local: 0, errors: 0, promptTokens: 0, completionTokens: 0, estimated: 0, cost: 0, baselineCost: 0, saved: 0 };

function add(totals: UsageTotals, record: TimedRequestRecord): UsageTotals {
  const error = record.responsePath === 'error';
  return {
    requests: totals.requests + 1,
    local: totals.local + (!error && (record.cost ?? 0) === 0 ? 1 : 0),
    errors: totals.errors + (error ? 1 : 0),
    promptTokens: totals.promptTokens + (record.promptTokens ?? 0),
    completionTokens: totals.completionTokens + (record.completionTokens ?? 0),
    estimated: totals.estimated + (record.tokensEstimated === true && !error ? 1 : 0),
    cost: totals.cost + (record.cost ?? 0),
    baselineCost: totals.baselineCost + (record.baselineCost ?? 0),
    saved: totals.saved + (record.saved ?? 0),
  };
}

/** Sums accounted records (those with a response path) ending in [from, to]. */
export function buildUsageReport(records: readonly TimedRequestRecord[], window: { from?: number; to?: number } = {}): UsageReport {
  let total = EMPTY;
  const byModel = new Map<string, UsageTotals>();
  const byDecision = new Map<string, UsageTotals>();
  const errorsByReason = new Map<string, number>();
  const reasoning = new Map<string, ReasoningUsage>();
  const safety = new Map<string, Map<string, number>>();
  let currency: string | undefined;
  let baselineModel: string | undefined;
  let first: number | undefined;
  let last: number | undefined;
  for (const record of records) {
    if (record.responsePath === undefined) continue;
    if ((window.from !== undefined && record.time < window.from) || (window.to !== undefined && record.time > window.to)) continue;
    total = add(total, record);
    const model = record.model ?? '(none)';
    const decision = record.decision ?? '(no decision)';
    byModel.set(model, add(byModel.get(model) ?? EMPTY, record));
    byDecision.set(decision, add(byDecision.get(decision) ?? EMPTY, record));
    if (record.responsePath === 'error') increment(errorsByReason, record.reason ?? 'unknown');
    // As the metrics count it: a cache hit's rewritten body never left.
    const applied = record.responsePath === 'cache' ? undefined : record.reasoningApplied;
    if (applied !== undefined) {
      const key = JSON.stringify([applied.family, applied.parameter, applied.effort]);
      reasoning.set(key, { ...applied, requests: (reasoning.get(key)?.requests ?? 0) + 1 });
    }
    for (const type of SAFETY_SIGNALS) {
      for (const rule of record.signals?.[type] ?? []) {
        const key = `${type}:${rule}`;
        increment(safety.get(key) ?? safety.set(key, new Map()).get(key)!, record.responsePath);
      }
    }
    currency ??= record.currency;
    baselineModel ??= record.baselineModel;
    first = Math.min(first ?? record.time, record.time);
    last = Math.max(last ?? record.time, record.time);
  }
  return { from: window.from ?? first, to: window.to ?? last, currency: currency ?? 'USD', baselineModel, total, byModel, byDecision, errorsByReason, reasoning: [...reasoning.values()], safety };
}

function percent(part: number, whole: number): string {
  return whole === 0 ? '-' : `${((100 * part) / whole).toFixed(1)}%`;
}

function table(header: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]!.length)));
  const line = (cells: readonly string[]): string => cells.map((cell, column) => (column === 0 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!))).join('  ');
  return [line(header), line(widths.map((width) => '-'.repeat(width))), ...rows.map(line)];
}

/** The report as text: money to the cent (and to 6 decimals, since single requests cost fractions of a cent). */
export function formatUsageReport(report: UsageReport): string {
  const money = (value: number): string => value.toFixed(6);
  const cents = (value: number): string => `${value.toFixed(2)} ${report.currency}`;
  const { total } = report;
  const when = (time: number | undefined): string => (time === undefined ? '-' : new Date(time).toISOString());
  const groupRows = (groups: ReadonlyMap<string, UsageTotals>): string[][] =>
    [...groups.entries()]
      .sort((a, b) => b[1].requests - a[1].requests || a[0].localeCompare(b[0]))
      .map(([name, totals]) => [
        name,
        String(totals.requests),
        percent(totals.local, totals.requests),
        String(totals.promptTokens),
        String(totals.completionTokens),
        money(totals.cost),
        money(totals.saved),
        String(totals.errors),
      ]);
  const header = ['', 'requests', 'local', 'prompt tok', 'completion tok', `cost ${report.currency}`, `saved ${report.currency}`, 'errors'];
  const lines = [
    `window: ${when(report.from)} .. ${when(report.to)}  (${total.requests} requests)`,
    `cost: ${cents(total.cost)} (${money(total.cost)})   baseline, all on ${report.baselineModel ?? '-'}: ${cents(total.baselineCost)} (${money(total.baselineCost)})`,
    `saved: ${cents(total.saved)} (${money(total.saved)}, ${percent(total.saved, total.baselineCost)} of the baseline)   kept local: ${total.local} of ${total.requests} (${percent(total.local, total.requests)})`,
    ...(total.estimated > 0 ? [`estimated: ${total.estimated} requests had no usage from their upstream; their tokens were counted from text`] : []),
    '',
    'by model',
    ...table(['model', ...header.slice(1)], groupRows(report.byModel)),
    '',
    'by decision',
    ...table(['decision', ...header.slice(1)], groupRows(report.byDecision)),
  ];
  if (report.errorsByReason.size > 0) {
    lines.push('', 'errors by reason', ...table(['reason', 'requests'], [...report.errorsByReason.entries()].map(([reason, count]) => [reason, String(count)])));
  }
  if (report.reasoning.length > 0) {
    const rows = [...report.reasoning].sort((a, b) => b.requests - a.requests || a.family.localeCompare(b.family)).map((usage) => [usage.family, usage.parameter, usage.effort ?? '-', String(usage.requests)]);
    lines.push('', 'reasoning switched on', ...table(['family', 'parameter', 'effort', 'requests'], rows));
  }
  if (report.safety.size > 0) {
    const rows = [...report.safety.entries()].flatMap(([rule, outcomes]) => [...outcomes.entries()].map(([outcome, count]) => [rule, outcome, String(count)]));
    lines.push('', 'PII and jailbreak matches', ...table(['rule', 'outcome', 'requests'], rows));
  }
  return `${lines.join('\n')}\n`;
}

/** The request records of an access log (JSON lines; other lines and other messages are skipped). */
export function recordsFromAccessLog(text: string): TimedRequestRecord[] {
  const records: TimedRequestRecord[] = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith('{')) continue;
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      continue;
    }
    const record = parsed as Partial<TimedRequestRecord> & { msg?: unknown };
    if (record.msg === 'request' && typeof record.time === 'number') records.push(record as TimedRequestRecord);
  }
  return records;
}
