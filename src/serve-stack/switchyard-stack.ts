import { SemanticCache } from '../cache/semantic-cache.js';
import type { ConfigEnvironment } from '../config/env-expansion.js';
import { formatDiagnostic } from '../config/diagnostic.js';
import { describeReload, type ReloadPlan } from '../config/reload-plan.js';
import type { ListenerConfig, RuntimeConfig } from '../config/runtime-config.js';
import { ConfigStore, swapInConfig, watchConfig, type ConfigFeed, type ConfigSwapHooks, type ConfigWatchHandle, type StartConfigFeed } from '../config/watch.js';
import { inProcessSidecar } from '../extproc/in-process-transport.js';
import { startExtProcServer, type ExtProcServer } from '../extproc/server.js';
import { startJsonWorker } from '../router/json-worker.js';
import { startGateway, type Gateway, type GatewayOptions } from '../gateway/http-gateway.js';
import { failOpenCluster } from '../config/fail-open-cluster.js';
import type { RouterLogger } from '../telemetry/logger.js';
import { ProcessMetrics, PrometheusGatewayMetrics, PrometheusRouterMetrics } from '../telemetry/metrics.js';
import { startTelemetry, type Telemetry } from '../telemetry/telemetry-stack.js';
import type { Registry } from 'prom-client';
import { startAdminStack, type AdminStack } from './admin-stack.js';
import { clusterTargets } from './cluster-targets.js';
import { bindListener } from './listener-binding.js';
import { ReloadableCache } from './reloadable-cache.js';

/** A gRPC address of an ext_proc sidecar. */
export interface SidecarAddress {
  readonly address: string;
  readonly port: number;
}

/** What {@link startSwitchyard} runs; every port override accepts 0 for a free port. */
export interface SwitchyardStackOptions {
  /** The loaded config; the stack owns it from here and closes it (or its reloaded successor). */
  readonly config: RuntimeConfig;
  /** The file to watch for reloads; no watching when absent. */
  readonly watchPath?: string;
  /**
   * Configs from elsewhere than the file (`config_source: kubernetes`), started once every
   * listener is up and before `/readyz` says ready; they go in force exactly as a file reload.
   */
  readonly configFeed?: StartConfigFeed;
  /** Variables for `${VAR}` expansion on reload; defaults to `process.env`. */
  readonly env?: ConfigEnvironment;
  /** Run the built-in gateway on each configured listener (default true). */
  readonly gateway?: boolean;
  /** A remote sidecar for the gateway; then no local sidecar starts. */
  readonly sidecar?: SidecarAddress;
  readonly grpcPort?: number;
  /** Port of every gateway listener (only 0 when there are several, as they cannot share one). */
  readonly listenPort?: number;
  readonly adminPort?: number;
  /** Where the admin server binds; loopback by default, like Envoy's admin. */
  readonly adminAddress?: string;
  readonly logger: RouterLogger;
  /** False in a `serve --workers N` worker: the primary serves the admin port (default true). */
  readonly adminServer?: boolean;
  /** The telemetry to feed instead of starting one (a worker's forwards records to the primary). */
  readonly telemetry?: Telemetry;
}

/** The ports a running stack is bound to. */
export interface SwitchyardPorts {
  /** The local sidecar's gRPC port; null when the gateway uses a remote sidecar. */
  readonly grpc: number | null;
  /** One per gateway listener, in config order. */
  readonly listeners: readonly number[];
  /** 0 in a cluster worker, which runs no admin server (the primary's ready line has the port). */
  readonly admin: number;
}

/** A running Switchyard: sidecar, gateway listeners and admin server. */
export interface SwitchyardStack {
  readonly ports: SwitchyardPorts;
  readonly store: ConfigStore;
  /** The process's Prometheus registries (router, gateway, process), which a cluster primary aggregates. */
  readonly registries: readonly Registry[];
  /**
   * Drains: `/readyz` answers 503, the gateways stop accepting and let in-flight requests and
   * streams finish, then the sidecar lets its open ext_proc streams finish, then the admin server
   * stops. All within `router.drain_timeout`; aborting `force` (a second SIGTERM) cuts at once.
   */
  close(force?: AbortSignal): Promise<void>;
  /** Reloads the watched config file now (SIGHUP); nothing without a watched file. */
  reload(): void;
}

/** How a local client (the dashboard's playground) reaches a listener bound to every interface. */
const WILDCARD_TO_LOOPBACK: Readonly<Record<string, string>> = { '0.0.0.0': '127.0.0.1', '::': '::1' };

function listenersToServe(config: RuntimeConfig, listenPort: number | undefined): readonly ListenerConfig[] {
  if (listenPort === undefined) return config.listeners;
  if (listenPort !== 0 && config.listeners.length > 1) {
    throw new Error(`a listen port override of ${listenPort} cannot apply to ${config.listeners.length} listeners; use 0`);
  }
  return config.listeners.map((listener) => ({ ...listener, port: listenPort }));
}

/** The command-line flag that sets a config field in this process, if one does. */
type FieldOverride = (field: string) => string | undefined;

function fieldOverride(options: SwitchyardStackOptions): FieldOverride {
  return (field) => {
    if (options.listenPort !== undefined && /^listeners\[\d+\]\.port$/.test(field)) return '--listen-port';
    if (options.grpcPort !== undefined && field === 'envoy.extproc_port') return '--grpc-port';
    if (options.adminPort !== undefined && field === 'envoy.admin_port') return '--admin-port';
    return undefined;
  };
}

/** Logs what a reload applied, and one warning per changed setting it did not apply. */
function reportReload(plan: ReloadPlan, logger: RouterLogger, overriddenBy: FieldOverride): void {
  for (const change of plan.restartRequired) {
    const flag = overriddenBy(change.field);
    const fields = { field: change.field, serving: change.serving, configured: change.configured, ...(flag === undefined ? {} : { flag }) };
    logger.warn(
      fields,
      flag === undefined
        ? `config reload: ${change.field} changed from ${change.serving} to ${change.configured}, which needs a restart; still serving ${change.serving}`
        : `config reload: ${change.field} changed from ${change.serving} to ${change.configured} in the file, but ${flag} sets it in this process; the file's value is not used`,
    );
  }
  logger.info({ version: plan.config.version, applied: plan.applied, restartRequired: plan.restartRequired.map((change) => change.field) }, describeReload(plan));
}

/**
 * Starts Switchyard the way `switchyard serve` runs it: the admin server first (so `/healthz`
 * answers during start-up and `/readyz` says what is missing), then the ext_proc sidecar, then
 * one gateway per listener. The gateway drives the local sidecar's stream handler in-process with
 * the same messages Envoy would send over gRPC (the gRPC port still serves Envoy). A reloaded config reaches new
 * sidecar streams (providers, signals, decisions, plug-ins, the semantic cache with its backend)
 * and the gateways' cluster table; listener, port and ext_proc settings need a restart, keep
 * their serving values, and each one changed is logged as a warning (see `config/reload-plan.ts`).
 */
export async function startSwitchyard(options: SwitchyardStackOptions): Promise<SwitchyardStack> {
  const { logger } = options;
  const store = new ConfigStore(options.config);
  const initial = options.config;
  const listeners = options.gateway === false ? [] : listenersToServe(initial, options.listenPort);
  const gateways: Gateway[] = [];
  let sidecar: ExtProcServer | undefined;
  let watcher: ConfigWatchHandle | undefined;
  let feed: ConfigFeed | undefined;
  let state: 'starting' | 'ready' | 'draining' = 'starting';
  const routerMetrics = new PrometheusRouterMetrics();
  const gatewayMetrics = new PrometheusGatewayMetrics(() => gateways.map((gateway) => gateway.counters()));
  const processMetrics = new ProcessMetrics();
  const telemetry = options.telemetry ?? startTelemetry(initial, logger, [routerMetrics.registry, gatewayMetrics.registry, processMetrics.registry]);
  const caches = new ReloadableCache((settings) => SemanticCache.create({ settings, logger, count: (event) => routerMetrics.cacheEvent(event, settings.backendType) }));
  routerMetrics.countCacheEntries(() => caches.entryCounts());

  const adminAddress = options.adminAddress ?? '127.0.0.1';
  // A failed selection-store operation never fails a request (the replica uses its local state), but is counted and logged.
  const watchSelectionStore = (config: RuntimeConfig): (() => void) | undefined =>
    config.selection?.onStoreFailure((operation, error) => {
      routerMetrics.selectionEvent('store_error');
      logger.warn({ operation, error: error.message }, 'model selection store unavailable; using this replica\'s local state');
    });
  let unwatchSelectionStore = watchSelectionStore(initial);
  const adminPort = options.adminPort ?? initial.envoy.adminPort;
  const admin: AdminStack | undefined = options.adminServer === false ? undefined : await startAdminStack({
    store,
    watchPath: options.watchPath,
    env: options.env ?? process.env,
    address: adminAddress,
    port: adminPort,
    gatewayUrl: () => (gateways[0] === undefined ? undefined : `http://${WILDCARD_TO_LOOPBACK[listeners[0]!.address] ?? listeners[0]!.address}:${gateways[0].port}`),
    notReadyReason: () => (state === 'ready' ? undefined : state === 'starting' ? 'starting up' : 'draining'),
    metrics: [routerMetrics, gatewayMetrics, processMetrics, ...telemetry.expositions],
    telemetryRoutes: telemetry.routes,
    countSelection: (event) => routerMetrics.selectionEvent(event),
    logger,
  });

  const stop = async (force?: AbortSignal): Promise<void> => {
    state = 'draining';
    const graceOver = AbortSignal.timeout(initial.router.drainTimeoutMs);
    const cut = force === undefined ? graceOver : AbortSignal.any([force, graceOver]);
    logger.info({ drainTimeoutMs: initial.router.drainTimeoutMs }, 'draining');
    await Promise.all(gateways.map((gateway) => gateway.drain(cut)));
    await sidecar?.close(cut);
    await watcher?.close();
    await feed?.close();
    await caches.close();
    await store.current().close();
    await telemetry.close();
    await admin?.close();
  };

  // Started now, so the first large body does not pay for creating the thread.
  startJsonWorker();
  try {
    if (options.sidecar === undefined) {
      const grpcPort = options.grpcPort ?? initial.envoy.extprocPort;
      await caches.prepare(initial);
      sidecar = await bindListener(
        { what: "the sidecar's ext_proc gRPC port", change: 'envoy.extproc_port in the config, or pass --grpc-port' },
        initial.envoy.extprocAddress,
        grpcPort,
        () =>
          startExtProcServer({
            address: initial.envoy.extprocAddress,
            port: grpcPort,
            store,
            logger,
            metrics: routerMetrics,
            records: telemetry.records,
            ...(telemetry.tracer === undefined ? {} : { tracer: telemetry.tracer }),
            cacheFor: (config) => caches.cacheFor(config),
          }),
      );
    }
    // The local sidecar is driven in-process (its gRPC port serves Envoy); one transport per
    // gateway, as each closes its own when it stops.
    const sidecarFor = (): GatewayOptions['sidecar'] =>
      options.sidecar ?? { inProcess: inProcessSidecar(sidecar!.streamDependencies) };
    for (const [index, listener] of listeners.entries()) {
      const role = { what: `the gateway listener "${listener.name}"`, change: `listeners[${index}].port in the config, or pass --listen-port` };
      gateways.push(
        await bindListener(role, listener.address, listener.port, () => startGateway({
          listen: { address: listener.address, port: listener.port },
          sidecar: sidecarFor(),
          settings: initial.envoy,
          clusterHeader: initial.router.clusterHeader,
          clusters: () => clusterTargets(store.current()),
          failOpenCluster: () => failOpenCluster(store.current()),
          requestTimeoutMs: listener.timeoutMs,
          metrics: gatewayMetrics,
          logger: logger.child({ component: 'gateway', listener: listener.name }),
        })),
      );
    }
    const swapHooks: ConfigSwapHooks = {
      // The cache lives in the local sidecar; a remote one reloads its own.
      ...(sidecar === undefined ? {} : { prepare: (plan: ReloadPlan) => caches.prepare(plan.config) }),
      onReload: (plan) => {
        unwatchSelectionStore?.();
        unwatchSelectionStore = watchSelectionStore(plan.config);
        reportReload(plan, logger, fieldOverride(options));
        caches.retire(plan.config).catch((error: unknown) => logger.warn({ err: error }, 'closing a replaced semantic cache failed'));
      },
    };
    if (options.watchPath !== undefined) {
      watcher = watchConfig(options.watchPath, store, {
        ...(options.env === undefined ? {} : { env: options.env }),
        ...swapHooks,
        onRejected: (problems) => {
          for (const problem of problems) logger.warn({ diagnostic: formatDiagnostic(problem) }, 'config reload rejected; keeping the previous config');
        },
      });
    }
    if (options.configFeed !== undefined) feed = await options.configFeed((config) => swapInConfig(store, config, swapHooks));
  } catch (error) {
    await stop(AbortSignal.abort());
    throw error;
  }
  state = 'ready';

  return {
    ports: { grpc: sidecar?.port ?? null, listeners: gateways.map((gateway) => gateway.port), admin: admin?.port ?? 0 },
    store,
    registries: [routerMetrics.registry, gatewayMetrics.registry, processMetrics.registry],
    close: stop,
    reload: () => watcher?.reload(),
  };
}
