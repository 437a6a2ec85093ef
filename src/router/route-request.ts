import type { ModelEndpoint, ModelTarget, RuntimeConfig } from '../config/runtime-config.js';
import { RouterError } from '../errors.js';
import type { SignalSet } from '../signals/signal.js';
import { parseChatRequest, type ChatRequest } from './chat-request.js';
import { errorReply } from './error-reply.js';
import { pickEndpoint } from './pick-endpoint.js';
import { applyReasoning, type ReasoningChoice } from './reasoning.js';
import type { RouteResult, RoutedRequest, RoutingTrace } from './route-result.js';
import { routingResponseHeaders } from './routing-headers.js';
import { selectModelRef } from './select-model-ref.js';
import { DEFAULT_CHAT_PATH, upstreamPath } from './upstream-path.js';

/** Where a request goes and why, before the body and headers are rewritten. */
interface Routing {
  readonly target: ModelTarget;
  readonly trace: RoutingTrace;
  /** Undefined when the client named the model: the router leaves reasoning alone. */
  readonly reasoning: ReasoningChoice | undefined;
}

function modelTarget(config: RuntimeConfig, name: string): ModelTarget {
  const target = config.models.get(name);
  // The config loader checks model references, so this only fires on an inconsistent config.
  if (target === undefined) throw new RouterError('SY_ERR_NO_ROUTE', `routing chose model "${name}", which is not configured`);
  return target;
}

/** Matched rule names per signal type, in evaluation order; types without a match are left out. */
function matchedSignals(signals: SignalSet): Record<string, string[]> {
  const matched: Record<string, string[]> = {};
  for (const result of signals.values()) {
    if (result.matched) (matched[result.type] ??= []).push(result.name);
  }
  return matched;
}

async function routeAuto(config: RuntimeConfig, request: ChatRequest, abort: AbortSignal): Promise<Routing> {
  const signals = await config.signals.evaluate(request.view, abort);
  const outcome = config.decisions.decide(signals);
  const ref = outcome === undefined ? undefined : selectModelRef(outcome.decision);
  // No decision, or one without candidates: the default model, reasoning off.
  const target = modelTarget(config, ref?.model ?? config.defaultModel);
  const reasoning: ReasoningChoice = {
    enabled: ref?.useReasoning ?? false,
    effort: ref?.reasoningEffort ?? config.defaultReasoningEffort,
  };
  return {
    target,
    reasoning,
    trace: {
      decision: outcome?.decision.name ?? null,
      model: target.name,
      reasoning: reasoning.enabled,
      blocked: false,
      signals: matchedSignals(signals),
      // Nothing backed a default fallback, so it reports no confidence.
      confidence: outcome?.confidence ?? 0,
    },
  };
}

function routeExplicit(target: ModelTarget): Routing {
  return {
    target,
    reasoning: undefined,
    trace: { decision: null, model: target.name, reasoning: false, blocked: false, signals: {}, confidence: 1 },
  };
}

function destination(endpoint: ModelEndpoint): string {
  const host = endpoint.host.includes(':') ? `[${endpoint.host}]` : endpoint.host;
  return `${host}:${endpoint.port}`;
}

function upstreamBody(request: ChatRequest, body: Buffer, routing: Routing): Buffer {
  // An explicit model is already the upstream name and reasoning is the client's: the
  // body goes on byte for byte.
  if (routing.reasoning === undefined) return body;
  const rewritten = applyReasoning({ ...request.json, model: routing.target.name }, routing.target.reasoningFamily, routing.reasoning);
  return Buffer.from(JSON.stringify(rewritten));
}

function routedRequest(
  config: RuntimeConfig,
  request: ChatRequest,
  body: Buffer,
  headers: ReadonlyMap<string, string>,
  routing: Routing,
  random: () => number,
): RoutedRequest {
  const { target, trace } = routing;
  const endpoint = pickEndpoint(target.endpoints, random);
  if (endpoint === undefined) throw new RouterError('SY_ERR_NO_ROUTE', `model "${target.name}" has no endpoints`);
  const upstream = upstreamBody(request, body, routing);
  const set: (readonly [string, string])[] = [
    ['content-length', String(upstream.length)],
    ['x-selected-model', target.name],
    [config.router.clusterHeader, endpoint.cluster],
    ['x-vsr-destination-endpoint', destination(endpoint)],
  ];
  // An endpoint's own key beats the model's; with neither, the client's authorization
  // header goes through untouched.
  const accessKey = endpoint.accessKey ?? target.accessKey;
  if (accessKey !== undefined) set.push(['authorization', `Bearer ${accessKey}`]);
  if (endpoint.pathPrefix !== '') set.push([':path', upstreamPath(endpoint.pathPrefix, headers.get(':path') ?? DEFAULT_CHAT_PATH)]);
  return {
    kind: 'routed',
    trace,
    body: upstream,
    requestHeaders: { set, remove: [] },
    responseHeaders: routingResponseHeaders(trace, routing.reasoning !== undefined),
    stream: request.stream,
  };
}

async function route(
  config: RuntimeConfig,
  body: Buffer,
  headers: ReadonlyMap<string, string>,
  abort: AbortSignal,
  random: () => number,
): Promise<RoutedRequest> {
  const limit = config.router.maxRequestBodyBytes;
  if (body.length > limit) {
    throw new RouterError('SY_ERR_REQUEST_TOO_LARGE', `request body is ${body.length} bytes, over the limit of ${limit} bytes`);
  }
  const request = parseChatRequest(body, headers);
  let routing: Routing;
  if (config.router.autoModelNames.has(request.model)) {
    routing = await routeAuto(config, request, abort);
  } else {
    const target = config.models.get(request.model);
    if (target === undefined) {
      throw new RouterError('SY_ERR_MODEL_NOT_FOUND', `The model '${request.model}' does not exist`, { param: 'model' });
    }
    routing = routeExplicit(target);
  }
  return routedRequest(config, request, body, headers, routing, random);
}

/**
 * Routes one chat completion: checks the body, runs signals and decisions for an auto
 * model (or takes the client's configured model as is) and returns the upstream body and
 * header mutations. Client and routing errors come back as an ImmediateReply; anything
 * else (a bug, an abort) is thrown for the transport to log and answer. `random` picks
 * among weighted endpoints, injectable for tests.
 */
export async function routeChatCompletion(
  config: RuntimeConfig,
  body: Buffer,
  headers: ReadonlyMap<string, string>,
  abort: AbortSignal,
  random: () => number = Math.random,
): Promise<RouteResult> {
  try {
    return await route(config, body, headers, abort, random);
  } catch (error) {
    if (error instanceof RouterError) return errorReply(error);
    throw error;
  }
}
