import type { RuntimeConfig } from '../config/runtime-config.js';
import type { ClusterTarget } from '../gateway/route-table.js';

const targetsByConfig = new WeakMap<RuntimeConfig, ReadonlyMap<string, ClusterTarget>>();

/**
 * The gateway's clusters for a config snapshot: one per model endpoint, named as the sidecar
 * writes it into the cluster header. Memoised per snapshot because the gateway asks on every
 * request, and a reload produces a new snapshot (so a new table) without any notification.
 */
export function clusterTargets(config: RuntimeConfig): ReadonlyMap<string, ClusterTarget> {
  const known = targetsByConfig.get(config);
  if (known !== undefined) return known;
  const targets = new Map<string, ClusterTarget>();
  for (const model of config.models.values()) {
    for (const endpoint of model.endpoints) {
      const host = endpoint.host.includes(':') ? `[${endpoint.host}]` : endpoint.host;
      targets.set(endpoint.cluster, { baseUrl: `${endpoint.protocol}://${host}:${endpoint.port}`, hostname: endpoint.host });
    }
  }
  targetsByConfig.set(config, targets);
  return targets;
}
