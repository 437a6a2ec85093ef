import { DataPointType, type HistogramMetricData, type SumMetricData } from '@opentelemetry/sdk-metrics';
import { Counter, Histogram, Registry } from 'prom-client';
import { PromClientMetricProducer } from '../../src/telemetry/prom-client-bridge.js';

describe('prom-client families as OpenTelemetry metric data', () => {
  it('turns labelled cumulative buckets into one per-bucket histogram point per label set', async () => {
    const registry = new Registry();
    const histogram = new Histogram({ name: 'demo_seconds', help: 'demo', labelNames: ['kind'] as const, buckets: [0.1, 1], registers: [registry] });
    for (const [kind, value] of [['a', 0.05], ['a', 0.5], ['a', 5], ['b', 0.5]] as const) histogram.observe({ kind }, value);
    const { resourceMetrics } = await new PromClientMetricProducer(() => [registry]).collect();
    const metric = resourceMetrics.scopeMetrics[0]!.metrics[0] as HistogramMetricData;
    expect(metric.dataPointType).toBe(DataPointType.HISTOGRAM);
    expect(metric.descriptor.name).toBe('demo_seconds');
    const points = Object.fromEntries(metric.dataPoints.map((point) => [point.attributes['kind'], point.value]));
    expect(points['a']).toEqual({ buckets: { boundaries: [0.1, 1], counts: [1, 1, 1] }, sum: 5.55, count: 3 });
    expect(points['b']).toEqual({ buckets: { boundaries: [0.1, 1], counts: [0, 1, 0] }, sum: 0.5, count: 1 });
  });

  it('names a counter without `_total` (the Prometheus side adds it back) and reads every registry at each collect', async () => {
    const registries = [new Registry(), new Registry()];
    const counter = new Counter({ name: 'demo_events_total', help: 'demo', labelNames: ['event'] as const, registers: [registries[0]!] });
    new Counter({ name: 'other_total', help: 'other', registers: [registries[1]!] }).inc(2);
    const producer = new PromClientMetricProducer(() => registries);
    counter.inc({ event: 'hit' });
    counter.inc({ event: 'hit' });
    const metrics = (await producer.collect()).resourceMetrics.scopeMetrics[0]!.metrics as SumMetricData[];
    expect(metrics.map((metric) => [metric.descriptor.name, metric.isMonotonic, metric.dataPoints.map((point) => [point.attributes, point.value])])).toEqual([
      ['demo_events', true, [[{ event: 'hit' }, 2]]],
      ['other', true, [[{}, 2]]],
    ]);
    counter.inc({ event: 'hit' });
    const again = (await producer.collect()).resourceMetrics.scopeMetrics[0]!.metrics[0] as SumMetricData;
    expect(again.dataPoints[0]!.value).toBe(3);
  });
});
