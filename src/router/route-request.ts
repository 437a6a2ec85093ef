import { stage, stageSync, type StageSpan } from '../telemetry/stage-span.js';
import type { ModelEndpoint, ModelTarget, RuntimeConfig } from '../config/runtime-config.js';
import type { DecisionOutcome, ModelRef } from '../decisions/decision.js';
import { RouterError } from '../errors.js';
import type { PluginEffect } from '../plugins/decision-plugin.js';
import { decisionPlugins } from '../plugins/decision-plugins.js';
import { MISSING_IDENTITY } from '../signals/authz.js';
import { runLooper, type LooperCache } from '../selection/looper/run-looper.js';
import type { SignalSet } from '../signals/signal.js';
import { parseChatRequest, type ChatRequest } from './chat-request.js';
import { errorReply } from './error-reply.js';
import { OFF_LOOP_JSON_BYTES, stringifyJsonOffLoop } from './json-worker.js';
import { pickEndpoint } from './pick-endpoint.js';
import { applyReasoning, reasoningApplied, type ReasoningChoice } from './reasoning.js';
import type { ImmediateReply, RouteResult, RoutedRequest, RoutingTrace, SemanticCachePolicy, SignalFailure } from './route-result.js';
import { routingResponseHeaders } from './routing-headers.js';
import { selectModelRef } from './select-model-ref.js';
import { clientAskedForUsage, withIncludeUsage } from '../telemetry/upstream-usage-request.js';
import { DEFAULT_CHAT_PATH, upstreamPath } from './upstream-path.js';

/** Where a request goes and why, before the body and headers are rewritten. */
interface Routing {
  readonly target: ModelTarget;
  readonly trace: RoutingTrace;
  /** Undefined when the client named the model: the router leaves reasoning alone. */
  readonly reasoning: ReasoningChoice | undefined;
  /** The winning decision, whose plug-ins apply; for a named model only when some decision has plug-ins. */
  readonly outcome: DecisionOutcome | undefined;
}

function modelTarget(config: RuntimeConfig, name: string): ModelTarget {
  const target = config.models.get(name);
  // The config loader checks model references, so this only fires on an inconsistent config.
  if (target === undefined) throw new RouterError('SY_ERR_NO_ROUTE', `routing chose model "${name}", which is not configured`);
  return target;
}

/**
 * Matched rule names per signal type (in evaluation order; types without a match are left out),
 * and the rules that failed, so the transport edge can log and count them.
 */
function summarizeSignals(signals: SignalSet): Pick<RoutingTrace, 'signals' | 'signalErrors' | 'piiTypes'> {
  const matched: Record<string, string[]> = {};
  const failures: SignalFailure[] = [];
  let piiTypes: Record<string, readonly string[]> | undefined;
  for (const result of signals.values()) {
    if (result.matched) (matched[result.type] ??= []).push(result.name);
    if (result.matched && result.type === 'pii' && result.entityTypes !== undefined) (piiTypes ??= {})[result.name] = result.entityTypes;
    if (result.error !== undefined && result.error !== MISSING_IDENTITY) failures.push({ signal: `${result.type}:${result.name}`, error: result.error });
  }
  return { signals: matched, ...(failures.length === 0 ? {} : { signalErrors: failures }), ...(piiTypes === undefined ? {} : { piiTypes }) };
}

/** An authz binding could not tell who is asking: the request is refused rather than routed as anyone. */
function checkIdentity(signals: SignalSet): void {
  for (const result of signals.values()) {
    if (result.type === 'authz' && result.error === MISSING_IDENTITY) {
      throw new RouterError('SY_ERR_FORBIDDEN', 'role bindings are configured but the request carries no user identity headers');
    }
  }
}

async function decide(config: RuntimeConfig, request: ChatRequest, abort: AbortSignal, stages: StageSpan | undefined): Promise<{ signals: SignalSet; outcome: DecisionOutcome | undefined }> {
  const signals = await stage(stages, 'signals', {}, (signalStage) => config.signals.evaluate(request.view, abort, signalStage));
  checkIdentity(signals);
  return { signals, outcome: stageSync(stages, 'decision', {}, () => config.decisions.decide(signals)) };
}

/**
 * The reasoning a chosen modelRef gets. A model without a reasoning family cannot be told to reason:
 * the request goes out as is, and the trace (and so x-vsr-selected-reasoning) says what was applied,
 * not what was asked.
 */
function reasoningFor(config: RuntimeConfig, ref: ModelRef | undefined, target: ModelTarget): ReasoningChoice {
  return { enabled: (ref?.useReasoning ?? false) && target.reasoningFamily !== undefined, effort: ref?.reasoningEffort ?? config.defaultReasoningEffort };
}

async function routeAuto(config: RuntimeConfig, request: ChatRequest, abort: AbortSignal, random: () => number, stages: StageSpan | undefined): Promise<Routing> {
  const { signals, outcome } = await decide(config, request, abort, stages);
  const { ref, selection } = outcome === undefined ? { ref: undefined, selection: undefined } : await stage(stages, 'model_selection', { 'switchyard.decision': outcome.decision.name }, () => selectModelRef(config, outcome.decision, request, signals, random));
  // No decision, or one without candidates: the default model, reasoning off.
  const target = modelTarget(config, ref?.model ?? config.defaultModel);
  const reasoning = reasoningFor(config, ref, target);
  return {
    target,
    reasoning,
    outcome,
    trace: {
      decision: outcome?.decision.name ?? null,
      model: target.name,
      reasoning: reasoning.enabled,
      reasoningEffort: reasoning.effort,
      blocked: false,
      ...summarizeSignals(signals),
      // Nothing backed a default fallback, so it reports no confidence.
      confidence: outcome?.confidence ?? 0,
      ...(selection === undefined ? {} : { selection }),
    },
  };
}

/**
 * A named model keeps its model, but as in Athena the decisions still run when some decision has
 * plug-ins, so a safety decision (block, redact) cannot be sidestepped by naming the model.
 */
async function routeExplicit(config: RuntimeConfig, request: ChatRequest, target: ModelTarget, abort: AbortSignal, stages: StageSpan | undefined): Promise<Routing> {
  const trace: RoutingTrace = { decision: null, model: target.name, reasoning: false, blocked: false, signals: {}, confidence: 1 };
  if (!config.decisions.decisions.some((decision) => decision.plugins.length > 0)) return { target, reasoning: undefined, outcome: undefined, trace };
  const { signals, outcome } = await decide(config, request, abort, stages);
  return { target, reasoning: undefined, outcome, trace: { ...trace, ...summarizeSignals(signals) } };
}

/** The winning decision's plug-ins in order: an answer from one of them ends the request. */
async function applyPlugins(request: ChatRequest, routing: Routing, stages: StageSpan | undefined): Promise<ImmediateReply | PluginEffect[]> {
  const decision = routing.outcome?.decision;
  if (decision === undefined) return [];
  const effects: PluginEffect[] = [];
  for (const [index, plugin] of decisionPlugins(decision).entries()) {
    const type = decision.plugins[index]?.type ?? 'unknown';
    const effect = await stage(stages, 'plugin', { 'switchyard.plugin.type': type }, async () => plugin.apply({ decision: decision.name, request, trace: routing.trace }));
    if (effect.reply !== undefined) return effect.reply;
    effects.push(effect);
  }
  return effects;
}

function destination(endpoint: ModelEndpoint): string {
  const host = endpoint.host.includes(':') ? `[${endpoint.host}]` : endpoint.host;
  return `${host}:${endpoint.port}`;
}

async function upstreamBody(request: ChatRequest, body: Buffer, routing: Routing, effects: readonly PluginEffect[]): Promise<Buffer> {
  const jsonEdits = effects.flatMap((effect) => (effect.editJson === undefined ? [] : [effect.editJson]));
  let upstream = body;
  // An explicit model is already the upstream name and reasoning is the client's: without
  // plug-in message edits the body goes on byte for byte.
  if (routing.reasoning !== undefined || jsonEdits.length > 0) {
    let json: Record<string, unknown> = { ...request.json };
    if (routing.reasoning !== undefined) json = applyReasoning({ ...json, model: routing.target.name }, routing.target.reasoningFamily, routing.reasoning);
    for (const edit of jsonEdits) json = edit(json);
    upstream = body.length > OFF_LOOP_JSON_BYTES ? await stringifyJsonOffLoop(json) : Buffer.from(JSON.stringify(json));
    if (request.longStrings !== undefined) upstream = await request.longStrings.splice(upstream);
  }
  for (const effect of effects) if (effect.editBody !== undefined) upstream = await effect.editBody(upstream);
  return upstream;
}

/**
 * The cache policy of a request: the global section, with the winning decision's `semantic-cache`
 * plug-in (if any) merged over it. None when the cache is off globally or for the decision.
 */
function cachePolicy(config: RuntimeConfig, effects: readonly PluginEffect[]): SemanticCachePolicy | undefined {
  const global = config.semanticCache;
  if (global === undefined || !global.enabled) return undefined;
  const override = effects.findLast((effect) => effect.cache !== undefined)?.cache;
  if (override?.enabled === false) return undefined;
  return { similarityThreshold: override?.similarityThreshold ?? global.similarityThreshold, ttlSeconds: override?.ttlSeconds ?? global.ttlSeconds };
}

function endpointOf(target: ModelTarget, random: () => number): ModelEndpoint {
  const endpoint = pickEndpoint(target.endpoints, random);
  if (endpoint === undefined) throw new RouterError('SY_ERR_NO_ROUTE', `model "${target.name}" has no endpoints`);
  return endpoint;
}

async function routedRequest(
  config: RuntimeConfig,
  request: ChatRequest,
  body: Buffer,
  headers: ReadonlyMap<string, string>,
  routing: Routing,
  effects: readonly PluginEffect[],
  endpoint: ModelEndpoint,
): Promise<RoutedRequest> {
  const { target } = routing;
  const applied = routing.reasoning === undefined ? undefined : reasoningApplied(target.reasoningFamily, routing.reasoning);
  const trace = applied === undefined ? routing.trace : { ...routing.trace, reasoningApplied: applied };
  const edited = await upstreamBody(request, body, routing, effects);
  // Cost accounting needs the upstream's usage; a streaming client that did not ask for it gets it removed again.
  const includeUsageAdded = request.stream && config.observability?.accounting === true && !clientAskedForUsage(request.json);
  const upstream = includeUsageAdded ? await withIncludeUsage(edited, request.json) : edited;
  // Plug-in header changes come first so that the router's own routing headers always win.
  const set: (readonly [string, string])[] = [
    ...effects.flatMap((effect) => effect.setHeaders ?? []),
    ['content-length', String(upstream.length)],
    ['x-selected-model', target.name],
    [config.router.clusterHeader, endpoint.cluster],
    ['x-vsr-destination-endpoint', destination(endpoint)],
  ];
  // An endpoint's own key beats the model's; with neither, the client's authorization
  // header goes through untouched.
  const accessKey = endpoint.accessKey ?? target.accessKey;
  if (accessKey !== undefined) set.push(['authorization', `Bearer ${accessKey}`]);
  const clientPath = headers.get(':path') ?? DEFAULT_CHAT_PATH;
  const path = upstreamPath(endpoint.pathPrefix, clientPath);
  if (path !== clientPath) set.push([':path', path]);
  const cache = cachePolicy(config, effects);
  return {
    kind: 'routed',
    trace,
    body: upstream,
    requestHeaders: { set, remove: effects.flatMap((effect) => effect.removeHeaders ?? []) },
    responseHeaders: [...routingResponseHeaders(trace, routing.reasoning !== undefined), ...effects.flatMap((effect) => effect.responseHeaders ?? [])],
    stream: request.stream,
    ...(includeUsageAdded ? { includeUsageAdded } : {}),
    ...(cache === undefined ? {} : { cache }),
    ...(config.router.logPrompts ? { prompt: request.view.lastUserText } : {}),
  };
}

/** How far routing may go besides deciding. */
export interface RouteOptions {
  /**
   * Let a decision's looper (confidence cascade) call its models; off for `route` and `eval`, which
   * call no upstream: the request is then routed to the looper's first model, its plan in the trace.
   */
  readonly callUpstreams?: boolean;
  /** The semantic cache, asked before a looper calls any model (see {@link LooperCache}). */
  readonly looperCache?: LooperCache;
  /** The request's trace stage that routing's stages (signals, decision, selection, plug-ins) hang under; absent: untimed. */
  readonly stages?: StageSpan;
}

async function route(
  config: RuntimeConfig,
  body: Buffer,
  headers: ReadonlyMap<string, string>,
  abort: AbortSignal,
  random: () => number,
  options: RouteOptions,
): Promise<RoutedRequest | ImmediateReply> {
  const limit = config.router.maxRequestBodyBytes;
  if (body.length > limit) {
    throw new RouterError('SY_ERR_REQUEST_TOO_LARGE', `request body is ${body.length} bytes, over the limit of ${limit} bytes`);
  }
  const request = await parseChatRequest(body, headers);
  let routing: Routing;
  if (config.router.autoModelNames.has(request.model)) {
    routing = await routeAuto(config, request, abort, random, options.stages);
  } else {
    const target = config.models.get(request.model);
    if (target === undefined) {
      throw new RouterError('SY_ERR_MODEL_NOT_FOUND', `The model '${request.model}' does not exist`, { param: 'model' });
    }
    routing = await routeExplicit(config, request, target, abort, options.stages);
  }
  const effects = await applyPlugins(request, routing, options.stages);
  if (!Array.isArray(effects)) return effects;
  // Only an auto-routed request loops (a named model has no reasoning decided for it).
  const decision = routing.reasoning === undefined ? undefined : routing.outcome?.decision;
  const compiled = decision === undefined ? undefined : config.selection?.forDecision(decision.name);
  if (compiled?.selector.looper !== undefined && options.callUpstreams !== false) {
    return runLooper({
      decision: compiled.decision,
      algorithm: compiled.algorithm,
      looper: compiled.selector.looper,
      candidates: compiled.candidates,
      settings: config.selection!.looper,
      request,
      clientHeaders: headers,
      abort,
      ...(options.looperCache === undefined ? {} : { cache: options.looperCache }),
      async prepare(candidate, selection, edit) {
        const { ref, target } = compiled.candidates[candidate]!;
        const reasoning = reasoningFor(config, ref, target);
        const trace = { ...routing.trace, model: target.name, reasoning: reasoning.enabled, reasoningEffort: reasoning.effort, selection };
        const endpoint = endpointOf(target, random);
        const withEdit = edit === undefined ? effects : [...effects, { editJson: edit }];
        return { endpoint, routed: await routedRequest(config, request, body, headers, { ...routing, target, reasoning, trace }, withEdit, endpoint) };
      },
    });
  }
  return routedRequest(config, request, body, headers, routing, effects, endpointOf(routing.target, random));
}

/**
 * Routes one chat completion: checks the body, runs signals and decisions for an auto
 * model (or takes the client's configured model as is) and returns the upstream body and
 * header mutations. Client and routing errors come back as an ImmediateReply; anything
 * else (a bug, an abort) is thrown for the transport to log and answer. `random` picks
 * among weighted endpoints and feeds randomised selectors, injectable for tests.
 */
export async function routeChatCompletion(
  config: RuntimeConfig,
  body: Buffer,
  headers: ReadonlyMap<string, string>,
  abort: AbortSignal,
  random: () => number = Math.random,
  options: RouteOptions = {},
): Promise<RouteResult> {
  try {
    return await route(config, body, headers, abort, random, options);
  } catch (error) {
    if (error instanceof RouterError) return errorReply(error);
    throw error;
  }
}
