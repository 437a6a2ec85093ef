import { AggregatorRegistry, Registry, type MetricObjectWithValues, type MetricValue } from 'prom-client';
import type { MetricsExposition } from '../telemetry/metrics.js';

/** A process's prom-client metrics as `registry.getMetricsAsJSON()` gives them. */
export type MetricsJson = MetricObjectWithValues<MetricValue<string>>[];

/** How long `/metrics` waits for one worker's numbers before leaving it out of the sum. */
const WORKER_METRICS_TIMEOUT_MS = 2000;

/** Every registry's metrics of this process, as one list for the primary to aggregate. */
export async function metricsJson(registries: readonly Registry[]): Promise<MetricsJson> {
  return (await Promise.all(registries.map((registry) => registry.getMetricsAsJSON()))).flat() as MetricsJson;
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}

/**
 * `/metrics` of a `serve --workers N` cluster: the router, gateway and process metrics of every
 * worker (and the primary's process metrics), summed as one process would count them, with
 * prom-client's aggregator (counters and histograms add; the default process metrics follow
 * prom-client's per-metric rule, e.g. the Node version is taken once). A worker that does not
 * answer in time is left out of that scrape.
 */
export class ClusterMetrics implements MetricsExposition {
  readonly contentType = Registry.PROMETHEUS_CONTENT_TYPE;

  constructor(
    private readonly own: readonly Registry[],
    private readonly workers: () => readonly (() => Promise<MetricsJson>)[],
  ) {}

  async render(): Promise<string> {
    const answers = await Promise.allSettled(this.workers().map((ask) => withTimeout(ask(), WORKER_METRICS_TIMEOUT_MS)));
    const perProcess = [await metricsJson(this.own)];
    for (const answer of answers) if (answer.status === 'fulfilled') perProcess.push(answer.value);
    return AggregatorRegistry.aggregate(perProcess).metrics();
  }
}
