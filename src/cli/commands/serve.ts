import { formatDiagnostic } from '../../config/diagnostic.js';
import { loadConfigFile } from '../../config/load.js';
import { ConfigStore, watchConfig } from '../../config/watch.js';
import { startExtProcServer } from '../../extproc/server.js';
import { createLogger } from '../../telemetry/logger.js';
import { PrometheusRouterMetrics } from '../../telemetry/metrics.js';
import type { CliIo } from '../cli-io.js';

/** Options of `switchyard serve`. */
export interface ServeOptions {
  readonly config: string;
  readonly grpcPort?: number;
  /** Whether to run the built-in gateway next to the sidecar (`--no-gateway` turns it off). */
  readonly gateway: boolean;
}

const SHUTDOWN_SIGNALS = ['SIGINT', 'SIGTERM'] as const;

/**
 * `switchyard serve`: runs the ext_proc sidecar until SIGINT/SIGTERM. The config file is
 * watched; a good edit applies to new streams, a broken one is logged and the old config stays.
 */
export async function runServe(options: ServeOptions, io: CliIo): Promise<number> {
  const { config, diagnostics } = await loadConfigFile(options.config);
  for (const diagnostic of diagnostics) io.stderr.write(`${formatDiagnostic(diagnostic)}\n`);
  if (config === undefined) return 1;

  const logger = createLogger();
  const metrics = new PrometheusRouterMetrics();
  const store = new ConfigStore(config);
  const server = await startExtProcServer({
    address: config.envoy.extprocAddress,
    port: options.grpcPort ?? config.envoy.extprocPort,
    store,
    logger,
    metrics,
  });
  // Seam for the built-in gateway (it plays Envoy's part in front of this sidecar); until it
  // ships, serve runs the sidecar alone whatever --gateway says.
  if (options.gateway) logger.info('built-in gateway not included in this build; serving the ext_proc sidecar only');
  const watcher = watchConfig(options.config, store, {
    onReload: (next) => logger.info({ version: next.version }, 'config reloaded'),
    onRejected: (problems) => {
      for (const problem of problems) logger.warn({ diagnostic: formatDiagnostic(problem) }, 'config reload rejected; keeping the previous config');
    },
  });

  const signal = await waitForShutdownSignal();
  logger.info({ signal }, 'shutting down');
  await watcher.close();
  await server.close();
  await store.current().close();
  return 0;
}

/** Resolves with the first of SIGINT/SIGTERM and removes only the listeners it added. */
function waitForShutdownSignal(): Promise<string> {
  return new Promise((resolve) => {
    const listeners = SHUTDOWN_SIGNALS.map((name) => {
      const listener = (): void => {
        for (const [signal, added] of listeners) process.off(signal, added);
        resolve(name);
      };
      process.on(name, listener);
      return [name, listener] as const;
    });
  });
}
