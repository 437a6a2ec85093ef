import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { EnvoySettings } from '../config/runtime-config.js';
import { loadExtProcDefinitions } from '../extproc/envoy-protos.js';
import { extProcChannelSecurity } from '../extproc/ext-proc-tls.js';
import { newExtProcCounters, type ExtProcCounters } from './ext-proc-counters.js';
import type { ExtProcClient } from './ext-proc-session.js';
import { GatewayExchange } from './gateway-exchange.js';
import { silentLogger, type GatewayLogger } from './gateway-logger.js';
import { RouteTable, type ClusterTarget } from './route-table.js';
import { UpstreamPool } from './upstream-pool.js';

/** Room for the protobuf framing around a body that fills the whole buffer limit. */
const GRPC_MESSAGE_HEADROOM_BYTES = 64 * 1024;

export interface GatewayOptions {
  readonly listen: { readonly address: string; readonly port: number };
  /** The ext_proc sidecar's gRPC address. */
  readonly sidecar: { readonly address: string; readonly port: number };
  readonly settings: EnvoySettings;
  /** Header the sidecar writes the cluster name into (`cluster_header` routing); stripped from clients. */
  readonly clusterHeader: string;
  /** Read on every request, so a config reload changes the clusters without a restart. */
  readonly clusters: () => ReadonlyMap<string, ClusterTarget>;
  /** Upstream header and idle deadline (→ 504); default 300 s. */
  readonly requestTimeoutMs?: number;
  readonly logger?: GatewayLogger;
}

export interface Gateway {
  readonly port: number;
  /** Envoy-named ext_proc counters, summed over all requests so far. */
  counters(): Readonly<ExtProcCounters>;
  /** Stops listening, ends in-flight requests and releases gRPC and upstream connections. */
  close(): Promise<void>;
}

function grpcTarget(address: string, port: number): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}

/**
 * Starts the built-in gateway: an HTTP/1.1 listener that plays Envoy's part for the §5
 * envoy.yaml, calling the sidecar over the real ext_proc gRPC protocol for every request.
 */
export async function startGateway(options: GatewayOptions): Promise<Gateway> {
  const logger = options.logger ?? silentLogger;
  const counters = newExtProcCounters();
  const messageLimit = options.settings.bufferLimitBytes + GRPC_MESSAGE_HEADROOM_BYTES;
  const { Client } = loadExtProcDefinitions();
  const security = await extProcChannelSecurity(options.settings.extprocTls?.client);
  const client = new Client(grpcTarget(options.sidecar.address, options.sidecar.port), security.credentials, {
    ...security.options,
    'grpc.max_send_message_length': messageLimit,
    'grpc.max_receive_message_length': messageLimit,
  }) as unknown as ExtProcClient;
  const upstreams = new UpstreamPool(options.requestTimeoutMs);
  const context = {
    client,
    settings: options.settings,
    counters,
    logger,
    routes: new RouteTable(options.clusterHeader, options.clusters),
    upstreams,
    clusterHeader: options.clusterHeader.toLowerCase(),
  };
  const inFlight = new Set<GatewayExchange>();

  const server = http.createServer((request, response) => {
    if (request.url === '/healthz') {
      // The §5 `healthz` route: a direct response with ext_proc disabled.
      response.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
      return;
    }
    const exchange = new GatewayExchange(context, request, response);
    inFlight.add(exchange);
    void exchange.run().finally(() => inFlight.delete(exchange));
  });
  server.listen(options.listen.port, options.listen.address);
  await once(server, 'listening');

  return {
    port: (server.address() as AddressInfo).port,
    counters: () => ({ ...counters }),
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const exchange of inFlight) exchange.cancel();
      server.closeAllConnections();
      await closed;
      client.close();
      await upstreams.close();
    },
  };
}
