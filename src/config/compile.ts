import { compileObservability } from '../telemetry/observability-config.js';
import { createHash } from 'node:crypto';
import { compileSemanticCache } from '../cache/compile-semantic-cache.js';
import { compileDashboard } from '../dashboard/dashboard-settings.js';
import type { DecisionEngine, DecisionSpec } from '../decisions/decision.js';
import { createDecisionEngine } from '../decisions/engine.js';
import { compileSelection } from '../selection/compile-selection.js';
import { collectSignalIds, compileRule } from '../decisions/compile-rule.js';
import { createSignalPipeline, type SignalComposer } from '../signals/pipeline.js';
import { SIGNAL_PLUGINS } from '../signals/registry.js';
import type { SignalId, SignalPipeline, SignalTimeouts } from '../signals/signal.js';
import { clusterName } from './cluster-name.js';
import type { ConfigDocument, EnvoyDocument, ModelDocument, RouterDocument } from './config-document.js';
import type { ConfigProblem } from './config-problem.js';
import { deepFreeze } from './deep-freeze.js';
import { durationToMs } from './duration.js';
import { compileExtProcTls } from './extproc-tls.js';
import { parseEndpointAddress } from './endpoint-address.js';
import { resolveProviderSettings } from './provider-settings.js';
import { reasoningFamilyName } from './reasoning-family-inference.js';
import { normaliseRuleTree } from './rule-tree.js';
import { composerDocuments } from './signal-composers.js';
import { compileResponseApi } from '../apis/response-api-schema.js';
import type { ResponsesStoreSettings } from '../apis/responses-store.js';
import type { ConfigSourceSettings, EnvoySettings, ModelEndpoint, ModelTarget, ReasoningFamily, RouterSettings, RuntimeConfig } from './runtime-config.js';

/** Where a config came from: its path, its text (hashed into the version) and its folder. */
export interface ConfigSource {
  readonly path: string;
  readonly text: string;
  readonly configDir: string;
  /** Whether signals' `timeout_ms` apply (see `LoadConfigOptions.signalTimeouts`); enforced when absent. */
  readonly signalTimeouts?: SignalTimeouts;
}

/** A compiled config, or the problems that kept it from compiling. */
export interface CompileResult {
  readonly config?: RuntimeConfig;
  readonly problems: readonly ConfigProblem[];
}

function optionalResponseApi(settings: ResponsesStoreSettings | undefined): { responseApi?: ResponsesStoreSettings } {
  return settings === undefined ? {} : { responseApi: deepFreeze(settings) };
}

function compileModel(model: ModelDocument, families: ReadonlyMap<string, ReasoningFamily>): ModelTarget {
  const endpoints = model.endpoints.map((endpoint): ModelEndpoint => {
    const parsed = parseEndpointAddress(endpoint.endpoint, endpoint.protocol);
    if (!parsed.ok) throw new Error(`endpoint "${endpoint.name}" of model "${model.name}" was not checked: ${parsed.reason}`);
    return {
      name: endpoint.name,
      weight: endpoint.weight,
      protocol: endpoint.protocol,
      ...parsed.address,
      cluster: clusterName(model.name, endpoint.name),
      ...(endpoint.access_key === undefined ? {} : { accessKey: endpoint.access_key }),
    };
  });
  // A Claude model reasons when routing says so: the effort becomes a thinking budget in translation.
  const familyName = reasoningFamilyName(model) ?? (model.api_format === 'anthropic' ? 'claude' : undefined);
  const reasoningFamily = familyName === undefined ? undefined : families.get(familyName);
  return {
    name: model.name,
    endpoints,
    capabilities: model.capabilities,
    ...(model.access_key === undefined ? {} : { accessKey: model.access_key }),
    ...(reasoningFamily === undefined ? {} : { reasoningFamily }),
    ...(model.pricing === undefined
      ? {}
      : { pricing: { currency: model.pricing.currency, promptPer1M: model.pricing.prompt_per_1m, completionPer1M: model.pricing.completion_per_1m } }),
    ...(model.param_size === undefined ? {} : { paramSize: model.param_size }),
    ...(model.quality_score === undefined ? {} : { qualityScore: model.quality_score }),
    ...(model.description === undefined ? {} : { description: model.description }),
    ...(model.api_format === 'openai' ? {} : { apiFormat: model.api_format }),
  };
}

function compileDecisions(document: ConfigDocument): DecisionSpec[] {
  return document.decisions.map((decision, i) => ({
    name: decision.name,
    ...(decision.description === undefined ? {} : { description: decision.description }),
    priority: decision.priority,
    rule: normaliseRuleTree(decision.rules, ['decisions', i, 'rules'], `decision "${decision.name}"`).rule,
    modelRefs: decision.modelRefs.map((ref) => ({
      model: ref.model,
      useReasoning: ref.use_reasoning,
      ...(ref.reasoning_effort === undefined ? {} : { reasoningEffort: ref.reasoning_effort }),
      ...(ref.weight === undefined ? {} : { weight: ref.weight }),
    })),
    plugins: decision.plugins.map((plugin) => ({ type: plugin.type, configuration: plugin.configuration })),
  }));
}

/**
 * The composers of the signal rules some decision references, compiled, and every signal those
 * need: a composer's signals run even when no decision names them.
 */
function compileComposers(document: ConfigDocument, referenced: ReadonlySet<SignalId>): { composers: SignalComposer[]; referenced: Set<SignalId> } {
  const needed = new Set(referenced);
  const composers: SignalComposer[] = [];
  for (const composer of composerDocuments(document, SIGNAL_PLUGINS)) {
    const signalIds = composer.emittedNames.map((name): SignalId => `${composer.plugin.type}:${name}`);
    if (!signalIds.some((id) => referenced.has(id))) continue;
    const { rule } = normaliseRuleTree(composer.tree, composer.path, composer.owner);
    const holds = compileRule(rule);
    collectSignalIds(rule, needed);
    composers.push({ signalIds, holds: (signals) => holds(signals) !== undefined });
  }
  return { composers, referenced: needed };
}

function compileRouter(router: RouterDocument): RouterSettings {
  const [primary] = router.auto_model_names;
  if (primary === undefined) throw new Error('router.auto_model_names is empty although the schema requires an entry');
  return {
    autoModelNames: new Set(router.auto_model_names),
    primaryAutoModelName: primary,
    maxRequestBodyBytes: router.max_request_body_bytes,
    clusterHeader: router.cluster_header,
    logPrompts: router.log_prompts,
    drainTimeoutMs: durationToMs(router.drain_timeout),
  };
}

function compileEnvoy(envoy: EnvoyDocument, configDir: string): EnvoySettings {
  const mode = envoy.processing_mode;
  const extprocTls = compileExtProcTls(envoy.extproc_tls, configDir);
  return {
    extprocAddress: envoy.extproc_address,
    extprocPort: envoy.extproc_port,
    adminPort: envoy.admin_port,
    ...(extprocTls === undefined ? {} : { extprocTls }),
    processingMode: {
      requestHeaderMode: mode.request_header_mode,
      requestBodyMode: mode.request_body_mode,
      responseHeaderMode: mode.response_header_mode,
      responseBodyMode: mode.response_body_mode,
    },
    failureModeAllow: envoy.failure_mode_allow,
    allowModeOverride: envoy.allow_mode_override,
    messageTimeoutMs: durationToMs(envoy.message_timeout),
    maxMessageTimeoutMs: durationToMs(envoy.max_message_timeout),
    bufferLimitBytes: envoy.buffer_limit_bytes,
    routeCacheAction: envoy.route_cache_action,
    circuitBreakers: {
      maxConnections: envoy.circuit_breakers.max_connections,
      maxPendingRequests: envoy.circuit_breakers.max_pending_requests,
      maxRequests: envoy.circuit_breakers.max_requests,
    },
    downstream: {
      maxConnections: envoy.downstream.max_connections,
      maxRequestsPerConnection: envoy.downstream.max_requests_per_connection,
      requestHeadersTimeoutMs: durationToMs(envoy.downstream.request_headers_timeout),
      idleTimeoutMs: durationToMs(envoy.downstream.idle_timeout),
    },
  };
}

function buildFailure(path: readonly (string | number)[], error: unknown): ConfigProblem {
  return { path, at: 'key', code: 'SY_CFG_SIGNAL_BUILD', message: `signal rules could not be built: ${error instanceof Error ? error.message : String(error)}` };
}

/**
 * The pipeline reports only its first failure and not where it is, so on this (rare) path
 * each rule is built alone to point at every rule its plug-in rejects. A failure no single
 * rule reproduces is reported at the section that failed.
 */
async function locateSignalBuildFailures(document: ConfigDocument, referenced: ReadonlySet<SignalId>, configDir: string, error: unknown): Promise<ConfigProblem[]> {
  const problems: ConfigProblem[] = [];
  for (const [configKey, rules] of Object.entries(document.signals)) {
    const failures = await Promise.all(
      rules.map((rule, index) =>
        createSignalPipeline({ [configKey]: [rule] }, referenced, { configDir }).then(
          async (pipeline) => void (await pipeline.close?.()),
          (ruleError: unknown) => buildFailure(['signals', configKey, index], ruleError),
        ),
      ),
    );
    const ruleProblems = failures.filter((problem) => problem !== undefined);
    if (ruleProblems.length > 0) {
      problems.push(...ruleProblems);
      continue;
    }
    const sectionFailure = await createSignalPipeline({ [configKey]: rules }, referenced, { configDir }).then(
      async (pipeline) => void (await pipeline.close?.()),
      (sectionError: unknown) => buildFailure(['signals', configKey], sectionError),
    );
    if (sectionFailure !== undefined) problems.push(sectionFailure);
  }
  return problems.length > 0 ? problems : [buildFailure(['signals'], error)];
}

/** A content hash (the first 12 hex digits of the SHA-256): of the file it names a config version. */
function contentDigest(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 12);
}

function compileConfigSource(document: ConfigDocument): ConfigSourceSettings {
  if (document.config_source !== 'kubernetes') return { kind: 'file' };
  const settings = document.kubernetes;
  return { kind: 'kubernetes', routerName: settings?.router_name ?? 'router', ...(settings?.namespace !== undefined && { namespace: settings.namespace }) };
}

/**
 * Compiles a schema-valid, reference-checked config document (its plug-in configurations
 * checked and defaulted by `checkDecisionPlugins`) into the immutable
 * `RuntimeConfig`: endpoints parsed into clusters, durations into milliseconds, rule trees
 * into a decision engine, and the referenced signal rules into a signal pipeline. A plug-in
 * that rejects its rules becomes a problem, not an exception.
 */
export async function compileConfig(document: ConfigDocument, source: ConfigSource): Promise<CompileResult> {
  const settings = resolveProviderSettings(document);
  const firstModel = document.providers.models[0];
  if (firstModel === undefined) throw new Error('providers.models is empty although the schema requires an entry');
  const models = new Map(document.providers.models.map((model) => [model.name, compileModel(model, settings.reasoningFamilies)] as const));

  let decisions: DecisionEngine;
  try {
    decisions = createDecisionEngine(deepFreeze(compileDecisions(document)));
  } catch (error) {
    return { problems: [{ path: ['decisions'], at: 'key', code: 'SY_CFG_SCHEMA', message: `decisions could not be compiled: ${(error as Error).message}` }] };
  }
  const { composers, referenced } = compileComposers(document, decisions.referencedSignals);
  let signals: SignalPipeline;
  try {
    signals = await createSignalPipeline(document.signals, referenced, { configDir: source.configDir, timeouts: source.signalTimeouts ?? 'enforce' }, composers);
  } catch (error) {
    return { problems: await locateSignalBuildFailures(document, referenced, source.configDir, error) };
  }
  const selection = await compileSelection(document, models, source.configDir);
  if (selection.selection === undefined) {
    await signals.close?.();
    return { problems: selection.problems };
  }
  const selector = selection.selection;
  await signals.warmUp();

  const config: RuntimeConfig = {
    version: contentDigest(source.text),
    sourcePath: source.path,
    sectionDigests: Object.freeze(Object.fromEntries(Object.entries(document).map(([section, value]) => [section, contentDigest(JSON.stringify(value))]))),
    listeners: deepFreeze(
      document.listeners.map((listener) => ({ name: listener.name, address: listener.address, port: listener.port, timeoutMs: durationToMs(listener.timeout) })),
    ),
    models: deepFreeze(models),
    // Without a default_model the first configured model is the fallback.
    defaultModel: settings.defaultModel?.name ?? firstModel.name,
    defaultReasoningEffort: settings.defaultReasoningEffort,
    router: deepFreeze(compileRouter(document.router)),
    envoy: deepFreeze(compileEnvoy(document.envoy, source.configDir)),
    configSource: deepFreeze(compileConfigSource(document)),
    signals,
    decisions,
    semanticCache: deepFreeze(compileSemanticCache(document)),
    ...optionalResponseApi(compileResponseApi(document.response_api)),
    dashboard: deepFreeze(compileDashboard(document.dashboard)),
    observability: deepFreeze(compileObservability(document.observability)),
    selection: selector,
    // Releases the model leases of the signal pipeline and the selection state; what another config still uses stays.
    close: async () => {
      await signals.close?.();
      await selector.close();
    },
  };
  return { config: Object.freeze(config), problems: selection.problems };
}
