import { createLogger, type RouterLogger } from '../../src/telemetry/logger.js';

/** A pino logger whose JSON lines are kept in memory, for asserting on what was logged. */
export interface CapturedLog {
  readonly logger: RouterLogger;
  /** Parsed log lines, oldest first. */
  readonly lines: Record<string, unknown>[];
  /** Lines at level error (50) or above. */
  errors(): Record<string, unknown>[];
}

/** Creates a logger that records every line at `level` and above. */
export function captureLog(level = 'debug'): CapturedLog {
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger({
    level,
    destination: { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) },
  });
  return { logger, lines, errors: () => lines.filter((line) => Number(line['level']) >= 50) };
}
