import cluster from 'node:cluster';
import { availableParallelism } from 'node:os';
import { kubernetesConfigFeed } from '../../config/kubernetes/kubernetes-config-feed.js';
import { loadConfigFileReporting } from '../../config/load.js';
import { startClusterPrimary } from '../../serve-cluster/cluster-primary.js';
import { runClusterWorker } from '../../serve-cluster/cluster-worker.js';
import { onReloadSignal, waitForShutdownSignal } from '../../serve-stack/shutdown-signal.js';
import { startSwitchyard, type SidecarAddress } from '../../serve-stack/switchyard-stack.js';
import { createLogger, type RouterLogger } from '../../telemetry/logger.js';
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
  /** Processes that serve traffic (`--workers`); default the number of cores. 1 runs everything in this process. */
  readonly workers?: number;
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
  if (cluster.isWorker) {
    return runClusterWorker({ ...options, configPath: options.config, logger: createLogger(), reportProblem: (text) => io.stderr.write(text) });
  }
  const workers = options.workers ?? workersFromEnvironment(io);
  if (workers === undefined) return 1;
  if (workers > 1) return runCluster(options, workers, io);
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

  await serveUntilShutdown(stack, logger, 'shutting down: draining in-flight requests (send the signal again to stop at once)');
  return 0;
}

/**
 * Reloads on SIGHUP until the first SIGINT/SIGTERM, then drains; a second signal cuts the drain
 * short. Shared by the single process and the cluster primary.
 */
async function serveUntilShutdown(server: { reload(): void; close(force: AbortSignal): Promise<void> }, logger: RouterLogger, draining: string): Promise<void> {
  const stopReloading = onReloadSignal(() => server.reload());
  const signal = await waitForShutdownSignal();
  stopReloading();
  logger.info({ signal }, draining);
  const force = new AbortController();
  void waitForShutdownSignal().then((again) => {
    logger.warn({ signal: again }, 'second shutdown signal: cutting the drain short');
    force.abort();
  });
  await server.close(force.signal);
}

/** The most workers `serve` runs (the primary's IPC is the bottleneck long before that many cores). */
export const MAX_WORKERS = 64;

/** Whether `text` is a worker count `serve` accepts. */
export function parseWorkers(text: string): number | undefined {
  const count = Number(text);
  return text.trim() !== '' && Number.isInteger(count) && count >= 1 && count <= MAX_WORKERS ? count : undefined;
}

/** `SWITCHYARD_WORKERS` when set (how a harness that cannot pass flags picks the count), else one per core; undefined after reporting a bad value. */
function workersFromEnvironment(io: CliIo): number | undefined {
  const text = process.env['SWITCHYARD_WORKERS'];
  if (text === undefined || text === '') return availableParallelism();
  const count = parseWorkers(text);
  if (count === undefined) io.stderr.write(`serve: SWITCHYARD_WORKERS=${text} is not a number of workers from 1 to ${MAX_WORKERS}\n`);
  return count;
}

/**
 * `serve --workers N` with N > 1: this process is the cluster primary (admin port, shared state,
 * worker supervision) and N workers serve the traffic; the ready line, SIGHUP and the two-step
 * SIGINT/SIGTERM drain behave as with one process.
 */
async function runCluster(options: ServeOptions, workers: number, io: CliIo): Promise<number> {
  const logger = createLogger();
  const primary = await startClusterPrimary({
    configPath: options.config,
    workers,
    ...(options.adminPort === undefined ? {} : { adminPort: options.adminPort }),
    adminAddress: options.adminAddress ?? '127.0.0.1',
    logger,
    reportProblem: (text) => io.stderr.write(text),
    onReady: (ports) => io.stdout.write(`${READY_LINE_PREFIX}${JSON.stringify(ports)}\n`),
  });
  if (primary === undefined) return 1;
  await serveUntilShutdown(primary, logger, `shutting down: draining ${workers} workers (send the signal again to stop at once)`);
  return 0;
}
