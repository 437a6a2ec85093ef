import type { RuntimeConfig } from '../config/runtime-config.js';
import { costBaseline, tokenCost, type TokenUsage } from './pricing.js';
import type { ResponseObservation } from './response-usage.js';
import { tokensForChars } from './token-estimate.js';

/**
 * How a request was answered (Athena's `x-vsr-response-path` values): by a model upstream, from
 * the semantic cache, by a `fast_response` plug-in, by a block, or with an error.
 */
export type ResponsePath = 'upstream' | 'cache' | 'fast_response' | 'blocked' | 'error';

/**
 * The money and tokens of one request. Cost is what the routed model's `pricing` charges for
 * the upstream tokens; the baseline is what the same request would cost at the baseline model
 * (`observability.cost_baseline_model`, else the most expensive one); saved is the difference.
 * An answer with no upstream call (cache, fast response, block) costs 0 and saves its baseline.
 * Errors carry no tokens and no cost: nothing is invented.
 */
export interface RequestCost {
  readonly responsePath: ResponsePath;
  /** Why it failed (`upstream_5xx`, `upstream_stream_cut`, `usage_malformed` ...) or was blocked (the block's details); null otherwise. */
  readonly reason: string | null;
  /** Upstream tokens; 0 for answers without an upstream call; null on errors. */
  readonly promptTokens: number | null;
  readonly completionTokens: number | null;
  /** The token figures were counted from text because the upstream reported none (or there was no upstream). */
  readonly tokensEstimated: boolean;
  readonly currency: string;
  readonly cost: number | null;
  readonly baselineModel: string;
  readonly baselineCost: number | null;
  readonly saved: number | null;
}

/** Response-path timings of an upstream answer, in milliseconds. */
export interface ResponseTimings {
  /** From the routed request leaving the sidecar to the first answer text. */
  readonly ttftMs: number | null;
  /** Time per output token after the first. */
  readonly tpotMs: number | null;
}

function currencyOf(config: RuntimeConfig, model: string): string {
  return config.models.get(model)?.pricing?.currency ?? costBaseline(config).pricing?.currency ?? 'USD';
}

function priced(config: RuntimeConfig, path: ResponsePath, model: string, usage: TokenUsage, upstreamTokens: boolean): RequestCost {
  const baseline = costBaseline(config);
  const cost = upstreamTokens ? tokenCost(config.models.get(model)?.pricing, usage.promptTokens, usage.completionTokens) : 0;
  const baselineCost = tokenCost(baseline.pricing, usage.promptTokens, usage.completionTokens);
  return {
    responsePath: path,
    reason: null,
    promptTokens: upstreamTokens ? usage.promptTokens : 0,
    completionTokens: upstreamTokens ? usage.completionTokens : 0,
    tokensEstimated: usage.estimated,
    currency: currencyOf(config, model),
    cost,
    baselineModel: baseline.model,
    baselineCost,
    saved: baselineCost - cost,
  };
}

/** A request that failed: the reason, and no tokens or cost. */
export function failedRequestCost(config: RuntimeConfig, model: string | null, reason: string): RequestCost {
  return {
    responsePath: 'error',
    reason,
    promptTokens: null,
    completionTokens: null,
    tokensEstimated: false,
    currency: model === null ? (costBaseline(config).pricing?.currency ?? 'USD') : currencyOf(config, model),
    cost: null,
    baselineModel: costBaseline(config).model,
    baselineCost: null,
    saved: null,
  };
}

/**
 * An answer given without calling a model: zero upstream tokens, and the baseline cost of the
 * tokens it stood for (the prompt, plus the cached answer for a cache hit) as saved.
 */
export function avoidedRequestCost(config: RuntimeConfig, path: 'cache' | 'fast_response' | 'blocked', model: string, usage: TokenUsage, reason: string | null = null): RequestCost {
  return { ...priced(config, path, model, usage, false), reason };
}

/** Why an upstream answer cannot be priced, or undefined when it can. */
function upstreamFailure(status: number | null, observation: ResponseObservation | undefined): string | undefined {
  if (status === null) return 'upstream_no_response';
  if (status >= 500) return 'upstream_5xx';
  if (status >= 400) return 'upstream_4xx';
  if (observation === undefined) return undefined;
  if (!observation.complete) return 'upstream_stream_cut';
  if (observation.malformedUsage) return 'usage_malformed';
  return undefined;
}

/**
 * An upstream answer: the reported usage priced at the routed model, or, when the upstream sent
 * none, an estimate from the text marked as such. `observation` is undefined when the body was
 * not read (accounting off): then only the status counts.
 */
export function upstreamRequestCost(
  config: RuntimeConfig,
  model: string,
  status: number | null,
  observation: ResponseObservation | undefined,
  estimatedPromptTokens: number,
): RequestCost | undefined {
  const failure = upstreamFailure(status, observation);
  if (failure !== undefined) return failedRequestCost(config, model, failure);
  if (observation === undefined) return undefined;
  const usage: TokenUsage =
    observation.usage === undefined
      ? { promptTokens: estimatedPromptTokens, completionTokens: tokensForChars(observation.completionChars), estimated: true }
      : { ...observation.usage, estimated: false };
  return priced(config, 'upstream', model, usage, true);
}

/** TTFT and TPOT of an upstream answer, from when the request left and when its text arrived. */
export function responseTimings(observation: ResponseObservation | undefined, sentAt: number | undefined, completionTokens: number | null): ResponseTimings {
  if (observation === undefined || sentAt === undefined || observation.firstTokenAt === undefined) return { ttftMs: null, tpotMs: null };
  const ttftMs = observation.firstTokenAt - sentAt;
  const last = observation.lastTokenAt ?? observation.firstTokenAt;
  const tokens = completionTokens ?? 0;
  // A streamed answer spreads its tokens between the first and last text; a JSON one arrives at once (TPOT over the whole wait).
  const span = last > observation.firstTokenAt ? last - observation.firstTokenAt : last - sentAt;
  const intervals = last > observation.firstTokenAt ? tokens - 1 : tokens;
  return { ttftMs, tpotMs: intervals > 0 ? span / intervals : null };
}
