import http from 'node:http';
import type { RuntimeConfig } from '../../src/config/runtime-config.js';
import { startExtProcServer, type ExtProcServer } from '../../src/extproc/server.js';
import { startGateway, type Gateway } from '../../src/gateway/http-gateway.js';
import { createSilentLogger } from '../../src/telemetry/logger.js';
import { PrometheusRouterMetrics } from '../../src/telemetry/metrics.js';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { loadConfigOrThrow } from '../helpers/config-fixture.js';
import { postChatStatus } from '../helpers/post-chat.js';

const CANCELS = 3000;
const STORM_CONCURRENCY = 32;
const BODY = JSON.stringify({ model: 'auto', messages: [{ role: 'user', content: 'What is a Python decorator?' }] });

/**
 * Regression: a client that disconnected before the response headers made the gateway reset its
 * ext_proc stream; after about 1000 of them Node's rapid-reset guard on the sidecar dropped the
 * shared HTTP/2 connection and healthy requests in flight failed with 500 ext_proc_failed.
 */
describe('gateway under a client cancel storm', () => {
  let config: RuntimeConfig;
  let sidecar: ExtProcServer;
  let sidecarMetrics: PrometheusRouterMetrics;
  let upstream: HoldingUpstream;
  let gateway: Gateway;

  beforeAll(async () => {
    config = await loadConfigOrThrow();
    sidecarMetrics = new PrometheusRouterMetrics();
    sidecar = await startExtProcServer({ address: '127.0.0.1', port: 0, store: { current: () => config }, logger: createSilentLogger(), metrics: sidecarMetrics });
    upstream = await startHoldingUpstream();
    const clusters = new Map(
      [...config.models.values()].flatMap((model) =>
        model.endpoints.map((endpoint) => [endpoint.cluster, { baseUrl: `http://127.0.0.1:${upstream.port}`, hostname: endpoint.host }] as const),
      ),
    );
    gateway = await startGateway({
      listen: { address: '127.0.0.1', port: 0 },
      sidecar: { address: '127.0.0.1', port: sidecar.port },
      settings: config.envoy,
      clusterHeader: config.router.clusterHeader,
      clusters: () => clusters,
    });
  });

  afterAll(async () => {
    await gateway.close();
    await upstream.close();
    await sidecar.close();
    await config.close();
  });

  it(`keeps healthy requests whole next to ${CANCELS} cancels, without resetting ext_proc streams`, async () => {
    let stormDone = false;
    let cancelled = 0;
    const stormWorker = async (): Promise<void> => {
      while (cancelled < CANCELS) {
        cancelled += 1;
        await cancelBeforeHeaders(gateway.port, upstream, `storm-${cancelled}`);
      }
    };
    const storm = Promise.all(Array.from({ length: STORM_CONCURRENCY }, stormWorker)).then(() => {
      stormDone = true;
    });
    const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
    const statuses = new Map<string, number>();
    const healthyWorker = async (): Promise<void> => {
      while (!stormDone) {
        const outcome = await postChatStatus(gateway.port, BODY, agent).then(String, (error: Error) => error.message);
        statuses.set(outcome, (statuses.get(outcome) ?? 0) + 1);
      }
    };
    await Promise.all([storm, healthyWorker(), healthyWorker(), healthyWorker(), healthyWorker()]);
    agent.destroy();
    expect([...statuses.keys()]).toEqual(['200']);
    // Every cancel reached the upstream, so each had an ext_proc stream open when the client left.
    expect(gateway.counters().streams_started).toBeGreaterThanOrEqual(CANCELS);
    expect(statuses.get('200')).toBeGreaterThan(20);
    // The gateway half-closes abandoned streams: no resets reach the sidecar at all.
    expect(await sidecarMetrics.render()).toMatch(/^switchyard_extproc_stream_resets_total 0$/m);
  }, 300_000);
});

/**
 * An upstream that answers healthy requests at once and holds storm requests (marked by
 * `x-storm-id`) until the gateway gives up on them, telling the test when each arrived.
 */
interface HoldingUpstream {
  readonly port: number;
  arrived(id: string): Promise<void>;
  close(): Promise<void>;
}

async function startHoldingUpstream(): Promise<HoldingUpstream> {
  const waiting = new Map<string, () => void>();
  const server = http.createServer((request, response) => {
    const id = request.headers['x-storm-id'];
    request.resume();
    if (typeof id === 'string') {
      waiting.get(id)?.();
      return;
    }
    const body = JSON.stringify({ id: 'c1', object: 'chat.completion', created: 0, model: 'stub', choices: [{ index: 0, message: { role: 'assistant', content: 'ok' }, finish_reason: 'stop' }] });
    response.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }).end(body);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    port: (server.address() as AddressInfo).port,
    arrived: (id) => new Promise((resolve) => waiting.set(id, () => { waiting.delete(id); resolve(); })),
    close: () => new Promise((resolve) => { server.close(() => resolve()); server.closeAllConnections(); }),
  };
}

/** Sends a chat request and drops the connection once the upstream has it, before any response header. */
function cancelBeforeHeaders(port: number, upstream: HoldingUpstream, id: string): Promise<void> {
  return new Promise((resolve) => {
    const headers = { 'content-type': 'application/json', 'content-length': Buffer.byteLength(BODY), 'x-storm-id': id };
    const request = http.request({ host: '127.0.0.1', port, method: 'POST', path: '/v1/chat/completions', agent: false, headers });
    void upstream.arrived(id).then(() => request.destroy());
    request.on('error', () => resolve());
    request.on('close', () => resolve());
    request.end(BODY);
  });
}
