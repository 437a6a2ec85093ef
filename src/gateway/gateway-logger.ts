/** The logging the gateway needs; a pino logger fits it. */
export interface GatewayLogger {
  debug(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
}

/** Used when the caller passes no logger. */
export const silentLogger: GatewayLogger = {
  debug: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};
