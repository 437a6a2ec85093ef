import type { RuntimeConfig } from '../config/runtime-config.js';
import { mostExpensiveModel, tokenCost as cost } from '../telemetry/pricing.js';

/** What one demo request produced. */
export interface DemoResult {
  readonly category: string;
  readonly prompt: string;
  readonly decision: string;
  readonly model: string;
  /** The sidecar's own routing time (`x-vsr-routing-latency-ms`); undefined when not reported. */
  readonly routingMs: number | undefined;
  readonly promptTokens: number;
  readonly completionTokens: number;
  /** Answered by the semantic cache (`x-vsr-cache-hit: true`): no model was called. */
  readonly cacheHit: boolean;
}

/** Totals under the table. */
export interface DemoSummary {
  readonly requests: number;
  /** Requests that went to a model with a zero prompt price, or were answered from the cache. */
  readonly local: number;
  readonly cacheHits: number;
  readonly currency: string;
  readonly routedCost: number;
  /** The most expensive model (by prompt, then completion price) and what all requests would cost there. */
  readonly baselineModel: string;
  readonly baselineCost: number;
}

const PROMPT_WIDTH = 48;

/** Local share and token cost of the results, priced with the config's `pricing` blocks. */
export function summarise(results: readonly DemoResult[], config: RuntimeConfig): DemoSummary {
  const baseline = mostExpensiveModel(config);
  let routedCost = 0;
  let baselineCost = 0;
  let local = 0;
  let cacheHits = 0;
  for (const result of results) {
    const pricing = config.models.get(result.model)?.pricing;
    // The baseline has no router, so no cache either: it pays for every request.
    baselineCost += cost(baseline.pricing, result.promptTokens, result.completionTokens);
    if (result.cacheHit) {
      cacheHits += 1;
      local += 1;
      continue;
    }
    if (pricing !== undefined && pricing.promptPer1M === 0) local += 1;
    routedCost += cost(pricing, result.promptTokens, result.completionTokens);
  }
  return { requests: results.length, local, cacheHits, currency: baseline.pricing?.currency ?? 'USD', routedCost, baselineModel: baseline.model, baselineCost };
}

function truncate(text: string, width: number): string {
  const flat = text.replace(/\s+/g, ' ');
  return flat.length <= width ? flat : `${flat.slice(0, width - 1)}…`;
}

/** The routing table and the summary lines, as printed by `switchyard demo`. */
export function formatReport(results: readonly DemoResult[], summary: DemoSummary): string {
  const header = ['category', 'prompt', 'decision', 'model', 'routing ms'];
  const rows = results.map((result) => [
    result.category,
    truncate(result.prompt, PROMPT_WIDTH),
    result.cacheHit ? 'cache-hit' : result.decision,
    result.model,
    result.routingMs === undefined ? '-' : result.routingMs.toFixed(3),
  ]);
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]!.length)));
  const line = (cells: readonly string[]): string =>
    cells.map((cell, column) => (column === cells.length - 1 ? cell.padStart(widths[column]!) : cell.padEnd(widths[column]!))).join('  ');
  const share = summary.requests === 0 ? 0 : (100 * summary.local) / summary.requests;
  const saved = summary.baselineCost === 0 ? 0 : (100 * (summary.baselineCost - summary.routedCost)) / summary.baselineCost;
  const money = (value: number): string => `${value.toFixed(6)} ${summary.currency}`;
  return [
    line(header),
    line(widths.map((width) => '-'.repeat(width))),
    ...rows.map(line),
    '',
    `kept local: ${summary.local} of ${summary.requests} requests (${share.toFixed(1)}%)${summary.cacheHits > 0 ? `, ${summary.cacheHits} answered from the semantic cache` : ''}`,
    `token cost: ${money(summary.routedCost)} routed vs ${money(summary.baselineCost)} all on ${summary.baselineModel} (${saved.toFixed(1)}% saved)`,
    '',
  ].join('\n');
}
