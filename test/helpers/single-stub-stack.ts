import type { RuntimeConfig } from '../../src/config/runtime-config.js';
import { inProcessSidecar } from '../../src/extproc/in-process-transport.js';
import { startExtProcServer, type ExtProcServer } from '../../src/extproc/server.js';
import { routeChatCompletion } from '../../src/router/route-request.js';
import { PrometheusRouterMetrics } from '../../src/telemetry/metrics.js';
import { startGateway, type Gateway } from '../../src/gateway/http-gateway.js';
import { createSilentLogger, type RouterLogger } from '../../src/telemetry/logger.js';
import { startStubUpstream, type StubUpstream } from '../../src/upstream-stub/stub-upstream.js';
import { loadConfigOrThrow, SEED_CONFIG_PATH } from './config-fixture.js';

/**
 * Sidecar + built-in gateway in one process, with every cluster of the config pointed at one
 * stub: one gateway reaches the sidecar over gRPC (as Envoy does), another in-process (as `serve` does).
 */
export interface SingleStubStack {
  readonly config: RuntimeConfig;
  readonly sidecar: ExtProcServer;
  readonly stub: StubUpstream;
  readonly gateway: Gateway;
  readonly inProcessGateway: Gateway;
  close(): Promise<void>;
}

/** Starts the stack for a config file loaded through the real loader. */
export async function startSingleStubStack(configPath: string = SEED_CONFIG_PATH, logger: RouterLogger = createSilentLogger()): Promise<SingleStubStack> {
  const config = await loadConfigOrThrow(configPath);
  const sidecar = await startExtProcServer({ address: '127.0.0.1', port: 0, store: { current: () => config }, logger });
  const stub = await startStubUpstream({ port: 0, model: 'stub' });
  const clusters = new Map(
    [...config.models.values()].flatMap((model) =>
      model.endpoints.map((endpoint) => [endpoint.cluster, { baseUrl: `http://127.0.0.1:${stub.port}`, hostname: endpoint.host }] as const),
    ),
  );
  const gateway = await startGateway({
    listen: { address: '127.0.0.1', port: 0 },
    sidecar: { address: '127.0.0.1', port: sidecar.port },
    settings: config.envoy,
    clusterHeader: config.router.clusterHeader,
    clusters: () => clusters,
  });
  const sidecarInProcess = inProcessSidecar({ store: { current: () => config }, route: routeChatCompletion, logger, metrics: new PrometheusRouterMetrics(), cacheFor: () => undefined });
  const inProcessGateway = await startGateway({
    listen: { address: '127.0.0.1', port: 0 },
    sidecar: { inProcess: sidecarInProcess },
    settings: config.envoy,
    clusterHeader: config.router.clusterHeader,
    clusters: () => clusters,
  });
  return {
    config,
    sidecar,
    stub,
    gateway,
    inProcessGateway,
    async close() {
      await inProcessGateway.close();
      await gateway.close();
      await stub.close();
      await sidecar.close();
      await config.close();
    },
  };
}
