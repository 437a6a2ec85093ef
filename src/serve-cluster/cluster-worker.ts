import cluster from 'node:cluster';
import { kubernetesConfigFeed } from '../config/kubernetes/kubernetes-config-feed.js';
import { loadConfigFileReporting } from '../config/load.js';
import type { RuntimeConfig } from '../config/runtime-config.js';
import { startSwitchyard, type SidecarAddress } from '../serve-stack/switchyard-stack.js';
import type { RouterLogger } from '../telemetry/logger.js';
import { subscribeRequestLog } from '../telemetry/request-log.js';
import { startTelemetry, type Telemetry } from '../telemetry/telemetry-stack.js';
import { ClusterChannel, type IpcPort } from './cluster-channel.js';
import { metricsJson } from './cluster-metrics.js';
import { installProcessSharedState } from './process-shared-state.js';
import { workerSharedState } from './worker-shared-state.js';

/** What a worker of `serve --workers N` runs: the `serve` options of the command line it was forked with. */
export interface ClusterWorkerOptions {
  readonly configPath: string;
  readonly gateway: boolean;
  readonly sidecar?: SidecarAddress;
  readonly grpcPort?: number;
  readonly listenPort?: number;
  readonly logger: RouterLogger;
  readonly reportProblem: (text: string) => void;
}

/**
 * The worker's telemetry: spans still go from the worker to the tracing endpoint, but every
 * request record goes to the primary, whose request metrics (`/metrics`, OTLP) and recent-requests
 * list then count the whole cluster once.
 */
function forwardingTelemetry(config: RuntimeConfig, logger: RouterLogger, channel: ClusterChannel): Telemetry {
  const { observability } = config;
  const own = startTelemetry(
    observability === undefined ? config : { ...config, observability: { ...observability, metricsOtlpEndpoint: undefined } },
    logger,
  );
  return {
    ...own,
    records: {
      record: (entry) => channel.emit('telemetry.record', entry),
      recordStages: (stages) => channel.emit('telemetry.stages', stages),
    },
    expositions: [],
    routes: [],
  };
}

/**
 * Runs one worker until the primary tells it to shut down (or goes away): the sidecar and the
 * gateway listeners of the config (the listening sockets are the primary's, shared by node:cluster),
 * with its selection state, latency windows, `memory` semantic cache and Responses store reached
 * through the primary. SIGINT is the primary's to act on (a terminal's Ctrl-C reaches the whole
 * process group); a SIGTERM sent to this worker alone drains it like a `shutdown`.
 */
export async function runClusterWorker(options: ClusterWorkerOptions): Promise<number> {
  const channel = new ClusterChannel(process as unknown as IpcPort);
  const logger = options.logger.child({ worker: cluster.worker?.id });
  installProcessSharedState(await workerSharedState(channel));
  const config = await loadConfigFileReporting(options.configPath, options.reportProblem);
  if (config === undefined) return 1;
  const stopForwarding = subscribeRequestLog((entry) => channel.emit('request-log', entry));
  const source = config.configSource ?? { kind: 'file' };
  const stack = await startSwitchyard({
    config,
    ...(source.kind === 'kubernetes'
      ? {
          configFeed: kubernetesConfigFeed({
            configPath: options.configPath,
            routerName: source.routerName,
            logger,
            ...(source.namespace !== undefined && { namespace: source.namespace }),
          }),
        }
      : { watchPath: options.configPath }),
    gateway: options.gateway,
    logger,
    sidecar: options.sidecar,
    grpcPort: options.grpcPort,
    listenPort: options.listenPort,
    adminServer: false,
    telemetry: forwardingTelemetry(config, logger, channel),
  });
  channel.handle('metrics.json', () => metricsJson(stack.registries));
  channel.on('reload', () => stack.reload());

  const force = new AbortController();
  const shutdown = new Promise<void>((resolve) => {
    channel.on<boolean>('shutdown', (now) => {
      if (now) force.abort();
      resolve();
    });
    process.once('SIGTERM', () => resolve());
    // The primary is gone: nobody owns the shared state any more.
    process.once('disconnect', () => {
      force.abort();
      resolve();
    });
  });
  process.on('SIGINT', () => undefined);
  channel.emit('ready', stack.ports);
  await shutdown;
  await stack.close(force.signal);
  stopForwarding();
  channel.close();
  if (process.connected) process.disconnect();
  return 0;
}
