import type { Registry } from 'prom-client';
import type { RuntimeConfig } from '../config/runtime-config.js';
import type { AdminRoute } from './admin-server.js';
import { ExportFailures } from './export-failures.js';
import type { RouterLogger } from './logger.js';
import type { MetricsExposition } from './metrics.js';
import { OtelRequestMetrics } from './otel-metrics.js';
import { RecentRequests } from './recent-requests.js';
import { RequestTracer } from './request-tracing.js';
import type { RequestLogEntry, RequestRecordSink } from './request-log.js';

/** What `serve` runs for observability besides the log: request metrics, OTLP export, recent requests. */
export interface Telemetry {
  /** Where the sidecar sends each request's record. */
  readonly records: RequestRecordSink;
  readonly expositions: readonly MetricsExposition[];
  readonly routes: readonly AdminRoute[];
  readonly failures: ExportFailures;
  /** Present when `observability.tracing` is on. */
  readonly tracer?: RequestTracer;
  close(): Promise<void>;
}

/**
 * Starts the telemetry of a process from its starting config (the OTLP endpoints need a restart to
 * change). `promClientRegistries` are the process's prom-client families, exported over OTLP with the rest.
 */
export function startTelemetry(config: RuntimeConfig, logger: RouterLogger, promClientRegistries: readonly Registry[] = []): Telemetry {
  const observability = config.observability;
  const failures = new ExportFailures(logger.child({ component: 'telemetry' }));
  const metrics = new OtelRequestMetrics({
    failures,
    promClientRegistries: () => promClientRegistries,
    ...(observability?.metricsOtlpEndpoint === undefined ? {} : { otlpEndpoint: observability.metricsOtlpEndpoint, exportIntervalMs: observability.metricsExportIntervalMs }),
  });
  const recent = new RecentRequests();
  const tracing = observability?.tracing;
  const tracer = tracing === undefined ? undefined : new RequestTracer({ endpoint: tracing.endpoint, sampleRatio: tracing.sampleRatio, serviceName: tracing.serviceName, failures });
  return {
    records: {
      recordStages: (stages) => metrics.recordStages(stages),
      record(entry: RequestLogEntry): void {
        metrics.record(entry);
        recent.record(entry);
      },
    },
    expositions: [metrics],
    routes: [recent.route()],
    failures,
    ...(tracer === undefined ? {} : { tracer }),
    close: async () => {
      await Promise.all([metrics.close(), tracer?.close()]);
    },
  };
}
