import type { EnvoySettings, RouterSettings, RuntimeConfig } from './runtime-config.js';

/** A setting a reload cannot move: the file says `configured`, the process keeps `serving`. */
export interface RestartOnlyChange {
  /** The field as written in the config file, e.g. `listeners[0].port`. */
  readonly field: string;
  readonly serving: string;
  readonly configured: string;
}

/** What a reload puts in force, and what it could not. */
export interface ReloadPlan {
  /** The loaded config with every restart-only setting kept at the value being served. */
  readonly config: RuntimeConfig;
  /** Top-level sections whose content changed and that new streams now use. */
  readonly applied: readonly string[];
  /** Changed settings that only a restart applies; they keep their serving value until then. */
  readonly restartRequired: readonly RestartOnlyChange[];
}

// Sockets are bound once (listeners, the gRPC and admin ports), and the built-in gateway takes its
// ext_proc settings and the cluster header when it starts; Envoy reads them from envoy.yaml. So
// these keep their serving values until a restart, in the config in force too, so the sidecar
// and the gateway never disagree about them.
const RESTART_ONLY_ENVOY: readonly (readonly [string, (envoy: EnvoySettings) => unknown])[] = [
  ['envoy.extproc_address', (envoy) => envoy.extprocAddress],
  ['envoy.extproc_port', (envoy) => envoy.extprocPort],
  ['envoy.admin_port', (envoy) => envoy.adminPort],
  ['envoy.failure_mode_allow', (envoy) => envoy.failureModeAllow],
  ['envoy.allow_mode_override', (envoy) => envoy.allowModeOverride],
  ['envoy.message_timeout', (envoy) => `${envoy.messageTimeoutMs}ms`],
  ['envoy.max_message_timeout', (envoy) => `${envoy.maxMessageTimeoutMs}ms`],
  ['envoy.buffer_limit_bytes', (envoy) => envoy.bufferLimitBytes],
  ['envoy.route_cache_action', (envoy) => envoy.routeCacheAction],
  ['envoy.processing_mode.request_header_mode', (envoy) => envoy.processingMode.requestHeaderMode],
  ['envoy.processing_mode.request_body_mode', (envoy) => envoy.processingMode.requestBodyMode],
  ['envoy.processing_mode.response_header_mode', (envoy) => envoy.processingMode.responseHeaderMode],
  ['envoy.processing_mode.response_body_mode', (envoy) => envoy.processingMode.responseBodyMode],
];

/** Sections that hold only restart-only settings (`router` is partly live, so it is compared field by field). */
const RESTART_ONLY_SECTIONS: ReadonlySet<string> = new Set(['listeners', 'envoy', 'router', 'config_source', 'kubernetes', 'dashboard']);

/** `config_source` and `kubernetes.*` as written, for the restart-only comparison. */
function configSourceFields(config: RuntimeConfig): readonly (readonly [string, string])[] {
  const source = config.configSource ?? { kind: 'file' };
  if (source.kind === 'file') return [['config_source', 'file']];
  return [['config_source', 'kubernetes'], ['kubernetes.namespace', source.namespace ?? "(the pod's)"], ['kubernetes.router_name', source.routerName]];
}

function restartOnlyChanges(serving: RuntimeConfig, loaded: RuntimeConfig): RestartOnlyChange[] {
  const changes: RestartOnlyChange[] = [];
  const compare = (field: string, servingValue: unknown, configuredValue: unknown): void => {
    if (servingValue !== configuredValue) changes.push({ field, serving: String(servingValue), configured: String(configuredValue) });
  };
  const count = Math.max(serving.listeners.length, loaded.listeners.length);
  for (let i = 0; i < count; i++) {
    const was = serving.listeners[i];
    const now = loaded.listeners[i];
    if (was === undefined || now === undefined) {
      compare(`listeners[${i}]`, was === undefined ? 'none' : `${was.name} on ${was.address}:${was.port}`, now === undefined ? 'none' : `${now.name} on ${now.address}:${now.port}`);
      continue;
    }
    compare(`listeners[${i}].name`, was.name, now.name);
    compare(`listeners[${i}].address`, was.address, now.address);
    compare(`listeners[${i}].port`, was.port, now.port);
    compare(`listeners[${i}].timeout`, `${was.timeoutMs}ms`, `${now.timeoutMs}ms`);
  }
  for (const [field, read] of RESTART_ONLY_ENVOY) compare(field, read(serving.envoy), read(loaded.envoy));
  compare('router.cluster_header', serving.router.clusterHeader, loaded.router.clusterHeader);
  // The config source is chosen when `serve` starts (a watched file or watched resources).
  const servingSource = new Map(configSourceFields(serving));
  const loadedSource = new Map(configSourceFields(loaded));
  for (const field of new Set([...servingSource.keys(), ...loadedSource.keys()])) compare(field, servingSource.get(field) ?? 'unset', loadedSource.get(field) ?? 'unset');
  // The dashboard and its record store start with the admin server.
  compare('dashboard.enabled', serving.dashboard?.enabled, loaded.dashboard?.enabled);
  compare('dashboard.replay', JSON.stringify(serving.dashboard?.replay), JSON.stringify(loaded.dashboard?.replay));
  // The exporters start with the process (telemetry/telemetry-stack.ts); accounting and the baseline are live.
  const exporters = (config: RuntimeConfig): string => {
    const o = config.observability;
    return JSON.stringify([o?.metricsOtlpEndpoint, o?.metricsExportIntervalMs, o?.tracing]);
  };
  compare('observability.metrics / observability.tracing', exporters(serving), exporters(loaded));
  return changes;
}

function sameValue(a: unknown, b: unknown): boolean {
  if (a instanceof Set && b instanceof Set) return a.size === b.size && [...a].every((value) => b.has(value));
  return a === b;
}

/** Whether a router setting other than the (restart-only) cluster header changed. */
function liveRouterChanged(serving: RouterSettings, loaded: RouterSettings): boolean {
  const keys = new Set([...Object.keys(serving), ...Object.keys(loaded)].filter((key) => key !== 'clusterHeader'));
  return [...keys].some((key) => !sameValue(serving[key as keyof RouterSettings], loaded[key as keyof RouterSettings]));
}

function appliedSections(serving: RuntimeConfig, loaded: RuntimeConfig): string[] {
  const sections = new Set([...Object.keys(serving.sectionDigests), ...Object.keys(loaded.sectionDigests)]);
  const applied = [...sections].filter((section) => !RESTART_ONLY_SECTIONS.has(section) && serving.sectionDigests[section] !== loaded.sectionDigests[section]);
  if (liveRouterChanged(serving.router, loaded.router)) applied.push('router');
  const [was, now] = [serving.dashboard, loaded.dashboard];
  if (was?.token !== now?.token || was?.showPrompts !== now?.showPrompts || was?.showAccessKeys !== now?.showAccessKeys) applied.push('dashboard');
  return applied.sort();
}

/**
 * Plans a reload of `loaded` over the config `serving`: every section that can change for new
 * streams (providers, signals, decisions and their plug-ins, the semantic cache, the live router
 * settings) is taken from `loaded`; listener, port and ext_proc settings keep their serving
 * values and are reported, so nothing is claimed to apply that does not.
 */
export function planReload(serving: RuntimeConfig, loaded: RuntimeConfig): ReloadPlan {
  const restartRequired = restartOnlyChanges(serving, loaded);
  const config: RuntimeConfig = Object.freeze({
    ...loaded,
    listeners: serving.listeners,
    envoy: serving.envoy,
    ...(serving.configSource !== undefined && { configSource: serving.configSource }),
    router: Object.freeze({ ...loaded.router, clusterHeader: serving.router.clusterHeader }),
    ...(loaded.dashboard === undefined || serving.dashboard === undefined
      ? {}
      : { dashboard: Object.freeze({ ...loaded.dashboard, enabled: serving.dashboard.enabled, replay: serving.dashboard.replay }) }),
  });
  return { config, applied: appliedSections(serving, loaded), restartRequired };
}

/** One line saying what a reload applied and what it did not; never a bare "reloaded". */
export function describeReload(plan: ReloadPlan): string {
  const applied = plan.applied.length === 0 ? 'no live setting changed' : `applied for new streams: ${plan.applied.join(', ')}`;
  if (plan.restartRequired.length === 0) return `config reloaded (${applied})`;
  return `config reloaded in part (${applied}; not applied until a restart: ${plan.restartRequired.map((change) => change.field).join(', ')})`;
}
