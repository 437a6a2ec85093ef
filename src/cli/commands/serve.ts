import { kubernetesConfigFeed } from '../../config/kubernetes/kubernetes-config-feed.js';
import { loadConfigFileReporting } from '../../config/load.js';
import { waitForShutdownSignal } from '../../serve-stack/shutdown-signal.js';
import { startSwitchyard, type SidecarAddress } from '../../serve-stack/switchyard-stack.js';
import { createLogger } from '../../telemetry/logger.js';
import type { CliIo } from '../cli-io.js';

/** Options of `switchyard serve`. */
export interface ServeOptions {
  readonly config: string;
  readonly grpcPort?: number;
  readonly listenPort?: number;
  readonly adminPort?: number;
  readonly adminAddress?: string;
  /** Whether to run the built-in gateway next to the sidecar (`--no-gateway` turns it off). */
  readonly gateway: boolean;
  /** A remote sidecar for the gateway; then no local sidecar starts. */
  readonly sidecar?: SidecarAddress;
}

/** The prefix of the one line `serve` prints when everything listens; JSON of the bound ports follows. */
export const READY_LINE_PREFIX = 'switchyard ready ';

/**
 * `switchyard serve`: runs the sidecar, the built-in gateway on every listener and the admin
 * server until SIGINT/SIGTERM, then drains. The config file is watched (with
 * `config_source: kubernetes`, the namespace's custom resources are); a good edit applies
 * to new requests, a broken one is logged and the old config stays. Once everything listens
 * it prints `switchyard ready {"grpc":P,"listeners":[P],"admin":P}` so scripts can find
 * ephemeral ports.
 */
export async function runServe(options: ServeOptions, io: CliIo): Promise<number> {
  if (!options.gateway && options.sidecar !== undefined) {
    io.stderr.write('serve: --sidecar points the gateway at a remote sidecar; it cannot go with --no-gateway\n');
    return 1;
  }
  const config = await loadConfigFileReporting(options.config, (text) => io.stderr.write(text));
  if (config === undefined) return 1;

  const logger = createLogger();
  const source = config.configSource ?? { kind: 'file' };
  const stack = await startSwitchyard({
    config,
    // The file's config serves until the cluster's resources give a valid one.
    ...(source.kind === 'kubernetes'
      ? { configFeed: kubernetesConfigFeed({ configPath: options.config, routerName: source.routerName, logger, ...(source.namespace !== undefined && { namespace: source.namespace }) }) }
      : { watchPath: options.config }),
    gateway: options.gateway,
    logger,
    sidecar: options.sidecar,
    grpcPort: options.grpcPort,
    listenPort: options.listenPort,
    adminPort: options.adminPort,
    adminAddress: options.adminAddress,
  });
  if (options.gateway && stack.ports.listeners.length === 0) logger.warn('the config has no listeners; serving the ext_proc sidecar only');
  io.stdout.write(`${READY_LINE_PREFIX}${JSON.stringify(stack.ports)}\n`);

  const signal = await waitForShutdownSignal();
  logger.info({ signal }, 'shutting down: draining in-flight requests (send the signal again to stop at once)');
  const force = new AbortController();
  void waitForShutdownSignal().then((again) => {
    logger.warn({ signal: again }, 'second shutdown signal: cutting the drain short');
    force.abort();
  });
  await stack.close(force.signal);
  return 0;
}
