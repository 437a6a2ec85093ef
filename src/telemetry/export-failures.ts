import type { RouterLogger } from './logger.js';

/** Telemetry that leaves the process: what a failed export was carrying. */
export type ExportSignal = 'metrics' | 'traces';

/** At most one warning per signal per this many milliseconds; the counter counts every failure. */
const LOG_INTERVAL_MS = 60_000;

/**
 * Where OTLP exporters report failures. A collector that is down must never slow or fail a
 * request (exports run on their own timers, off the request path), and must not flood the log:
 * every failure is counted, and logged at most once a minute per signal with the count since.
 */
export class ExportFailures {
  private readonly counts: Record<ExportSignal, number> = { metrics: 0, traces: 0 };
  private readonly lastLogged: Record<ExportSignal, number | undefined> = { metrics: undefined, traces: undefined };
  private readonly unlogged: Record<ExportSignal, number> = { metrics: 0, traces: 0 };

  constructor(
    private readonly logger: RouterLogger,
    private readonly now: () => number = Date.now,
  ) {}

  failed(signal: ExportSignal, error: unknown): void {
    this.counts[signal] += 1;
    this.unlogged[signal] += 1;
    const now = this.now();
    const last = this.lastLogged[signal];
    if (last !== undefined && now - last < LOG_INTERVAL_MS) return;
    this.lastLogged[signal] = now;
    const failures = this.unlogged[signal];
    this.unlogged[signal] = 0;
    this.logger.warn({ signal, failures, error: error instanceof Error ? error.message : String(error) }, `OTLP ${signal} export failed; requests are not affected (logged at most once a minute)`);
  }

  /** Failures so far, by signal (for `switchyard_telemetry_export_failures_total`). */
  total(signal: ExportSignal): number {
    return this.counts[signal];
  }
}
