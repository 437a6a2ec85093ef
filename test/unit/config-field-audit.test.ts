import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { isMap, isScalar, LineCounter, parseDocument, type Document } from 'yaml';
import { formatDiagnostic, type Diagnostic } from '../../src/config/diagnostic.js';
import { loadConfigFile, loadConfigText } from '../../src/config/load.js';
import type { RuntimeConfig } from '../../src/config/runtime-config.js';
import { CONFIG_SCHEMA } from '../../src/config/schema.js';
import { REPO_ROOT } from '../helpers/config-fixture.js';
import { configFieldPaths, RULE_TREE_PREFIX } from '../helpers/schema-fields.js';

/**
 * The config field audit: every field the schema accepts has a verdict here, and the verdict is
 * checked against the fixture that sets every field. A field added to the schema (or to a signal
 * or plug-in schema) without a verdict fails this test, so nothing is accepted silently.
 *
 * - `compiled`: the compiled RuntimeConfig holds the fixture's value where the router reads it.
 * - `actedOn`: a signal or plug-in acts on it; `test` is the test that shows the effect and must name `mentions`.
 * - `warned`: loading reports SY_CFG_UNSUPPORTED at the key (each of `at`), saying what is ignored.
 * - `noEffect`: has no effect by design (documentation, a format marker); the reason says why.
 * - `issue17`: owned by issue 17 (selection algorithms); the current behaviour, stated.
 */
type Verdict =
  | { readonly compiled: (config: RuntimeConfig) => unknown; readonly value: unknown }
  | { readonly actedOn: { readonly test: string; readonly mentions: string } }
  | { readonly warned: readonly (readonly (string | number)[])[]; readonly says: string }
  | { readonly noEffect: string }
  | { readonly issue17: string; readonly compiled?: (config: RuntimeConfig) => unknown; readonly value?: unknown };

const FIXTURE = path.join(REPO_ROOT, 'test', 'fixtures', 'configs', 'every-field.yaml');

const model = (config: RuntimeConfig, name = 'local-model') => config.models.get(name)!;
const decision = (config: RuntimeConfig, name: string) => config.decisions.decisions.find((d) => d.name === name)!;
const cache = (config: RuntimeConfig) => config.semanticCache!;
const acted = (test: string, mentions: string): Verdict => ({ actedOn: { test, mentions } });
const DOCUMENTATION = 'documentation for readers of the file, like a comment';
const SIGNAL_POLICY = 'test/integration/semantic-signals.test.ts';
const EXTPROC_TLS = 'test/integration/extproc-tls.test.ts';
const BEHAVIOUR = 'test/unit/config-field-behaviour.test.ts';

const AUDIT: Readonly<Record<string, Verdict>> = {
  version: { noEffect: 'format marker; v0.1 and v0.2 are read as written, any other value gets an SY_CFG_UNSUPPORTED warning (tested below)' },

  'listeners[].name': { compiled: (c) => c.listeners[0]!.name, value: 'audit-listener' },
  'listeners[].address': { compiled: (c) => c.listeners[0]!.address, value: '127.0.0.2' },
  'listeners[].port': { compiled: (c) => c.listeners[0]!.port, value: 18899 },
  'listeners[].timeout': { compiled: (c) => c.listeners[0]!.timeoutMs, value: 45_000 },

  'providers.models[].name': { compiled: (c) => [...c.models.keys()], value: ['local-model', 'cloud-model'] },
  'providers.models[].endpoints[].name': { compiled: (c) => model(c).endpoints[0]!.cluster, value: 'local-model__primary' },
  'providers.models[].endpoints[].weight': { compiled: (c) => model(c).endpoints[0]!.weight, value: 3 },
  'providers.models[].endpoints[].endpoint': { compiled: (c) => [model(c).endpoints[0]!.host, model(c).endpoints[0]!.port, model(c).endpoints[0]!.pathPrefix], value: ['local.example', 8000, '/v1'] },
  'providers.models[].endpoints[].protocol': { compiled: (c) => model(c, 'cloud-model').endpoints[0]!.protocol, value: 'https' },
  'providers.models[].endpoints[].access_key': { compiled: (c) => model(c).endpoints[0]!.accessKey, value: 'endpoint-key' },
  'providers.models[].access_key': { compiled: (c) => model(c).accessKey, value: 'model-key' },
  'providers.models[].reasoning_family': { compiled: (c) => model(c).reasoningFamily, value: { name: 'thinker', type: 'chat_template_kwargs', parameter: 'enable_thinking' } },
  'providers.models[].pricing.currency': { compiled: (c) => model(c).pricing?.currency, value: 'EUR' },
  'providers.models[].pricing.prompt_per_1m': { compiled: (c) => model(c).pricing?.promptPer1M, value: 0.5 },
  'providers.models[].pricing.completion_per_1m': { compiled: (c) => model(c).pricing?.completionPer1M, value: 1.5 },
  // Issue 17: model metadata that only selection algorithms read (param_size: confidence ordering,
  // capabilities and description: RouterDC, quality_score: AutoMix). Compiled into the model today.
  'providers.models[].param_size': { issue17: 'compiled for selection algorithms', compiled: (c) => model(c).paramSize, value: '7b' },
  'providers.models[].capabilities[]': { issue17: 'compiled for selection algorithms', compiled: (c) => model(c).capabilities, value: ['coding'] },
  'providers.models[].quality_score': { issue17: 'compiled for selection algorithms', compiled: (c) => model(c).qualityScore, value: 0.7 },
  'providers.models[].description': { issue17: 'compiled for selection algorithms', compiled: (c) => model(c).description, value: 'a small local model' },
  'providers.default_model': { compiled: (c) => c.defaultModel, value: 'cloud-model' },
  'providers.default_reasoning_effort': { compiled: (c) => c.defaultReasoningEffort, value: 'low' },
  'providers.reasoning_families.*.type': { compiled: (c) => model(c).reasoningFamily?.type, value: 'chat_template_kwargs' },
  'providers.reasoning_families.*.parameter': { compiled: (c) => model(c).reasoningFamily?.parameter, value: 'enable_thinking' },
  // Athena's top-level spellings of the same three settings; a disagreement with `providers` is an error.
  default_model: { compiled: (c) => c.defaultModel, value: 'cloud-model' },
  default_reasoning_effort: { compiled: (c) => c.defaultReasoningEffort, value: 'low' },
  'reasoning_families.*.type': { compiled: (c) => model(c).reasoningFamily?.type, value: 'chat_template_kwargs' },
  'reasoning_families.*.parameter': { compiled: (c) => model(c).reasoningFamily?.parameter, value: 'enable_thinking' },

  'signals.keywords[].timeout_ms': acted(SIGNAL_POLICY, 'timeout_ms'),
  'signals.keywords[].on_error': acted(SIGNAL_POLICY, 'on_error'),
  'signals.context[].timeout_ms': acted(SIGNAL_POLICY, 'timeout_ms'),
  'signals.context[].on_error': acted(SIGNAL_POLICY, 'on_error'),
  'signals.jailbreak[].timeout_ms': acted(SIGNAL_POLICY, 'timeout_ms'),
  'signals.jailbreak[].on_error': acted(SIGNAL_POLICY, 'on_error'),
  'signals.pii[].timeout_ms': acted(SIGNAL_POLICY, 'timeout_ms'),
  'signals.pii[].on_error': acted(SIGNAL_POLICY, 'on_error'),
  'signals.language[].timeout_ms': acted(SIGNAL_POLICY, 'timeout_ms'),
  'signals.language[].on_error': acted(SIGNAL_POLICY, 'on_error'),
  'signals.keywords[].name': acted('test/unit/signals-keyword.test.ts', 'name'),
  'signals.keywords[].operator': acted('test/unit/signals-keyword.test.ts', 'NOR'),
  'signals.keywords[].keywords[]': acted('test/unit/signals-keyword.test.ts', 'keywords'),
  'signals.keywords[].case_sensitive': acted('test/unit/signals-keyword.test.ts', 'case_sensitive'),
  'signals.context[].name': acted('test/unit/signals-context.test.ts', 'name'),
  'signals.context[].min_tokens': acted('test/unit/signals-context.test.ts', 'min_tokens'),
  'signals.context[].max_tokens': acted('test/unit/signals-context.test.ts', 'max_tokens'),
  'signals.embeddings[].name': acted('test/unit/signals-embedding.test.ts', 'name'),
  'signals.embeddings[].description': { noEffect: DOCUMENTATION },
  'signals.embeddings[].candidates[]': acted('test/unit/signals-embedding.test.ts', 'candidates'),
  'signals.embeddings[].threshold': acted('test/unit/signals-embedding.test.ts', 'threshold'),
  'signals.embeddings[].aggregation_method': acted('test/unit/signals-embedding.test.ts', 'aggregation_method'),
  'signals.embeddings[].model_path': acted('test/unit/signals-embedding.test.ts', 'model_path'),
  'signals.embeddings[].timeout_ms': acted(SIGNAL_POLICY, 'timeout_ms'),
  'signals.embeddings[].on_error': acted(SIGNAL_POLICY, 'on_error'),
  'signals.domains[].name': acted('test/unit/signals-domain.test.ts', 'name'),
  'signals.domains[].description': { noEffect: DOCUMENTATION },
  'signals.domains[].mmlu_categories[]': acted('test/unit/signals-domain.test.ts', 'mmlu_categories'),
  'signals.domains[].threshold': acted('test/unit/signals-domain.test.ts', 'threshold'),
  'signals.domains[].model_path': acted('test/unit/signals-domain.test.ts', 'model_path'),
  'signals.domains[].timeout_ms': acted(SIGNAL_POLICY, 'timeout_ms'),
  'signals.domains[].on_error': acted(SIGNAL_POLICY, 'on_error'),
  'signals.complexity[].name': acted('test/unit/signals-complexity.test.ts', 'name'),
  'signals.complexity[].description': { noEffect: DOCUMENTATION },
  'signals.complexity[].threshold': acted('test/unit/signals-complexity.test.ts', 'threshold'),
  'signals.complexity[].hard.candidates[]': acted('test/unit/signals-complexity.test.ts', 'hard'),
  'signals.complexity[].easy.candidates[]': acted('test/unit/signals-complexity.test.ts', 'easy'),
  'signals.complexity[].hard.image_candidates[]': { warned: [['signals', 'complexity', 0, 'hard', 'image_candidates']], says: 'are not scored' },
  'signals.complexity[].easy.image_candidates[]': { warned: [['signals', 'complexity', 0, 'easy', 'image_candidates']], says: 'are not scored' },
  'signals.complexity[].composer': acted('test/unit/signals-complexity-composer.test.ts', 'composer'),
  'signals.complexity[].model_path': acted(BEHAVIOUR, 'complexity model_path'),
  'signals.complexity[].timeout_ms': acted(SIGNAL_POLICY, 'timeout_ms'),
  'signals.complexity[].on_error': acted(SIGNAL_POLICY, 'on_error'),
  'signals.difficulty[].name': acted('test/unit/signals-difficulty.test.ts', 'name'),
  'signals.difficulty[].description': { noEffect: DOCUMENTATION },
  'signals.difficulty[].threshold': acted('test/unit/signals-difficulty.test.ts', 'threshold'),
  'signals.difficulty[].model_path': acted('test/unit/signals-difficulty.test.ts', 'model_path'),
  'signals.difficulty[].timeout_ms': acted('test/unit/signals-difficulty.test.ts', 'timeout_ms'),
  'signals.difficulty[].on_error': acted(SIGNAL_POLICY, 'on_error'),
  'signals.jailbreak[].name': acted(BEHAVIOUR, "name: 'history'"),
  'signals.jailbreak[].description': { noEffect: DOCUMENTATION },
  'signals.jailbreak[].method': acted(BEHAVIOUR, 'contrastive'),
  'signals.jailbreak[].threshold': acted(BEHAVIOUR, 'jailbreak threshold'),
  'signals.jailbreak[].include_history': acted(BEHAVIOUR, 'include_history'),
  'signals.jailbreak[].jailbreak_patterns[]': acted(BEHAVIOUR, 'jailbreak_patterns'),
  'signals.jailbreak[].benign_patterns[]': acted(BEHAVIOUR, 'benign_patterns'),
  'signals.jailbreak[].model_path': acted(BEHAVIOUR, 'jailbreak model_path'),
  'signals.pii[].name': acted('test/unit/signals-pii.test.ts', 'name'),
  'signals.pii[].description': { noEffect: DOCUMENTATION },
  'signals.pii[].threshold': acted('test/unit/signals-pii.test.ts', 'threshold'),
  'signals.pii[].pii_types_allowed[]': acted('test/unit/signals-pii.test.ts', 'pii_types_allowed'),
  'signals.pii[].include_history': acted(BEHAVIOUR, 'pii include_history'),
  'signals.language[].name': acted('test/integration/safety-gateway.test.ts', 'routes by language'),
  'signals.language[].description': { noEffect: DOCUMENTATION },
  'signals.role_bindings[].name': { noEffect: "names the binding in diagnostics; decisions name the binding's role, as in Athena" },
  'signals.role_bindings[].role': acted('test/integration/safety-gateway.test.ts', 'role'),
  'signals.role_bindings[].description': { noEffect: DOCUMENTATION },
  'signals.role_bindings[].subjects[].kind': acted(BEHAVIOUR, 'Group'),
  'signals.role_bindings[].subjects[].name': acted(BEHAVIOUR, 'subjects'),
  'signals.role_bindings[].user_id_header': acted(BEHAVIOUR, 'user_id_header'),
  'signals.role_bindings[].user_groups_header': acted(BEHAVIOUR, 'user_groups_header'),

  'decisions[].name': { compiled: (c) => c.decisions.decisions.map((d) => d.name), value: ['blocked', 'french', 'main'] },
  'decisions[].description': { noEffect: DOCUMENTATION },
  'decisions[].priority': { compiled: (c) => c.decisions.decisions.map((d) => d.priority), value: [300, 200, 100] },
  'decisions[].rules': {
    compiled: (c) => [...c.decisions.referencedSignals].sort(),
    value: ['authz:admin', 'complexity:cx:hard', 'context:mid_context', 'difficulty:nontrivial', 'domain:math', 'embedding:emb', 'jailbreak:jb_classifier', 'jailbreak:jb_contrastive', 'keyword:kw', 'language:fr', 'pii:pii_rule'],
  },
  [`${RULE_TREE_PREFIX}.operator`]: acted('test/unit/decisions-engine.test.ts', 'NOT'),
  [`${RULE_TREE_PREFIX}.conditions[]`]: acted('test/unit/decisions-engine.test.ts', 'AND'),
  [`${RULE_TREE_PREFIX}.type`]: acted('test/unit/decisions-engine.test.ts', 'keyword'),
  [`${RULE_TREE_PREFIX}.name`]: acted('test/unit/decisions-engine.test.ts', 'name'),
  'decisions[].modelRefs[].model': { compiled: (c) => decision(c, 'main').modelRefs[0]!.model, value: 'local-model' },
  'decisions[].modelRefs[].use_reasoning': { compiled: (c) => decision(c, 'main').modelRefs[0]!.useReasoning, value: true },
  'decisions[].modelRefs[].reasoning_effort': { compiled: (c) => decision(c, 'main').modelRefs[0]!.reasoningEffort, value: 'high' },
  // Issue 17 (selection) owns these two: their validation and their effect.
  'decisions[].modelRefs[].weight': { warned: [['decisions', 2, 'modelRefs', 0, 'weight']], says: 'acts only with algorithm types "weighted" and "remom"' },
  // The whole `algorithm` block (type and every per-algorithm setting) is audited by issue 17's selection tests.
  'decisions[].algorithm': { issue17: 'validated and compiled by src/selection (issue 17); its own tests audit each algorithm setting' },
  model_selection: { issue17: 'global selection settings, compiled by src/selection (issue 17)' },
  looper: { issue17: 'multi-model looper settings, compiled by src/selection (issue 17)' },
  'decisions[].plugins[].type': { compiled: (c) => c.decisions.decisions.flatMap((d) => d.plugins.map((p) => p.type)), value: ['block', 'fast_response', 'pii', 'system_prompt', 'header_mutation', 'semantic-cache'] },
  'decisions[].plugins[block].configuration.reason': acted(BEHAVIOUR, 'audit block'),
  'decisions[].plugins[fast_response].configuration.message': acted(BEHAVIOUR, 'Bonjour'),
  'decisions[].plugins[pii].configuration.action': acted(BEHAVIOUR, 'action'),
  'decisions[].plugins[pii].configuration.pii_types_allowed[]': acted(BEHAVIOUR, 'pii_types_allowed'),
  'decisions[].plugins[pii].configuration.threshold': acted(BEHAVIOUR, 'pii plug-in threshold'),
  'decisions[].plugins[pii].configuration.enabled': acted(BEHAVIOUR, 'pii plug-in enabled'),
  'decisions[].plugins[system_prompt].configuration.system_prompt': acted(BEHAVIOUR, 'system_prompt'),
  'decisions[].plugins[system_prompt].configuration.mode': acted(BEHAVIOUR, 'mode replace'),
  'decisions[].plugins[system_prompt].configuration.enabled': acted(BEHAVIOUR, 'system_prompt plug-in enabled'),
  'decisions[].plugins[header_mutation].configuration.add[].name': acted(BEHAVIOUR, 'header_mutation'),
  'decisions[].plugins[header_mutation].configuration.add[].value': acted(BEHAVIOUR, 'header_mutation'),
  'decisions[].plugins[header_mutation].configuration.update[].name': acted(BEHAVIOUR, 'update'),
  'decisions[].plugins[header_mutation].configuration.update[].value': acted(BEHAVIOUR, 'update'),
  'decisions[].plugins[header_mutation].configuration.delete[]': acted(BEHAVIOUR, 'delete'),
  'decisions[].plugins[semantic-cache].configuration.enabled': acted('test/e2e/cache-global-switch.test.ts', 'enabled: false'),
  'decisions[].plugins[semantic-cache].configuration.similarity_threshold': acted('test/e2e/cache-global-switch.test.ts', 'similarity_threshold'),
  'decisions[].plugins[semantic-cache].configuration.ttl_seconds': acted('test/e2e/cache-lifecycle.test.ts', 'ttl_seconds'),

  'router.auto_model_names[]': { compiled: (c) => [...c.router.autoModelNames], value: ['router-auto'] },
  'router.max_request_body_bytes': { compiled: (c) => c.router.maxRequestBodyBytes, value: 2_048_000 },
  'router.cluster_header': { compiled: (c) => c.router.clusterHeader, value: 'x-audit-cluster' },
  'router.log_prompts': { compiled: (c) => c.router.logPrompts, value: true },
  'router.drain_timeout': { compiled: (c) => c.router.drainTimeoutMs, value: 45_000 },

  // serve follows these (test/e2e/kubernetes-config-swap.test.ts); the namespace default is tested there too.
  config_source: { compiled: (c) => c.configSource?.kind, value: 'kubernetes' },
  'kubernetes.namespace': { compiled: (c) => (c.configSource?.kind === 'kubernetes' ? c.configSource.namespace : undefined), value: 'audit-ns' },
  'kubernetes.router_name': { compiled: (c) => (c.configSource?.kind === 'kubernetes' ? c.configSource.routerName : undefined), value: 'audit-router' },

  'envoy.extproc_address': { compiled: (c) => c.envoy.extprocAddress, value: '127.0.0.3' },
  'envoy.extproc_port': { compiled: (c) => c.envoy.extprocPort, value: 50061 },
  'envoy.admin_port': { compiled: (c) => c.envoy.adminPort, value: 9911 },
  'envoy.failure_mode_allow': acted('test/e2e/sidecar-failure.test.ts', 'failure_mode_allow: true'),
  'envoy.extproc_tls.server.cert_file': acted(EXTPROC_TLS, 'cert_file'),
  'envoy.extproc_tls.server.key_file': acted(EXTPROC_TLS, 'key_file'),
  'envoy.extproc_tls.server.client_ca_file': acted(EXTPROC_TLS, 'client_ca_file'),
  'envoy.extproc_tls.server.require_client_cert': acted('test/unit/config-extproc-tls.test.ts', 'require_client_cert'),
  'envoy.extproc_tls.client.ca_file': acted(EXTPROC_TLS, 'ca_file'),
  'envoy.extproc_tls.client.cert_file': acted(EXTPROC_TLS, 'cert_file'),
  'envoy.extproc_tls.client.key_file': acted(EXTPROC_TLS, 'key_file'),
  'envoy.extproc_tls.client.server_name': acted(EXTPROC_TLS, 'server_name'),
  'envoy.circuit_breakers.max_connections': { compiled: (c) => c.envoy.circuitBreakers.maxConnections, value: 11 },
  'envoy.circuit_breakers.max_pending_requests': { compiled: (c) => c.envoy.circuitBreakers.maxPendingRequests, value: 12 },
  'envoy.circuit_breakers.max_requests': { compiled: (c) => c.envoy.circuitBreakers.maxRequests, value: 13 },
  'envoy.downstream.max_connections': { compiled: (c) => c.envoy.downstream?.maxConnections, value: 21 },
  'envoy.downstream.max_requests_per_connection': { compiled: (c) => c.envoy.downstream?.maxRequestsPerConnection, value: 22 },
  'envoy.downstream.request_headers_timeout': { compiled: (c) => c.envoy.downstream?.requestHeadersTimeoutMs, value: 23_000 },
  'envoy.downstream.idle_timeout': { compiled: (c) => c.envoy.downstream?.idleTimeoutMs, value: 24_000 },
  'envoy.allow_mode_override': { compiled: (c) => c.envoy.allowModeOverride, value: false },
  'envoy.message_timeout': { compiled: (c) => c.envoy.messageTimeoutMs, value: 3000 },
  'envoy.max_message_timeout': { compiled: (c) => c.envoy.maxMessageTimeoutMs, value: 40_000 },
  'envoy.buffer_limit_bytes': { compiled: (c) => c.envoy.bufferLimitBytes, value: 2_048_000 },
  'envoy.route_cache_action': { compiled: (c) => c.envoy.routeCacheAction, value: 'RETAIN' },
  'envoy.processing_mode.request_header_mode': { compiled: (c) => c.envoy.processingMode.requestHeaderMode, value: 'SKIP' },
  'envoy.processing_mode.request_body_mode': { compiled: (c) => c.envoy.processingMode.requestBodyMode, value: 'STREAMED' },
  'envoy.processing_mode.response_header_mode': { compiled: (c) => c.envoy.processingMode.responseHeaderMode, value: 'SKIP' },
  'envoy.processing_mode.response_body_mode': { compiled: (c) => c.envoy.processingMode.responseBodyMode, value: 'BUFFERED' },

  'providers.models[].api_format': { compiled: (c) => model(c).apiFormat, value: 'openai_responses' },
  'response_api.enabled': { compiled: (c) => c.responseApi !== undefined, value: true },
  'response_api.store_backend': { compiled: (c) => c.responseApi?.backend, value: 'redis' },
  'response_api.ttl_seconds': { compiled: (c) => c.responseApi?.ttlSeconds, value: 3600 },
  'response_api.max_responses': { compiled: (c) => c.responseApi?.maxResponses, value: 50 },
  'response_api.redis.url': { compiled: (c) => c.responseApi?.redis.url, value: 'redis://responses.example:6382/4' },
  'response_api.redis.key_prefix': { compiled: (c) => c.responseApi?.redis.keyPrefix, value: 'audit-responses:' },
  'response_api.redis.address': { warned: [['response_api', 'redis', 'address']], says: 'redis.url is set' },
  'response_api.redis.password': { warned: [['response_api', 'redis', 'password']], says: 'redis.url is set' },
  'response_api.redis.db': { warned: [['response_api', 'redis', 'db']], says: 'redis.url is set' },
  'semantic_cache.enabled': { compiled: (c) => cache(c).enabled, value: true },
  'observability.accounting': { compiled: (c) => c.observability!.accounting, value: false },
  'observability.cost_baseline_model': { compiled: (c) => c.observability!.costBaselineModel, value: 'local-model' },
  'observability.metrics.otlp_endpoint': { compiled: (c) => c.observability!.metricsOtlpEndpoint, value: 'http://collector.example:4318/v1/metrics' },
  'observability.metrics.export_interval': { compiled: (c) => c.observability!.metricsExportIntervalMs, value: 30000 },
  'observability.tracing.enabled': { compiled: (c) => c.observability!.tracing !== undefined, value: true },
  'observability.tracing.exporter.endpoint': { compiled: (c) => c.observability!.tracing?.endpoint, value: 'http://collector.example:4318/v1/traces' },
  'observability.tracing.sampling.type': { compiled: (c) => c.observability!.tracing?.sampleRatio, value: 0.25 },
  'observability.tracing.sampling.rate': { compiled: (c) => c.observability!.tracing?.sampleRatio, value: 0.25 },
  'observability.tracing.resource.service_name': { compiled: (c) => c.observability!.tracing?.serviceName, value: 'switchyard-audit' },
  'semantic_cache.backend_type': { compiled: (c) => cache(c).backendType, value: 'redis' },
  'semantic_cache.similarity_threshold': { compiled: (c) => cache(c).similarityThreshold, value: 0.85 },
  'semantic_cache.ttl_seconds': { compiled: (c) => cache(c).ttlSeconds, value: 600 },
  'semantic_cache.max_entries': { compiled: (c) => cache(c).maxEntries, value: 500 },
  'semantic_cache.eviction_policy': { compiled: (c) => cache(c).evictionPolicy, value: 'lfu' },
  'semantic_cache.coalesce_timeout': { compiled: (c) => cache(c).coalesceTimeoutMs, value: 5000 },
  'semantic_cache.redis.url': { compiled: (c) => cache(c).redis.url, value: 'redis://cache.example:6381/3' },
  'semantic_cache.redis.key_prefix': { compiled: (c) => cache(c).redis.keyPrefix, value: 'audit:' },
  // Without `url` these three build the URL (test/unit/cache-config.test.ts); beside it they are ignored.
  'semantic_cache.redis.address': { warned: [['semantic_cache', 'redis', 'address']], says: 'redis.url is set' },
  'semantic_cache.redis.password': { warned: [['semantic_cache', 'redis', 'password']], says: 'redis.url is set' },
  'semantic_cache.redis.db': { warned: [['semantic_cache', 'redis', 'db']], says: 'redis.url is set' },
  'semantic_cache.hnsw_m': { compiled: (c) => cache(c).hnsw.m, value: 12 },
  'semantic_cache.hnsw_ef_construction': { compiled: (c) => cache(c).hnsw.efConstruction, value: 150 },
  'semantic_cache.hnsw_ef_search': { compiled: (c) => cache(c).hnsw.efSearch, value: 48 },
  // Without the flat hnsw_* keys these are the index settings (test/unit/cache-config.test.ts); beside them they are ignored.
  'semantic_cache.hnsw.m': { warned: [['semantic_cache', 'hnsw', 'm']], says: 'hnsw_m is set and wins' },
  'semantic_cache.hnsw.ef_construction': { warned: [['semantic_cache', 'hnsw', 'ef_construction']], says: 'hnsw_ef_construction is set and wins' },
  'semantic_cache.hnsw.ef_search': { warned: [['semantic_cache', 'hnsw', 'ef_search']], says: 'hnsw_ef_search is set and wins' },

  // The web dashboard (issue 18); its effects are driven in test/e2e/dashboard-browser.test.ts and test/unit/dashboard-*.test.ts.
  'dashboard.enabled': { compiled: (c) => c.dashboard?.enabled, value: false },
  'dashboard.token': { compiled: (c) => c.dashboard?.token, value: 'audit-dashboard-token' },
  'dashboard.show_prompts': { compiled: (c) => c.dashboard?.showPrompts, value: true },
  'dashboard.show_access_keys': { compiled: (c) => c.dashboard?.showAccessKeys, value: true },
  'dashboard.replay.capacity': { compiled: (c) => c.dashboard?.replay.capacity, value: 250 },
  'dashboard.replay.store': { compiled: (c) => c.dashboard?.replay.store, value: 'redis' },
  'dashboard.replay.redis.url': { compiled: (c) => c.dashboard?.replay.redisUrl, value: 'redis://replay.example:6382/4' },
  'dashboard.replay.redis.key': { compiled: (c) => c.dashboard?.replay.redisKey, value: 'audit:requests' },
};

/** The schema-style paths (`a[].b`, `map.*.c`, `plugins[type]`, `<rule>.x`) of every leaf the fixture sets. */
function fixturePaths(data: unknown, leaves: ReadonlySet<string>): Set<string> {
  const paths = new Set<string>();
  const visit = (value: unknown, at: string, parentKey: string): void => {
    // A field the schema takes whole (an `algorithm` object) is one field however deep it is.
    if (leaves.has(at) && parentKey !== 'rules' && parentKey !== 'composer') {
      paths.add(at);
      return;
    }
    if (Array.isArray(value)) {
      if (value.length === 0 || value.every((item) => typeof item !== 'object')) paths.add(`${at}[]`);
      value.forEach((item) => {
        if (at.endsWith('plugins') && typeof item === 'object' && item !== null) {
          const plugin = item as { type: string; configuration: unknown };
          paths.add(`${at}[].type`);
          visit(plugin.configuration, `${at}[${plugin.type}].configuration`, 'configuration');
        } else if (typeof item === 'object' && item !== null) {
          visit(item, `${at}[]`, parentKey);
        }
      });
      return;
    }
    if (typeof value !== 'object' || value === null) {
      paths.add(at);
      return;
    }
    if (parentKey === 'rules' || parentKey === 'composer' || at.startsWith(RULE_TREE_PREFIX)) {
      if (!at.startsWith(RULE_TREE_PREFIX)) paths.add(at);
      for (const [key, child] of Object.entries(value)) {
        if (key === 'conditions') {
          paths.add(`${RULE_TREE_PREFIX}.conditions[]`);
          for (const node of child as unknown[]) visit(node, RULE_TREE_PREFIX, 'rules');
        } else paths.add(`${RULE_TREE_PREFIX}.${key}`);
      }
      return;
    }
    for (const [key, child] of Object.entries(value)) {
      const name = parentKey === 'reasoning_families' ? '*' : key;
      visit(child, at === '' ? name : `${at}.${name}`, key);
    }
  };
  visit(data, '', '');
  return paths;
}

function keyPosition(document: Document, text: string, at: readonly (string | number)[]): string {
  let node: unknown = document.contents;
  let offset = 0;
  for (const segment of at) {
    if (isMap(node)) {
      const pair = node.items.find((item) => isScalar(item.key) && item.key.value === segment)!;
      offset = (pair.key as { range: [number] }).range[0];
      node = pair.value;
    } else {
      node = (node as { items: unknown[] }).items[segment as number];
    }
  }
  const lines = new LineCounter();
  lines.addNewLine(0);
  for (let index = text.indexOf('\n'); index !== -1; index = text.indexOf('\n', index + 1)) lines.addNewLine(index + 1);
  const { line, col } = lines.linePos(offset);
  return `${line}:${col}`;
}

/** Blocks issue 17 (selection) owns and audits with its own tests; each counts here as one field. */
const SELECTION_BLOCKS = ['decisions[].algorithm', 'model_selection', 'looper'];

/** Every schema field, each selection block as one field. */
function auditedFields(): string[] {
  const block = (field: string) => SELECTION_BLOCKS.find((prefix) => field === prefix || field.startsWith(`${prefix}.`)) ?? field;
  return [...new Set(configFieldPaths(CONFIG_SCHEMA).map(block))].sort();
}

describe('config field audit', () => {
  let config: RuntimeConfig;
  let diagnostics: readonly Diagnostic[];
  const text = readFileSync(FIXTURE, 'utf8');
  const document = parseDocument(text);

  beforeAll(async () => {
    const loaded = await loadConfigFile(FIXTURE, { env: {} });
    diagnostics = loaded.diagnostics;
    if (loaded.config === undefined) throw new Error(`the every-field fixture must load:\n${loaded.diagnostics.map(formatDiagnostic).join('\n')}`);
    config = loaded.config;
  });

  afterAll(async () => {
    await config?.close();
  });

  it('has a verdict for every field of the schema, signal rules and plug-in configurations included, and no other', () => {
    expect(Object.keys(AUDIT).sort()).toEqual(auditedFields());
  });

  it('has a fixture that sets every field', () => {
    // The global selection blocks are issue 17's to exercise; the fixture leaves them at their defaults.
    const global = new Set(['model_selection', 'looper']);
    expect([...fixturePaths(document.toJS(), new Set(auditedFields()))].sort()).toEqual(auditedFields().filter((field) => !global.has(field)));
  });

  it('compiles every field whose verdict says so to the value the fixture gives it', () => {
    const compiled = Object.entries(AUDIT).flatMap(([field, verdict]) => ('compiled' in verdict && verdict.compiled !== undefined ? [[field, verdict] as const] : []));
    for (const [field, verdict] of compiled) expect({ field, value: verdict.compiled!(config) }).toEqual({ field, value: verdict.value });
  });

  it('warns SY_CFG_UNSUPPORTED at the key of every field that is accepted and ignored, and warns about nothing else', () => {
    const expected = Object.values(AUDIT).flatMap((verdict) => ('warned' in verdict ? verdict.warned.map((at) => ({ position: keyPosition(document, text, at), says: verdict.says })) : []));
    const warnings = diagnostics.filter((diagnostic) => diagnostic.severity === 'warning');
    expect(diagnostics.filter((diagnostic) => diagnostic.severity === 'error')).toEqual([]);
    expect(warnings.map((warning) => warning.code)).toEqual(warnings.map(() => 'SY_CFG_UNSUPPORTED'));
    expect(warnings.map((warning) => `${warning.line}:${warning.col}`).sort()).toEqual(expected.map((entry) => entry.position).sort());
    for (const entry of expected) expect(warnings.find((warning) => `${warning.line}:${warning.col}` === entry.position)?.message).toContain(entry.says);
  });

  it('names a test that shows the effect of every field a signal or plug-in acts on', () => {
    for (const [field, verdict] of Object.entries(AUDIT)) {
      if (!('actedOn' in verdict)) continue;
      const file = path.join(REPO_ROOT, verdict.actedOn.test);
      expect({ field, exists: existsSync(file) }).toEqual({ field, exists: true });
      expect({ field, mentioned: readFileSync(file, 'utf8').includes(verdict.actedOn.mentions) }).toEqual({ field, mentioned: true });
    }
  });

  it('warns about a format version it does not know, at the version', async () => {
    const { config: loaded, diagnostics: found } = await loadConfigText('version: "v9"\nproviders:\n  models: [{name: m, endpoints: [{name: e, endpoint: "h:1"}]}]\n', 'v.yaml', { env: {} });
    await loaded?.close();
    expect(found.map((d) => `${d.line}:${d.col} ${d.severity} ${d.code}`)).toEqual(['1:10 warning SY_CFG_UNSUPPORTED']);
    expect(found[0]?.message).toContain('"v9"');
  });

  // Athena fields Switchyard does not have are refused where they stand, never dropped silently.
  it.each([
    ['a LoRA on a modelRef', ['decisions', 2, 'modelRefs', 0], 'lora_name', 'math-lora'],
    ['a decision strategy', [], 'strategy', 'confidence'],
    ['a cache embedding model', ['semantic_cache'], 'embedding_model', 'bert'],
    ['a BM25 keyword method', ['signals', 'keywords', 0], 'method', 'bm25'],
  ])('refuses %s with an error at its key', async (_what, parent, key, value) => {
    const edited = parseDocument(text);
    edited.setIn([...parent, key], value);
    const editedText = edited.toString();
    const { config: loaded, diagnostics: found } = await loadConfigText(editedText, 'athena.yaml', { env: {}, configDir: path.dirname(FIXTURE) });
    await loaded?.close();
    expect(loaded).toBeUndefined();
    const errors = found.filter((d) => d.severity === 'error');
    expect(errors.map((d) => `${d.line}:${d.col} ${d.code}`)).toEqual([`${keyPosition(parseDocument(editedText), editedText, [...parent, key])} SY_CFG_SCHEMA`]);
    expect(errors[0]?.message).toContain(`unknown key "${key}"`);
  });
});
