import type { ModelEndpoint } from '../../config/runtime-config.js';
import type { ChatRequest } from '../../router/chat-request.js';
import type { ImmediateReply, RoutedRequest, SelectionTrace } from '../../router/route-result.js';
import { short } from '../candidate-scores.js';
import type { SelectionCandidate } from '../selection-algorithm.js';
import type { Completion, JsonEdit, Looper, LooperSettings, LooperTry } from './looper.js';
import { looperReply, type ClientFormat } from './looper-reply.js';
import { callModel } from './model-call.js';

/** A routed request to one candidate and the endpoint it goes to. */
export interface PreparedCall {
  readonly routed: RoutedRequest;
  readonly endpoint: ModelEndpoint;
}

/** What the semantic cache says about a looper's request before any model is called. */
export type LooperCacheLookup =
  /** A cached answer, already the reply. */
  | { readonly kind: 'hit'; readonly reply: ImmediateReply }
  /** Not cached: a held answer is handed to `keep`; a routed one is written as any routed answer. */
  | { readonly kind: 'miss'; keep(completion: Completion): void }
  /** The cache does not apply (off for the decision, another client API). */
  | { readonly kind: 'skip' };

/**
 * The semantic cache as the transport offers it to a looper, so that the cache is consulted before
 * the looper's calls (Athena's order): a hit costs no model call. `probe` is the request routed to
 * the looper's first candidate with `cacheModel` set to the looper's name, under which its answers
 * are cached whichever model gives them.
 */
export type LooperCache = (probe: RoutedRequest) => Promise<LooperCacheLookup>;

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
  readonly cache?: LooperCache;
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
  const lookup = await lookUpCache(routing);
  if (lookup.kind === 'hit') return lookup.reply;
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
  if (outcome.kind === 'route') {
    if (lookup.kind !== 'miss') return { ...routed, trace, responseHeaders: headers };
    // The cache was asked before the looper ran; the answer is written under the looper's name.
    const { cache: _asked, ...rest } = routed;
    return { ...rest, trace, responseHeaders: headers };
  }
  if (lookup.kind === 'miss') lookup.keep(outcome.completion);
  return looperReply(outcome.completion, clientFormat(routing.request), headers, trace, outcome.extension);
}

/** Asks the cache about the request, keyed by the looper's name, before any model is called. */
async function lookUpCache(routing: LooperRouting): Promise<LooperCacheLookup> {
  if (routing.cache === undefined) return { kind: 'skip' };
  const { routed } = await routing.prepare(0, { algorithm: routing.algorithm, model: routing.candidates[0]!.target.name, reason: 'answered from the semantic cache' });
  if (routed.cache === undefined) return { kind: 'skip' };
  return routing.cache({ ...routed, cacheModel: `${routing.algorithm}:${routing.decision}` });
}
