import { ValueType, type Attributes, type HrTime } from '@opentelemetry/api';
import { hrTime } from '@opentelemetry/core';
import { emptyResource } from '@opentelemetry/resources';
import { AggregationTemporality, DataPointType, type CollectionResult, type MetricData, type MetricProducer } from '@opentelemetry/sdk-metrics';
import type { MetricObjectWithValues, MetricValue, MetricValueWithName, Registry } from 'prom-client';

type Labels = Readonly<Record<string, string | number>>;

function attributesOf(labels: Labels): Attributes {
  return Object.fromEntries(Object.entries(labels).map(([key, value]) => [key, String(value)]));
}

/** One histogram data point per label set: prom-client lists `_bucket` (cumulative, by `le`), `_sum` and `_count` samples. */
function histogramPoints(metric: MetricObjectWithValues<MetricValueWithName<string>>, startTime: HrTime, endTime: HrTime): MetricData {
  const series = new Map<string, { attributes: Attributes; bounds: Map<number, number>; sum: number; count: number }>();
  for (const sample of metric.values) {
    const { le, ...labels } = sample.labels as Record<string, string | number>;
    const key = JSON.stringify(Object.entries(labels).sort(([a], [b]) => a.localeCompare(b)));
    let point = series.get(key);
    if (point === undefined) series.set(key, (point = { attributes: attributesOf(labels), bounds: new Map(), sum: 0, count: 0 }));
    if (sample.metricName === `${metric.name}_sum`) point.sum = sample.value;
    else if (sample.metricName === `${metric.name}_count`) point.count = sample.value;
    else if (le !== undefined && le !== '+Inf') point.bounds.set(Number(le), sample.value);
  }
  return {
    descriptor: { name: metric.name, description: metric.help, unit: '', valueType: ValueType.DOUBLE },
    aggregationTemporality: AggregationTemporality.CUMULATIVE,
    dataPointType: DataPointType.HISTOGRAM,
    dataPoints: [...series.values()].map(({ attributes, bounds, sum, count }) => {
      const boundaries = [...bounds.keys()].sort((a, b) => a - b);
      const cumulative = [...boundaries.map((bound) => bounds.get(bound)!), count];
      // OTLP buckets count what fell in each bucket, Prometheus's what fell at or below each bound.
      const counts = cumulative.map((value, index) => value - (index === 0 ? 0 : cumulative[index - 1]!));
      return { startTime, endTime, attributes, value: { buckets: { boundaries, counts }, sum, count } };
    }),
  };
}

/** The OTel form of one prom-client family; undefined for a type our registries do not use (summaries). */
function toMetricData(metric: MetricObjectWithValues<MetricValue<string>>, startTime: HrTime, endTime: HrTime): MetricData | undefined {
  const points = () => metric.values.map((sample) => ({ startTime, endTime, attributes: attributesOf(sample.labels as Labels), value: sample.value }));
  // prom-client types MetricType as a numeric enum, but its values are these strings at run time.
  switch (String(metric.type)) {
    case 'counter':
      // OTLP names a counter without `_total`; a collector's Prometheus exporter adds it back, so the name matches /metrics.
      return {
        descriptor: { name: metric.name.replace(/_total$/, ''), description: metric.help, unit: '', valueType: ValueType.DOUBLE },
        aggregationTemporality: AggregationTemporality.CUMULATIVE,
        dataPointType: DataPointType.SUM,
        isMonotonic: true,
        dataPoints: points(),
      };
    case 'gauge':
      return {
        descriptor: { name: metric.name, description: metric.help, unit: '', valueType: ValueType.DOUBLE },
        aggregationTemporality: AggregationTemporality.CUMULATIVE,
        dataPointType: DataPointType.GAUGE,
        dataPoints: points(),
      };
    case 'histogram':
      return histogramPoints(metric as MetricObjectWithValues<MetricValueWithName<string>>, startTime, endTime);
    default:
      return undefined;
  }
}

/**
 * Hands the prom-client registries' families (the router's, the gateway's, the process's) to an
 * OpenTelemetry metric reader, so that an OTLP collector receives everything `/metrics` shows. It
 * is given to the OTLP reader only: `/metrics` keeps serving those registries' own text, so no
 * family is registered or rendered twice. Read at each export; nothing is recorded twice.
 */
export class PromClientMetricProducer implements MetricProducer {
  /** Cumulative series count from when the registries started, close enough to this bridge's creation. */
  private readonly startTime = hrTime();

  constructor(private readonly registries: () => readonly Registry[]) {}

  async collect(): Promise<CollectionResult> {
    const families = (await Promise.all(this.registries().map((registry) => registry.getMetricsAsJSON()))).flat();
    const endTime = hrTime();
    const metrics = families.flatMap((family) => toMetricData(family, this.startTime, endTime) ?? []);
    return { resourceMetrics: { resource: emptyResource(), scopeMetrics: [{ scope: { name: 'switchyard.prom-client' }, metrics }] }, errors: [] };
  }
}
