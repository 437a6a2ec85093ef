import cluster, { type Worker } from 'node:cluster';
import { formatDiagnostic } from '../config/diagnostic.js';
import { loadConfigFileReporting } from '../config/load.js';
import { ConfigStore, watchConfig, type ConfigWatchHandle } from '../config/watch.js';
import { startAdminStack, type AdminStack } from '../serve-stack/admin-stack.js';
import type { SwitchyardPorts } from '../serve-stack/switchyard-stack.js';
import type { RouterLogger } from '../telemetry/logger.js';
import { ProcessMetrics, PrometheusRouterMetrics } from '../telemetry/metrics.js';
import { announceRequest, type RequestLogEntry } from '../telemetry/request-log.js';
import type { StageTiming } from '../telemetry/stage-span.js';
import { startTelemetry, type Telemetry } from '../telemetry/telemetry-stack.js';
import { ClusterChannel } from './cluster-channel.js';
import { ClusterMetrics, type MetricsJson } from './cluster-metrics.js';
import { installProcessSharedState } from './process-shared-state.js';
import { SharedStateOwner } from './shared-state-owner.js';

/** What the primary of `serve --workers N` is told. */
export interface ClusterPrimaryOptions {
  readonly configPath: string;
  readonly workers: number;
  readonly adminPort?: number;
  readonly adminAddress: string;
  readonly logger: RouterLogger;
  /** Called once every worker listens, with the ports (the admin port is the primary's). */
  readonly onReady: (ports: SwitchyardPorts) => void;
  /** Diagnostics of a config that does not load. */
  readonly reportProblem: (text: string) => void;
}

/** The primary of a running cluster. */
export interface ClusterPrimary {
  /** Drains every worker (each finishes its in-flight requests and streams), then stops the admin server. */
  close(force: AbortSignal): Promise<void>;
  /** Reloads the config file in the primary and in every worker (SIGHUP). */
  reload(): void;
}

/** A worker that keeps crashing is restarted no faster than this. */
const RESTART_DELAY_MS = { first: 100, max: 5000 } as const;
/** How long after the drain timeout a worker that has not exited is killed. */
const EXIT_GRACE_MS = 5000;

interface WorkerSlot {
  worker: Worker;
  channel: ClusterChannel;
  ports: SwitchyardPorts | undefined;
  /** Crashes in a row, for the restart back-off (reset once a worker is ready). */
  crashes: number;
}

/** How a local client (the dashboard's playground) reaches a listener bound to every interface. */
const WILDCARD_TO_LOOPBACK: Readonly<Record<string, string>> = { '0.0.0.0': '127.0.0.1', '::': '::1' };

/**
 * Starts the primary of `switchyard serve --workers N`: it owns the state the workers share
 * (`shared-state-owner.ts`), serves the admin port (probes, `/metrics` summed over the workers,
 * the dashboard fed by every worker's requests, the selection and classification APIs), forks N
 * workers that each run the sidecar and the gateway listeners (node:cluster hands each new
 * connection to the next worker in turn), restarts a worker that dies, and drains them all on
 * shutdown. Resolves once every worker is ready; rejects (after stopping them) when a worker
 * fails to start, e.g. a port already in use.
 */
export async function startClusterPrimary(options: ClusterPrimaryOptions): Promise<ClusterPrimary | undefined> {
  const { logger } = options;
  const owner = new SharedStateOwner();
  // Before any config compiles: the primary's configs (the admin API's feedback) use the owned state.
  installProcessSharedState(owner.processState);
  const config = await loadConfigFileReporting(options.configPath, options.reportProblem);
  if (config === undefined) return undefined;

  const store = new ConfigStore(config);
  const processMetrics = new ProcessMetrics();
  // The primary's own counts (feedback taken by the selection API) join the workers' in the sum.
  const routerMetrics = new PrometheusRouterMetrics();
  // OTLP gets the request metrics of every worker (their records come here) but the prom-client
  // metrics of this process only; the workers' are summed on /metrics.
  const telemetry: Telemetry = startTelemetry(config, logger, [routerMetrics.registry, processMetrics.registry]);
  const slots = new Map<number, WorkerSlot>();
  let state: 'starting' | 'ready' | 'draining' = 'starting';
  const metrics = new ClusterMetrics([routerMetrics.registry, processMetrics.registry], () =>
    [...slots.values()].filter((slot) => slot.ports !== undefined).map((slot) => () => slot.channel.call<MetricsJson>('metrics.json')),
  );
  const firstListener = (): string | undefined => {
    const port = [...slots.values()].find((slot) => slot.ports !== undefined)?.ports?.listeners[0];
    const address = store.current().listeners[0]?.address;
    return port === undefined || address === undefined ? undefined : `http://${WILDCARD_TO_LOOPBACK[address] ?? address}:${port}`;
  };
  const admin: AdminStack = await startAdminStack({
    store,
    watchPath: options.configPath,
    env: process.env,
    address: options.adminAddress,
    port: options.adminPort ?? config.envoy.adminPort,
    gatewayUrl: firstListener,
    notReadyReason: () => {
      if (state !== 'ready') return state === 'starting' ? 'starting up' : 'draining';
      return [...slots.values()].some((slot) => slot.ports !== undefined) ? undefined : 'no worker is ready';
    },
    metrics: [metrics, ...telemetry.expositions],
    telemetryRoutes: telemetry.routes,
    countSelection: (event) => routerMetrics.selectionEvent(event),
    logger,
  });
  const watcher: ConfigWatchHandle = watchConfig(options.configPath, store, {
    onRejected: (problems) => {
      for (const problem of problems) logger.warn({ diagnostic: formatDiagnostic(problem) }, 'config reload rejected (primary); keeping the previous config');
    },
  });

  let startup: { resolve(): void; reject(error: Error): void } | undefined;
  const started = new Promise<void>((resolve, reject) => (startup = { resolve, reject }));
  const allReady = (): boolean => slots.size === options.workers && [...slots.values()].every((slot) => slot.ports !== undefined);

  // Workers run this same command line; `serve` sees it is a worker (cluster.isWorker).
  cluster.setupPrimary({ serialization: 'advanced' });

  const fork = (crashes: number): void => {
    const worker = cluster.fork();
    const channel = new ClusterChannel(worker);
    const slot: WorkerSlot = { worker, channel, ports: undefined, crashes };
    slots.set(worker.id, slot);
    owner.attach(worker.id, channel);
    channel.on<RequestLogEntry>('telemetry.record', (entry) => telemetry.records.record(entry));
    channel.on<readonly StageTiming[]>('telemetry.stages', (stages) => telemetry.records.recordStages?.(stages));
    channel.on<RequestLogEntry>('request-log', (entry) => announceRequest(entry));
    channel.on<SwitchyardPorts>('ready', (ports) => {
      slot.ports = ports;
      slot.crashes = 0;
      logger.info({ worker: worker.id, pid: worker.process.pid }, 'serve worker ready');
      if (state === 'starting' && allReady()) startup?.resolve();
    });
    worker.on('exit', (code, signal) => {
      slots.delete(worker.id);
      owner.detach(worker.id);
      channel.close();
      if (state === 'draining') return;
      if (state === 'starting') {
        startup?.reject(new Error(`serve worker ${worker.id} exited during start-up (code ${code}, signal ${signal})`));
        return;
      }
      const delay = Math.min(RESTART_DELAY_MS.first * 2 ** slot.crashes, RESTART_DELAY_MS.max);
      logger.error({ worker: worker.id, pid: worker.process.pid, code, signal, restartInMs: delay }, 'serve worker died; starting a new one');
      setTimeout(() => {
        if (state === 'ready') fork(slot.crashes + 1);
      }, delay).unref();
    });
  };

  const stopWorkers = async (force: AbortSignal): Promise<void> => {
    state = 'draining';
    const exits = [...slots.values()].map(({ worker }) => new Promise<void>((resolve) => (worker.isDead() ? resolve() : worker.once('exit', () => resolve()))));
    for (const slot of slots.values()) slot.channel.emit('shutdown', force.aborted);
    const cut = (): void => {
      for (const slot of slots.values()) slot.channel.emit('shutdown', true);
    };
    force.addEventListener('abort', cut, { once: true });
    const killer = setTimeout(() => {
      for (const slot of slots.values()) slot.worker.process.kill('SIGKILL');
    }, store.current().router.drainTimeoutMs + EXIT_GRACE_MS);
    await Promise.all(exits);
    clearTimeout(killer);
    force.removeEventListener('abort', cut);
    await watcher.close();
    await telemetry.close();
    await admin.close();
    await store.current().close();
  };

  for (let i = 0; i < options.workers; i++) fork(0);
  try {
    await started;
  } catch (error) {
    await stopWorkers(AbortSignal.abort());
    throw error;
  }
  state = 'ready';
  const ports = [...slots.values()][0]!.ports!;
  options.onReady({ ...ports, admin: admin.port });
  return {
    close: stopWorkers,
    reload: () => {
      watcher.reload();
      for (const slot of slots.values()) slot.channel.emit('reload', null);
    },
  };
}
