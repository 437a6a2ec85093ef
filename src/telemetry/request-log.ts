import type { ReasoningApplied } from '../router/reasoning.js';
import type { RouterLogger } from './logger.js';
import type { RequestAccountingFields } from './request-meter.js';
import type { StageTiming } from './stage-span.js';

/**
 * What the one `info` line per request says (the access log). Access keys and headers are never
 * part of it; the prompt only when the config's `router.log_prompts` is on. The accounting fields
 * (response path, tokens, cost, baseline, saved, TTFT, TPOT; see {@link RequestAccountingFields})
 * are present for chat completions the router handled; `switchyard report` and the dashboard read them.
 */
export interface RequestLogEntry extends RequestAccountingFields {
  /** Envoy's (or the gateway's) `x-request-id`. */
  readonly requestId: string | null;
  readonly method: string;
  readonly path: string;
  /** Null when no decision matched or the request was not routed. */
  readonly decision: string | null;
  /** The model the request went to (or would have, for a block); null when not routed. */
  readonly model: string | null;
  /** Whether reasoning was switched on upstream; null when not routed. */
  readonly reasoning: boolean | null;
  /** The reasoning family, parameter and effort written upstream; absent when reasoning was not turned on. */
  readonly reasoningApplied?: ReasoningApplied;
  /** How sure the winning decision was (0..1); absent when no decision matched. */
  readonly confidence?: number;
  /** The effort routing chose for the request (asked for when reasoning is on); absent for a named model. */
  readonly reasoningEffort?: string;
  /** The PII types each matched `pii` rule denied, by rule name; absent when no PII rule matched. */
  readonly piiTypes?: Readonly<Record<string, readonly string[]>>;
  readonly blocked: boolean;
  /** Answered from the semantic cache. */
  readonly cached: boolean;
  /** The HTTP status the client got; null when the stream ended before a status was known (a cancel). */
  readonly status: number | null;
  /** Signals, decision and rewrite; null when nothing was routed. */
  readonly routingMs: number | null;
  /** From the routed request leaving the sidecar to the upstream's response headers; null when no upstream answered. */
  readonly upstreamMs: number | null;
  /** How the decision's selection algorithm chose the model; absent without a decision. */
  readonly selection?: { readonly algorithm: string; readonly reason: string };
  /** Matched rule names per signal type (as in `route` output); absent when nothing was routed. */
  readonly signals?: Readonly<Record<string, readonly string[]>>;
  /** The last user message as the client sent it; present only with `router.log_prompts: true`. */
  readonly prompt?: string;
  /** From the request headers reaching the sidecar to the end of the response. */
  readonly latencyMs: number | null;
  /** The W3C trace id of the request (its `traceparent`, or the one the router started); null when untraced. */
  readonly traceId: string | null;
}

/** Receives every request's record besides the log (metrics, the admin server's recent-requests list). */
export interface RequestRecordSink {
  record(entry: RequestLogEntry): void;
  /** The request's timed stages (signals, decision, plug-ins, cache), just before its record. */
  recordStages?(stages: readonly StageTiming[]): void;
}

function milliseconds(value: number | null): number | null {
  return value === null ? null : Math.round(value * 1000) / 1000;
}

/** Who else reads every entry, whatever the log level (the dashboard's live table and replay store). */
const requestListeners = new Set<(entry: RequestLogEntry) => void>();

/** Calls `listener` with each request's entry from now on; returns the unsubscribe function. */
export function subscribeRequestLog(listener: (entry: RequestLogEntry) => void): () => void {
  requestListeners.add(listener);
  return () => requestListeners.delete(listener);
}

/** Hands an entry to the listeners without logging it (a serve worker's request, logged by the worker, reaching the primary's dashboard). */
export function announceRequest(entry: RequestLogEntry): void {
  for (const listener of requestListeners) listener(entry);
}

/** Writes the request's line: message "request", the entry's fields at the top level for log queries. */
export function logRequest(logger: RouterLogger, entry: RequestLogEntry): void {
  announceRequest(entry);
  if (!logger.isLevelEnabled('info')) return;
  logger.info(
    {
      ...entry,
      routingMs: milliseconds(entry.routingMs),
      upstreamMs: milliseconds(entry.upstreamMs),
      latencyMs: milliseconds(entry.latencyMs),
      ...(entry.ttftMs === undefined ? {} : { ttftMs: milliseconds(entry.ttftMs) }),
      ...(entry.tpotMs === undefined ? {} : { tpotMs: milliseconds(entry.tpotMs) }),
    },
    'request',
  );
}
