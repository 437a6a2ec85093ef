import { pino, type DestinationStream, type Logger } from 'pino';

/** The structured logger every component receives; pino's, so child loggers and levels work as usual. */
export type RouterLogger = Logger;

/** Options for {@link createLogger}; the level defaults to `SWITCHYARD_LOG_LEVEL`, then `info`. */
export interface LoggerOptions {
  readonly level?: string;
  /** Where JSON lines go; stdout when absent. Tests pass a stream that collects lines. */
  readonly destination?: DestinationStream;
  readonly env?: NodeJS.ProcessEnv;
}

/** Creates the process logger (JSON lines, one per event). */
export function createLogger(options: LoggerOptions = {}): RouterLogger {
  const level = options.level ?? (options.env ?? process.env)['SWITCHYARD_LOG_LEVEL'] ?? 'info';
  const settings = { level, base: { service: 'switchyard' } };
  return options.destination === undefined ? pino(settings) : pino(settings, options.destination);
}

/** A logger that drops everything, for tests and library callers that do not want logs. */
export function createSilentLogger(): RouterLogger {
  return pino({ level: 'silent' });
}
