import { matchApiPath, UNKNOWN_PATH_DIRECT_MESSAGE } from '../router/api-paths.js';
import type { HeaderList } from './header-list.js';
import { errorReply, type LocalReply } from './local-reply.js';

/** Where a cluster sends traffic: `http(s)://host:port`, and the hostname for Host (auto_host_rewrite). */
export interface ClusterTarget {
  readonly baseUrl: string;
  readonly hostname: string;
}

/** The route the router acts on: a cluster, or a local reply (unrouted, unknown path or unknown cluster). */
export type RouteDecision =
  | { readonly kind: 'cluster'; readonly clusterName: string; readonly target: ClusterTarget }
  | { readonly kind: 'local'; readonly reply: LocalReply };

/**
 * The route table of the rendered envoy.yaml: `routed` (cluster header present →
 * `cluster_header` routing, unknown name → 503 `cluster_not_found`), `unrouted` (a served API
 * path the sidecar did not route: direct 503) and `unknown_path` (every other path: direct 404
 * naming the served paths). Both envoy.yaml and this table are built from `router/api-paths.ts`.
 * With `failure_mode_allow`, `unrouted` goes to the fail-open cluster instead (config/fail-open-cluster.ts).
 */
export class RouteTable {
  constructor(
    private readonly clusterHeader: string,
    private readonly clusters: () => ReadonlyMap<string, ClusterTarget>,
    /** The cluster an unrouted API request goes to (fail-open), or undefined for the direct 503. */
    private readonly failOpenCluster: () => string | undefined = () => undefined,
  ) {}

  /** Matches the route for these request headers (Envoy's route selection; first header value only). */
  select(headers: HeaderList): RouteDecision {
    const clusterName = headers.get(this.clusterHeader);
    if (clusterName === undefined) {
      if (matchApiPath(headers.get(':path') ?? '/') === undefined) {
        return { kind: 'local', reply: errorReply('SY_ERR_UNKNOWN_PATH', UNKNOWN_PATH_DIRECT_MESSAGE, 'direct_response') };
      }
      const failOpen = this.failOpenCluster();
      const failOpenTarget = failOpen === undefined ? undefined : this.clusters().get(failOpen);
      if (failOpen !== undefined && failOpenTarget !== undefined) return { kind: 'cluster', clusterName: failOpen, target: failOpenTarget };
      return { kind: 'local', reply: errorReply('SY_ERR_NO_ROUTE', 'no upstream selected', 'direct_response') };
    }
    const target = this.clusters().get(clusterName);
    if (target === undefined) {
      return { kind: 'local', reply: errorReply('SY_ERR_NO_ROUTE', `unknown cluster "${clusterName}"`, 'cluster_not_found') };
    }
    return { kind: 'cluster', clusterName, target };
  }
}
