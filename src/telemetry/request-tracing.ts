import { performance } from 'node:perf_hooks';
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Context, type Span, type TextMapGetter, type TextMapSetter, type Tracer } from '@opentelemetry/api';
import { ExportResultCode, W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor, ParentBasedSampler, TraceIdRatioBasedSampler, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import type { ExportFailures } from './export-failures.js';
import type { RequestLogEntry } from './request-log.js';
import type { StageAttributes, StageSpan, StageTiming } from './stage-span.js';

/** Options of {@link RequestTracer}. */
export interface RequestTracerOptions {
  /** OTLP/HTTP traces endpoint (`…/v1/traces`). */
  readonly endpoint: string;
  /** Share of new traces kept (a sampled parent's `traceparent` decides for its children). */
  readonly sampleRatio: number;
  readonly serviceName: string;
  readonly failures: ExportFailures;
  /** How long spans wait to be batched; short in tests. */
  readonly scheduledDelayMs?: number;
}

const HEADER_GETTER: TextMapGetter<ReadonlyMap<string, string>> = {
  keys: (carrier) => [...carrier.keys()],
  get: (carrier, key) => carrier.get(key.toLowerCase()),
};

const propagator = new W3CTraceContextPropagator();
const CARRIER_SETTER: TextMapSetter<Record<string, string>> = { set: (target, key, value) => (target[key] = value) };

class OtelStageSpan implements StageSpan {
  /** The context that makes a span this one's child; made once, for all of its children. */
  private context: Context | undefined;

  constructor(
    private readonly tracer: Tracer,
    readonly span: Span,
  ) {}

  child(name: string, attributes: StageAttributes = {}, kind: SpanKind = SpanKind.INTERNAL, startTime?: number): OtelStageSpan {
    this.context ??= trace.setSpan(ROOT_CONTEXT, this.span);
    return new OtelStageSpan(this.tracer, this.tracer.startSpan(name, startTime === undefined ? { attributes, kind } : { attributes, kind, startTime }, this.context));
  }

  setAttributes(attributes: StageAttributes): void {
    this.span.setAttributes(attributes);
  }

  fail(error: unknown): void {
    this.span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
  }

  end(): void {
    this.span.end();
  }

  /** The W3C `traceparent` that makes the receiver's spans children of this one. */
  traceparent(): string | undefined {
    const carrier: Record<string, string> = {};
    this.context ??= trace.setSpan(ROOT_CONTEXT, this.span);
    propagator.inject(this.context, carrier, CARRIER_SETTER);
    return carrier['traceparent'];
  }
}

/**
 * A stage timed while routing runs: plain clock readings, turned into OTel spans only when the
 * request ends, so span creation and export bookkeeping stay off the routing path. The same
 * readings feed the per-stage latency histograms (every request, sampled or not).
 */
export class RecordedStage implements StageSpan {
  private readonly children: RecordedStage[] = [];
  private readonly startedAt = performance.now();
  private endedAt: number | undefined;
  private error: string | undefined;

  constructor(
    private readonly name: string,
    private attributes: StageAttributes,
  ) {}

  child(name: string, attributes: StageAttributes = {}): RecordedStage {
    const stage = new RecordedStage(name, attributes);
    this.children.push(stage);
    return stage;
  }

  setAttributes(attributes: StageAttributes): void {
    this.attributes = { ...this.attributes, ...attributes };
  }

  fail(error: unknown): void {
    this.error = error instanceof Error ? error.message : String(error);
  }

  end(): void {
    this.endedAt ??= performance.now();
  }

  childStages(): readonly RecordedStage[] {
    return this.children;
  }

  /** The finished stages under this one, depth first. */
  timings(into: StageTiming[] = []): StageTiming[] {
    for (const child of this.children) {
      if (child.endedAt !== undefined) into.push({ name: child.name, attributes: child.attributes, seconds: (child.endedAt - child.startedAt) / 1000, failed: child.error !== undefined });
      child.timings(into);
    }
    return into;
  }

  /** Emits this stage and its children as spans under `parent`, with the times they ran. */
  emit(parent: OtelStageSpan): void {
    const span = parent.child(this.name, this.attributes, SpanKind.INTERNAL, epoch(this.startedAt));
    if (this.error !== undefined) span.fail(this.error);
    for (const child of this.children) child.emit(span);
    span.span.end(epoch(this.endedAt ?? performance.now()));
  }
}

/** A performance.now() reading as epoch milliseconds, the time OTel spans take. */
function epoch(reading: number): number {
  return performance.timeOrigin + reading;
}

/** The spans of one request: the ext_proc stream's span, its stages, and the upstream call. */
export class RequestSpans {
  private upstream: OtelStageSpan | undefined;
  /** Stages recorded under the request's span (routing, cache lookup ...), emitted at the end; none when not sampled. */
  readonly stages: RecordedStage | undefined;

  constructor(readonly root: OtelStageSpan) {
    this.stages = root.span.isRecording() ? new RecordedStage('stages', {}) : undefined;
  }

  get traceId(): string {
    return this.root.span.spanContext().traceId;
  }

  get sampled(): boolean {
    return this.root.span.isRecording();
  }

  /** Starts the upstream call's span; returns the `traceparent` to send upstream. */
  upstreamStarted(model: string): string | undefined {
    this.upstream = this.root.child('upstream', { 'gen_ai.request.model': model, 'gen_ai.operation.name': 'chat' }, SpanKind.CLIENT);
    return this.upstream.traceparent();
  }

  /** Ends every span with what the request's record says. */
  end(entry: RequestLogEntry): void {
    const facts: Record<string, string | number | boolean> = {};
    if (entry.status !== null) facts['http.response.status_code'] = entry.status;
    if (entry.model !== null) facts['gen_ai.request.model'] = entry.model;
    if (entry.decision !== null) facts['switchyard.decision'] = entry.decision;
    if (entry.responsePath !== undefined) facts['switchyard.response_path'] = entry.responsePath;
    if (entry.promptTokens != null) facts['gen_ai.usage.input_tokens'] = entry.promptTokens;
    if (entry.completionTokens != null) facts['gen_ai.usage.output_tokens'] = entry.completionTokens;
    if (entry.cost != null) facts['switchyard.cost'] = entry.cost;
    if (entry.saved != null) facts['switchyard.saved'] = entry.saved;
    if (entry.reason != null) facts['switchyard.reason'] = entry.reason;
    if (this.upstream !== undefined) {
      if (entry.status !== null) this.upstream.setAttributes({ 'http.response.status_code': entry.status });
      if (entry.responsePath === 'error') this.upstream.fail(entry.reason ?? 'error');
      this.upstream.end();
    }
    for (const stage of this.stages?.childStages() ?? []) stage.emit(this.root);
    this.root.setAttributes(facts);
    if (entry.responsePath === 'error' || (entry.status ?? 0) >= 500) this.root.fail(entry.reason ?? `status ${entry.status}`);
    this.root.end();
  }
}

/** A trace exporter whose failures are counted and logged at most once a minute, never thrown. */
function reportingExporter(inner: SpanExporter, failures: ExportFailures): SpanExporter {
  return {
    export: (spans, done) =>
      inner.export(spans, (result) => {
        if (result.code !== ExportResultCode.SUCCESS) failures.failed('traces', result.error ?? 'export failed');
        done(result);
      }),
    shutdown: () => inner.shutdown(),
    forceFlush: () => inner.forceFlush?.() ?? Promise.resolve(),
  };
}

/**
 * Traces requests with the OpenTelemetry SDK: a span per request (the ext_proc stream) joined to
 * the client's W3C `traceparent`, child spans per stage, and an `upstream` span whose context
 * goes to the model server in `traceparent`. Spans leave in batches over OTLP/HTTP, off the
 * request path; a collector that is down only costs the dropped spans.
 */
export class RequestTracer {
  private readonly provider: BasicTracerProvider;
  private readonly tracer: Tracer;

  constructor(options: RequestTracerOptions) {
    const exporter = reportingExporter(new OTLPTraceExporter({ url: options.endpoint, timeoutMillis: 5000 }), options.failures);
    this.provider = new BasicTracerProvider({
      resource: resourceFromAttributes({ 'service.name': options.serviceName }),
      sampler: new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(options.sampleRatio) }),
      spanProcessors: [new BatchSpanProcessor(exporter, { scheduledDelayMillis: options.scheduledDelayMs ?? 1000, maxQueueSize: 4096, exportTimeoutMillis: 5000 })],
    });
    this.tracer = this.provider.getTracer('switchyard');
  }

  /** The spans of a request whose headers just arrived. */
  start(headers: ReadonlyMap<string, string>): RequestSpans {
    const parent: Context = propagator.extract(ROOT_CONTEXT, headers, HEADER_GETTER);
    const method = headers.get(':method') ?? '';
    const path = (headers.get(':path') ?? '').split('?')[0] ?? '';
    const span = this.tracer.startSpan(`${method} ${path}`, { kind: SpanKind.SERVER, attributes: { 'http.request.method': method, 'url.path': path } }, parent);
    return new RequestSpans(new OtelStageSpan(this.tracer, span));
  }

  /** Exports the spans waiting in the batch now (benches attribute the export's cost to the traced requests). */
  async flush(): Promise<void> {
    await this.provider.forceFlush().catch(() => undefined);
  }

  async close(): Promise<void> {
    await this.provider.shutdown().catch(() => undefined);
  }
}
