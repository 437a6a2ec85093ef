import type { ModelEndpoint } from '../../config/runtime-config.js';
import type { ChatRequest } from '../../router/chat-request.js';
import type { ImmediateReply, RoutedRequest, SelectionTrace } from '../../router/route-result.js';
import { short } from '../candidate-scores.js';
import type { SelectionCandidate } from '../selection-algorithm.js';
import type { JsonEdit, Looper, LooperSettings, LooperTry } from './looper.js';
import { looperReply, type ClientFormat } from './looper-reply.js';
import { callModel } from './model-call.js';

/** A routed request to one candidate and the endpoint it goes to. */
export interface PreparedCall {
  readonly routed: RoutedRequest;
  readonly endpoint: ModelEndpoint;
}

/** What a looper needs from routing: the decision, the client's request, and how to route it to a candidate. */
export interface LooperRouting {
  readonly decision: string;
  readonly algorithm: string;
  readonly looper: Looper;
  readonly candidates: readonly SelectionCandidate[];
  readonly settings: LooperSettings;
  readonly request: ChatRequest;
  /** The client's request headers (lower-case; pseudo-headers included). */
  readonly clientHeaders: ReadonlyMap<string, string>;
  readonly abort: AbortSignal;
  /** The request routed to a candidate, with the decision's plug-ins applied and `selection` in its trace. */
  prepare(candidate: number, selection: SelectionTrace, edit?: JsonEdit): Promise<PreparedCall>;
}

function clientFormat(request: ChatRequest): ClientFormat {
  const options = request.json.stream_options as { include_usage?: unknown } | null | undefined;
  return { stream: request.stream, includeUsage: options?.include_usage === true, logprobs: request.json.logprobs === true };
}

/**
 * Athena's `x-vsr-looper-*` response headers, plus the confidence of an answer the looper kept.
 * `models-used` names each model once, in first-call order; `iterations` counts every call.
 */
function looperHeaders(algorithm: string, model: string, calls: readonly string[], answered: LooperTry | undefined): (readonly [string, string])[] {
  return [
    ['x-vsr-looper-algorithm', algorithm],
    ['x-vsr-looper-model', model],
    ['x-vsr-looper-models-used', [...new Set(calls)].join(',')],
    ['x-vsr-looper-iterations', String(calls.length)],
    ...(answered?.confidence === undefined ? [] : [['x-vsr-looper-confidence', short(answered.confidence)] as const]),
  ];
}

/**
 * Runs a decision's looper during routing. Its calls go to the endpoints the router would route to,
 * bodies rewritten as for routing (reasoning, plug-in edits) plus the looper's own edits. An answer
 * the looper keeps becomes the reply (JSON or SSE, as the client asked); otherwise the request is
 * routed to the candidate the looper ends on, so that answer streams from its upstream. Both carry
 * the routing and `x-vsr-looper-*` headers, and the tries in the trace (for metrics and logs).
 */
export async function runLooper(routing: LooperRouting): Promise<RoutedRequest | ImmediateReply> {
  const { algorithm, candidates } = routing;
  const nameOf = (candidate: number): string => candidates[candidate]!.target.name;
  const outcome = await routing.looper.run({
    signal: routing.abort,
    async call(candidate, iteration, edit) {
      const { routed, endpoint } = await routing.prepare(candidate, { algorithm, model: nameOf(candidate), reason: `looper call ${iteration}` }, edit);
      return callModel({ endpoint, routed, clientHeaders: routing.clientHeaders, decision: routing.decision, iteration }, routing.settings, routing.abort);
    },
  });
  const model = nameOf(outcome.candidate);
  const { routed } = await routing.prepare(outcome.candidate, { algorithm, model, reason: outcome.reason }, outcome.kind === 'route' ? outcome.edit : undefined);
  const trace = { ...routed.trace, looper: { tries: outcome.tries } };
  const calls = [...outcome.tries.map((attempt) => attempt.model), ...(outcome.kind === 'route' ? [model] : [])];
  const answered = outcome.tries.find((attempt) => attempt.outcome === 'answered' && attempt.confidence !== undefined);
  const headers = [...routed.responseHeaders, ...looperHeaders(algorithm, model, calls, answered)];
  if (outcome.kind === 'route') return { ...routed, trace, responseHeaders: headers };
  return looperReply(outcome.completion, clientFormat(routing.request), headers, trace, outcome.extension);
}
