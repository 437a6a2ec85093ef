import { Counter, Registry } from 'prom-client';
import type { ExtProcCounters } from '../gateway/ext-proc-counters.js';
import type { MetricsExposition } from '../telemetry/metrics.js';

/**
 * The gateways' Envoy-named ext_proc counters as Prometheus text, read at scrape time and
 * summed over every gateway listener, so `/metrics` shows what Envoy's `/stats` would.
 */
export class GatewayMetrics implements MetricsExposition {
  private readonly registry = new Registry();

  constructor(sources: () => readonly Readonly<ExtProcCounters>[]) {
    new Counter({
      name: 'switchyard_gateway_ext_proc_events_total',
      help: "The built-in gateway's ext_proc filter counters, by Envoy's counter name.",
      labelNames: ['counter'] as const,
      registers: [this.registry],
      collect() {
        const totals = new Map<string, number>();
        for (const counters of sources()) {
          for (const [name, value] of Object.entries(counters)) totals.set(name, (totals.get(name) ?? 0) + value);
        }
        this.reset();
        for (const [name, value] of totals) this.inc({ counter: name }, value);
      },
    });
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  render(): Promise<string> {
    return this.registry.metrics();
  }
}
