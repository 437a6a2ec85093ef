import type { Attributes, Counter, Histogram, Meter } from '@opentelemetry/api';
import { ExportResultCode } from '@opentelemetry/core';
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { PrometheusExporter, PrometheusSerializer } from '@opentelemetry/exporter-prometheus';
import { MeterProvider, PeriodicExportingMetricReader, type PushMetricExporter, type ResourceMetrics } from '@opentelemetry/sdk-metrics';
import type { Registry } from 'prom-client';
import type { ExportFailures } from './export-failures.js';
import { PromClientMetricProducer } from './prom-client-bridge.js';
import type { MetricsExposition } from './metrics.js';
import type { RequestLogEntry, RequestRecordSink } from './request-log.js';
import type { StageTiming } from './stage-span.js';

/** Options of {@link OtelRequestMetrics}. */
export interface OtelMetricsOptions {
  /** OTLP/HTTP metrics endpoint (`…/v1/metrics`); only the Prometheus text on `/metrics` without it. */
  readonly otlpEndpoint?: string;
  readonly exportIntervalMs?: number;
  readonly failures: ExportFailures;
  /** prom-client registries whose families the OTLP export carries too (`/metrics` serves them itself). */
  readonly promClientRegistries?: () => readonly Registry[];
}

const SECONDS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];
const ROUTING_SECONDS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1];
const CONFIDENCE = [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1];
const TOKENS = [0, 16, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384];
// The GenAI semantic conventions' advised bucket boundaries.
const GEN_AI_TOKENS = [1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864];
const GEN_AI_DURATION = [0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92];
const GEN_AI_TTFT = [0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];

/** An OTLP exporter whose failures are counted and logged at most once a minute, never thrown. */
function reportingExporter(inner: PushMetricExporter, failures: ExportFailures): PushMetricExporter {
  return {
    export: (metrics: ResourceMetrics, done) =>
      inner.export(metrics, (result) => {
        if (result.code !== ExportResultCode.SUCCESS) failures.failed('metrics', result.error ?? 'export failed');
        done(result);
      }),
    forceFlush: () => inner.forceFlush(),
    shutdown: () => inner.shutdown(),
    ...(inner.selectAggregationTemporality === undefined ? {} : { selectAggregationTemporality: inner.selectAggregationTemporality.bind(inner) }),
  };
}

/** A model's GenAI semconv attributes: the operation's, and those of its input and output token counts. */
interface GenAiAttributes {
  readonly operation: Attributes;
  readonly input: Attributes;
  readonly output: Attributes;
}

function genAiAttributesOf(model: string): GenAiAttributes {
  const operation = { 'gen_ai.operation.name': 'chat', 'gen_ai.provider.name': 'openai', 'gen_ai.request.model': model, 'gen_ai.response.model': model };
  return { operation, input: { ...operation, 'gen_ai.token.type': 'input' }, output: { ...operation, 'gen_ai.token.type': 'output' } };
}

/**
 * Per-request metrics on the OpenTelemetry SDK, fed by each request's record: Athena's names
 * (`llm_model_requests_total`, token and cost counters, TTFT/TPOT/completion latency, routing
 * latency, decision and reasoning counts, errors by reason) so Athena's dashboards keep
 * working, Switchyard's savings, and the GenAI semantic-convention instruments. Served as
 * Prometheus text on the admin `/metrics` and pushed over OTLP/HTTP when an endpoint is set.
 * Labels are configured names and fixed reasons only (model, decision, currency, reason): no
 * per-user or per-prompt label, so cardinality is bounded by the config.
 */
export class OtelRequestMetrics implements RequestRecordSink, MetricsExposition {
  readonly contentType = 'text/plain; version=0.0.4; charset=utf-8';
  private readonly provider: MeterProvider;
  private readonly prometheus: PrometheusExporter;
  private readonly serializer = new PrometheusSerializer(undefined, false, undefined, true, true);
  private readonly requests: Counter;
  private readonly errors: Counter;
  private readonly cost: Counter;
  private readonly baselineCost: Counter;
  private readonly saved: Counter;
  private readonly keptLocal: Counter;
  private readonly tokens: Counter;
  private readonly promptTokens: Counter;
  private readonly completionTokens: Counter;
  private readonly promptTokensPerRequest: Histogram;
  private readonly completionTokensPerRequest: Histogram;
  private readonly completionLatency: Histogram;
  private readonly ttft: Histogram;
  private readonly tpot: Histogram;
  private readonly routingLatency: Histogram;
  private readonly decisionMatches: Counter;
  private readonly decisionConfidence: Histogram;
  private readonly reasoningDecisions: Counter;
  private readonly reasoningTemplateUsage: Counter;
  private readonly reasoningEffortUsage: Counter;
  private readonly signalExtractions: Counter;
  private readonly signalLatency: Histogram;
  private readonly signalMatches: Counter;
  private readonly decisionEvaluations: Counter;
  private readonly decisionLatency: Histogram;
  private readonly pluginExecutions: Counter;
  private readonly pluginErrors: Counter;
  private readonly pluginLatency: Histogram;
  private readonly cacheOperationLatency: Histogram;
  private readonly piiViolations: Counter;
  private readonly jailbreakDetections: Counter;
  private readonly genAiTokens: Histogram;
  private readonly genAiDuration: Histogram;
  private readonly genAiTtft: Histogram;
  /** The GenAI attribute sets of each model, made once: the model names are the config's. */
  private readonly genAiAttributes = new Map<string, GenAiAttributes>();

  constructor(options: OtelMetricsOptions) {
    this.prometheus = new PrometheusExporter({ preventServerStart: true });
    const exportIntervalMs = options.exportIntervalMs ?? 15_000;
    // An export may not outlast its interval (the SDK refuses that); 5 s at most.
    const exportTimeoutMs = Math.min(5000, exportIntervalMs);
    const readers = [
      this.prometheus,
      ...(options.otlpEndpoint === undefined
        ? []
        : [
            new PeriodicExportingMetricReader({
              exporter: reportingExporter(new OTLPMetricExporter({ url: options.otlpEndpoint, timeoutMillis: exportTimeoutMs }), options.failures),
              exportIntervalMillis: exportIntervalMs,
              exportTimeoutMillis: exportTimeoutMs,
              ...(options.promClientRegistries === undefined ? {} : { metricProducers: [new PromClientMetricProducer(options.promClientRegistries)] }),
            }),
          ]),
    ];
    this.provider = new MeterProvider({ readers });
    const meter: Meter = this.provider.getMeter('switchyard');
    const counter = (name: string, description: string, unit?: string): Counter => meter.createCounter(name, { description, ...(unit === undefined ? {} : { unit }) });
    const histogram = (name: string, description: string, unit: string, boundaries: number[]): Histogram =>
      meter.createHistogram(name, { description, unit, advice: { explicitBucketBoundaries: boundaries } });
    this.requests = counter('llm_model_requests', 'Chat requests by model, decision and response path (upstream, cache, fast_response, blocked, error).');
    this.errors = counter('llm_request_errors', 'Requests that ended in an error or a block, by model and reason.');
    this.cost = counter('llm_model_cost', 'What upstream tokens cost at the routed model\'s pricing, by model, decision and currency.');
    this.baselineCost = counter('switchyard_cost_baseline', 'What the same requests would have cost at the baseline model (observability.cost_baseline_model).');
    this.saved = counter('switchyard_cost_saved', 'Baseline cost minus cost: what routing, the cache, fast responses and blocks saved.');
    this.keptLocal = counter('switchyard_requests_kept_local', 'Requests answered at no upstream cost (a free local model, the cache, a fast response or a block), by decision.');
    this.tokens = counter('llm_model_tokens', 'Upstream tokens (prompt + completion) by model; estimated="true" when counted from text.');
    this.promptTokens = counter('llm_model_prompt_tokens', 'Upstream prompt tokens by model.');
    this.completionTokens = counter('llm_model_completion_tokens', 'Upstream completion tokens by model.');
    this.promptTokensPerRequest = histogram('llm_prompt_tokens_per_request', 'Prompt tokens of one upstream request.', '', TOKENS);
    this.completionTokensPerRequest = histogram('llm_completion_tokens_per_request', 'Completion tokens of one upstream request.', '', TOKENS);
    this.completionLatency = histogram('llm_model_completion_latency_seconds', 'From the request reaching the router to the end of the answer, by model.', '', SECONDS);
    this.ttft = histogram('llm_model_ttft_seconds', 'From the routed request leaving the sidecar to the first answer text, by model.', '', SECONDS);
    this.tpot = histogram('llm_model_tpot_seconds', 'Time per output token after the first, by model.', '', SECONDS);
    this.routingLatency = histogram('llm_model_routing_latency_seconds', 'Signals, decision and rewrite of one request.', '', ROUTING_SECONDS);
    this.decisionMatches = counter('llm_decision_match', 'Requests each decision won ("none": no decision matched).');
    this.decisionConfidence = histogram('llm_decision_confidence', 'How sure the winning decision was (0..1), by decision (Athena\'s name, label and buckets).', '', CONFIDENCE);
    this.reasoningDecisions = counter('llm_reasoning_decisions', 'Routed requests by decision, model, whether reasoning was switched on, and the effort routing chose (asked for when on; "none" for a named model).');
    this.reasoningTemplateUsage = counter('llm_reasoning_template_usage', 'Upstream requests the router switched reasoning on for, by reasoning family and the parameter it wrote.');
    this.reasoningEffortUsage = counter('llm_reasoning_effort_usage', 'Reasoning efforts the router wrote upstream, by reasoning family (reasoning_effort families only).');
    this.signalExtractions = counter('llm_signal_extraction', 'Signal evaluations by signal type.');
    this.signalLatency = histogram('llm_signal_extraction_latency_seconds', 'Time to evaluate the rules of one signal type for one request.', '', ROUTING_SECONDS);
    this.signalMatches = counter('llm_signal_match', 'Signal rules that matched, by signal type and configured rule name.');
    this.decisionEvaluations = counter('llm_decision_evaluation', 'Decision evaluations (all decisions\' rule trees against one request\'s signals).');
    this.decisionLatency = histogram('llm_decision_evaluation_latency_seconds', 'Time to evaluate the decisions for one request.', '', ROUTING_SECONDS);
    this.pluginExecutions = counter('llm_plugin_execution', 'Decision plug-in runs by plug-in type.');
    this.pluginErrors = counter('llm_plugin_execution_errors', 'Decision plug-in runs that threw, by plug-in type.');
    this.pluginLatency = histogram('llm_plugin_execution_latency_seconds', 'Time one decision plug-in took, by plug-in type.', '', ROUTING_SECONDS);
    this.cacheOperationLatency = histogram('llm_cache_operation_duration_seconds', 'Semantic cache lookup and write time, by operation.', '', ROUTING_SECONDS);
    this.piiViolations = counter('llm_pii_violations', 'PII rule matches, one per denied PII type, by model and pii_type (Athena\'s labels), rule name and what became of the request (response_path).');
    this.jailbreakDetections = counter('switchyard_jailbreak_detections', 'Requests a jailbreak rule matched, by model, rule name and what became of the request (response_path).');
    this.genAiTokens = histogram('gen_ai.client.token.usage', 'GenAI semconv: tokens used per operation, by gen_ai.token.type.', '{token}', GEN_AI_TOKENS);
    this.genAiDuration = histogram('gen_ai.client.operation.duration', 'GenAI semconv: duration of the chat operation as the router saw it.', 's', GEN_AI_DURATION);
    this.genAiTtft = histogram('gen_ai.server.time_to_first_token', 'GenAI semconv: time to the first output token.', 's', GEN_AI_TTFT);
    meter
      .createObservableCounter('switchyard_telemetry_export_failures', { description: 'OTLP exports that failed (collector down or refusing); requests are never affected.' })
      .addCallback((result) => {
        result.observe(options.failures.total('metrics'), { signal: 'metrics' });
        result.observe(options.failures.total('traces'), { signal: 'traces' });
      });
  }

  /** Per-stage latency from the timings the routing already took for its trace stages. */
  recordStages(stages: readonly StageTiming[]): void {
    for (const { name, attributes, seconds, failed } of stages) {
      switch (name) {
        case 'signal': {
          const labels = { signal_type: String(attributes['switchyard.signal.type'] ?? 'unknown') };
          this.signalExtractions.add(1, labels);
          this.signalLatency.record(seconds, labels);
          break;
        }
        case 'decision':
          this.decisionEvaluations.add(1);
          this.decisionLatency.record(seconds);
          break;
        case 'plugin': {
          const labels = { plugin_type: String(attributes['switchyard.plugin.type'] ?? 'unknown') };
          this.pluginExecutions.add(1, labels);
          this.pluginLatency.record(seconds, labels);
          if (failed) this.pluginErrors.add(1, labels);
          break;
        }
        case 'cache.lookup':
        case 'cache.write':
          this.cacheOperationLatency.record(seconds, { operation: name === 'cache.lookup' ? 'lookup' : 'write' });
          break;
      }
    }
  }

  record(entry: RequestLogEntry): void {
    if (entry.responsePath === undefined) return;
    const model = entry.model ?? 'none';
    const decision = entry.decision ?? 'none';
    for (const [signalType, names] of Object.entries(entry.signals ?? {})) {
      for (const name of names) {
        this.signalMatches.add(1, { signal_type: signalType, signal_name: name });
        if (signalType === 'pii') {
          // One count per denied type, as Athena counts; the types are the detector's fixed set.
          for (const piiType of entry.piiTypes?.[name] ?? ['unknown']) this.piiViolations.add(1, { model, signal_name: name, pii_type: piiType, response_path: entry.responsePath });
        }
        if (signalType === 'jailbreak') this.jailbreakDetections.add(1, { model, signal_name: name, response_path: entry.responsePath });
      }
    }
    this.requests.add(1, { model, decision, response_path: entry.responsePath });
    this.decisionMatches.add(1, { decision_name: decision });
    if (entry.confidence !== undefined) this.decisionConfidence.record(entry.confidence, { decision_name: decision });
    if (entry.routingMs !== null) this.routingLatency.record(entry.routingMs / 1000, { model });
    if (entry.reasoning !== null && entry.responsePath !== 'error') this.reasoningDecisions.add(1, { decision, model, enabled: String(entry.reasoning), effort: entry.reasoningEffort ?? 'none' });
    // A cache hit was routed (and its body rewritten) but never sent: its template went nowhere.
    const applied = entry.responsePath === 'cache' ? undefined : entry.reasoningApplied;
    if (applied !== undefined) {
      this.reasoningTemplateUsage.add(1, { family: applied.family, param: applied.parameter });
      if (applied.effort !== undefined) this.reasoningEffortUsage.add(1, { family: applied.family, effort: applied.effort });
    }
    if (entry.reason !== null && entry.reason !== undefined) this.errors.add(1, { model, reason: entry.reason });
    let genAiAttributes = this.genAiAttributes.get(model);
    if (genAiAttributes === undefined) this.genAiAttributes.set(model, (genAiAttributes = genAiAttributesOf(model)));
    const genAi = genAiAttributes.operation;
    if (entry.latencyMs !== null) {
      const seconds = entry.latencyMs / 1000;
      if (entry.responsePath === 'upstream') this.completionLatency.record(seconds, { model });
      this.genAiDuration.record(seconds, entry.responsePath === 'error' ? { ...genAi, 'error.type': entry.reason ?? 'error' } : genAi);
    }
    const currency = entry.currency ?? 'USD';
    if (entry.cost !== null && entry.cost !== undefined) this.cost.add(entry.cost, { model, decision, currency });
    if (entry.baselineCost !== null && entry.baselineCost !== undefined) this.baselineCost.add(entry.baselineCost, { decision, currency });
    if (entry.saved !== null && entry.saved !== undefined) this.saved.add(entry.saved, { model, decision, currency });
    if (entry.responsePath !== 'error' && entry.cost === 0) this.keptLocal.add(1, { decision });
    if (entry.responsePath !== 'upstream' || entry.promptTokens == null || entry.completionTokens == null) return;
    const estimated = String(entry.tokensEstimated === true);
    this.tokens.add(entry.promptTokens + entry.completionTokens, { model, estimated });
    this.promptTokens.add(entry.promptTokens, { model, estimated });
    this.completionTokens.add(entry.completionTokens, { model, estimated });
    this.promptTokensPerRequest.record(entry.promptTokens, { model });
    this.completionTokensPerRequest.record(entry.completionTokens, { model });
    this.genAiTokens.record(entry.promptTokens, genAiAttributes.input);
    this.genAiTokens.record(entry.completionTokens, genAiAttributes.output);
    if (entry.ttftMs != null) {
      this.ttft.record(entry.ttftMs / 1000, { model });
      this.genAiTtft.record(entry.ttftMs / 1000, genAi);
    }
    if (entry.tpotMs != null) this.tpot.record(entry.tpotMs / 1000, { model });
  }

  async render(): Promise<string> {
    const { resourceMetrics } = await this.prometheus.collect();
    return this.serializer.serialize(resourceMetrics);
  }

  /** Pushes what is pending to OTLP and stops the readers. */
  async close(): Promise<void> {
    await this.provider.shutdown().catch(() => undefined);
  }
}
