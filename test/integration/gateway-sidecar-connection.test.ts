import http from 'node:http';
import type { RuntimeConfig } from '../../src/config/runtime-config.js';
import { startExtProcServer, type ExtProcServer } from '../../src/extproc/server.js';
import { startGateway, type Gateway } from '../../src/gateway/http-gateway.js';
import { createSilentLogger } from '../../src/telemetry/logger.js';
import { startStubUpstream, type StubUpstream } from '../../src/upstream-stub/stub-upstream.js';
import { loadConfigOrThrow } from '../helpers/config-fixture.js';

/**
 * Regression: the gateway used to reset every ext_proc stream after its last reply (Envoy's
 * default close). Node's HTTP/2 server allows a burst of 1000 client resets per connection and
 * then answers with GOAWAY, so request ~1034 and every stream in flight with it failed with 500.
 */
describe('gateway to sidecar connection', () => {
  let config: RuntimeConfig;
  let sidecar: ExtProcServer;
  let stub: StubUpstream;
  let gateway: Gateway;
  const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });

  beforeAll(async () => {
    config = await loadConfigOrThrow();
    sidecar = await startExtProcServer({ address: '127.0.0.1', port: 0, store: { current: () => config }, logger: createSilentLogger() });
    stub = await startStubUpstream({ port: 0, model: 'any' });
    const clusters = new Map(
      [...config.models.values()].flatMap((model) =>
        model.endpoints.map((endpoint) => [endpoint.cluster, { baseUrl: `http://127.0.0.1:${stub.port}`, hostname: endpoint.host }] as const),
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
    agent.destroy();
    await gateway.close();
    await stub.close();
    await sidecar.close();
    await config.close();
  });

  it('serves well past 1000 requests on one sidecar connection', async () => {
    const body = JSON.stringify({ model: 'auto', messages: [{ role: 'user', content: 'What is a Python decorator?' }] });
    const statuses = new Map<number, number>();
    for (let i = 0; i < 1300; i += 4) {
      const batch = await Promise.all([0, 1, 2, 3].map(() => post(gateway.port, body, agent)));
      for (const status of batch) statuses.set(status, (statuses.get(status) ?? 0) + 1);
    }
    expect(Object.fromEntries(statuses)).toEqual({ 200: 1300 });
  }, 60000);
});

function post(port: number, body: string, agent: http.Agent): Promise<number> {
  return new Promise((resolve, reject) => {
    const request = http.request(
      { host: '127.0.0.1', port, method: 'POST', path: '/v1/chat/completions', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } },
      (response) => {
        response.resume();
        response.on('end', () => resolve(response.statusCode ?? 0));
      },
    );
    request.on('error', reject);
    request.end(body);
  });
}
