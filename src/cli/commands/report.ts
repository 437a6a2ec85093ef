import { readFile } from 'node:fs/promises';
import { durationToMs } from '../../config/duration.js';
import { DURATION_PATTERN } from '../../config/duration.js';
import { fetchRecentRequests, type TimedRequestRecord } from '../../telemetry/recent-requests.js';
import { buildUsageReport, formatUsageReport, recordsFromAccessLog } from '../../telemetry/usage-report.js';
import type { CliIo } from '../cli-io.js';

export interface ReportOptions {
  /** An access log: the JSON lines `switchyard serve` writes ("request" lines). */
  readonly log?: string;
  /** A running instance's admin address (http://host:port). */
  readonly admin?: string;
  /** Only the last DURATION (e.g. 15m, 24h). */
  readonly window?: string;
  readonly json?: boolean;
}

/** `switchyard report (--log FILE | --admin URL) [--window 1h] [--json]`: cost, savings and share kept local. */
export async function runReport(options: ReportOptions, io: CliIo, now: () => number = Date.now): Promise<number> {
  if ((options.log === undefined) === (options.admin === undefined)) {
    io.stderr.write('switchyard report: give exactly one of --log FILE or --admin URL\n');
    return 2;
  }
  if (options.window !== undefined && !new RegExp(DURATION_PATTERN).test(options.window)) {
    io.stderr.write(`switchyard report: --window "${options.window}" is not a duration like 15m, 1h or 30s\n`);
    return 2;
  }
  const from = options.window === undefined ? undefined : now() - durationToMs(options.window);
  let records: TimedRequestRecord[];
  try {
    records = options.log !== undefined ? recordsFromAccessLog(await readFile(options.log, 'utf8')) : await fetchRecentRequests(options.admin!, from ?? 0);
  } catch (error) {
    io.stderr.write(`switchyard report: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}\n`);
    return 1;
  }
  const report = buildUsageReport(records, from === undefined ? {} : { from });
  if (options.json === true) {
    const plain = { ...report, byModel: Object.fromEntries(report.byModel), byDecision: Object.fromEntries(report.byDecision), errorsByReason: Object.fromEntries(report.errorsByReason), safety: Object.fromEntries([...report.safety].map(([rule, outcomes]) => [rule, Object.fromEntries(outcomes)])) };
    io.stdout.write(`${JSON.stringify(plain, null, 2)}\n`);
  } else io.stdout.write(formatUsageReport(report));
  return 0;
}
