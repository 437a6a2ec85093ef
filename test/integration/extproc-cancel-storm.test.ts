import { setTimeout as delay } from 'node:timers/promises';
import type { RuntimeConfig } from '../../src/config/runtime-config.js';
import { startExtProcServer, type ExtProcServer } from '../../src/extproc/server.js';
import { createSilentLogger } from '../../src/telemetry/logger.js';
import { PrometheusRouterMetrics } from '../../src/telemetry/metrics.js';
import { loadConfigOrThrow } from '../helpers/config-fixture.js';
import { ExtProcTestClient, requestHeadersMessage } from '../helpers/extproc-client.js';

const CANCELS = 3000;
const CHAT = JSON.stringify({ model: 'auto', messages: [{ role: 'user', content: 'What is a Python decorator?' }] });

/**
 * Regression: Envoy resets its ext_proc stream when the downstream client goes away. Node's
 * HTTP/2 server trips its rapid-reset guard after about 1000 resets on one connection and
 * drops the session, failing every healthy stream in flight on it with UNAVAILABLE/INTERNAL.
 */
describe('ext_proc sidecar under a cancel storm on one connection', () => {
  let config: RuntimeConfig;
  let sidecar: ExtProcServer;
  let metrics: PrometheusRouterMetrics;

  beforeAll(async () => {
    config = await loadConfigOrThrow();
    metrics = new PrometheusRouterMetrics();
    sidecar = await startExtProcServer({ address: '127.0.0.1', port: 0, store: { current: () => config }, logger: createSilentLogger(), metrics });
  });

  afterAll(async () => {
    await sidecar.close();
    await config.close();
  });

  it(`serves healthy streams next to ${CANCELS} client resets (cancel()) with 0 failures`, async () => {
    // One grpc-js channel = one HTTP/2 connection, shared by the storm and the healthy traffic, as in Envoy.
    const envoy = new ExtProcTestClient(sidecar.port);
    let stormDone = false;
    const storm = (async () => {
      for (let i = 0; i < CANCELS; i += 1) {
        const stream = envoy.open();
        stream.write(requestHeadersMessage({ method: 'POST', path: '/v1/chat/completions', body: CHAT }));
        // Half of the cancels land while the sidecar still works on the message, half right after its reply.
        if (i % 2 === 0) await stream.nextReply().catch(() => undefined);
        else await delay(0);
        stream.cancel();
      }
      stormDone = true;
    })();
    const failures: string[] = [];
    let healthy = 0;
    const worker = async (): Promise<void> => {
      while (!stormDone) {
        try {
          const exchange = await envoy.exchange({ method: 'POST', path: '/v1/chat/completions', body: CHAT }, undefined, 'graceful');
          if (exchange.requestBody?.['request_body'] === undefined) failures.push('no request_body reply');
          healthy += 1;
        } catch (error) {
          failures.push((error as Error).message);
        }
      }
    };
    await Promise.all([storm, worker(), worker(), worker(), worker()]);
    envoy.close();
    expect(healthy).toBeGreaterThan(20);
    expect(failures).toEqual([]);
    expect(await metrics.render()).toMatch(/switchyard_extproc_sessions_retired_total\{reason="client_resets"\} [1-9]/);
  }, 120_000);
});
