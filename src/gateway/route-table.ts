import type { HeaderList } from './header-list.js';
import { errorReply, type LocalReply } from './local-reply.js';

/** Where a cluster sends traffic: `http(s)://host:port`, and the hostname for Host (auto_host_rewrite). */
export interface ClusterTarget {
  readonly baseUrl: string;
  readonly hostname: string;
}

/** The route the router acts on: a cluster, or a local reply (the §5 catch-all, or an unknown cluster). */
export type RouteDecision =
  | { readonly kind: 'cluster'; readonly clusterName: string; readonly target: ClusterTarget }
  | { readonly kind: 'local'; readonly reply: LocalReply };

/**
 * The route table of the §5 envoy.yaml: `routed` (cluster header present → `cluster_header`
 * routing, unknown name → 503 `cluster_not_found`) and `unrouted` (catch-all direct 503).
 */
export class RouteTable {
  constructor(
    private readonly clusterHeader: string,
    private readonly clusters: () => ReadonlyMap<string, ClusterTarget>,
  ) {}

  /** Matches the route for these request headers (Envoy's route selection; first header value only). */
  select(headers: HeaderList): RouteDecision {
    const clusterName = headers.get(this.clusterHeader);
    if (clusterName === undefined) {
      return { kind: 'local', reply: errorReply('SY_ERR_NO_ROUTE', 'no upstream selected', 'direct_response') };
    }
    const target = this.clusters().get(clusterName);
    if (target === undefined) {
      return { kind: 'local', reply: errorReply('SY_ERR_NO_ROUTE', `unknown cluster "${clusterName}"`, 'cluster_not_found') };
    }
    return { kind: 'cluster', clusterName, target };
  }
}
