import { once } from 'node:events';
import net from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { buildEnvoyConfig } from '../../src/envoy/render-envoy-config.js';
import { PrometheusGatewayMetrics } from '../../src/telemetry/metrics.js';
import { defaultEnvoySource } from '../fixtures/envoy/envoy-config-sources.js';
import { replyPlan } from '../helpers/scripted-extproc-server.js';
import { chatBody, routedBodyReply, startHarness, TEST_SETTINGS, type Harness } from './gateway-harness.js';

/**
 * `envoy.downstream`: the caps an operator sets on client connections of a listener, as
 * Envoy's connection_limit filter and connection-manager options do. Each refusal is answered
 * with a precise status and error body, and counted.
 */

const LIMITS = { maxConnections: 2, maxRequestsPerConnection: 2, requestHeadersTimeoutMs: 400, idleTimeoutMs: 1500 };

/** Reads one raw HTTP/1.1 exchange until the server closes the connection or `waitMs` passes. */
async function rawExchange(port: number, request: string | undefined, waitMs: number): Promise<{ text: string; closed: boolean }> {
  const socket = net.connect(port, '127.0.0.1');
  await once(socket, 'connect');
  let text = '';
  socket.on('data', (chunk: Buffer) => (text += chunk.toString('latin1')));
  socket.on('error', () => undefined);
  if (request !== undefined) socket.write(request);
  const closed = await Promise.race([once(socket, 'close').then(() => true), delay(waitMs).then(() => false)]);
  socket.destroy();
  return { text, closed };
}

describe('downstream connection limits (envoy.downstream)', () => {
  let harness: Harness;
  let metrics: PrometheusGatewayMetrics;

  beforeEach(async () => {
    metrics = new PrometheusGatewayMetrics();
    harness = await startHarness(replyPlan({ request_body: routedBodyReply }), { settings: { ...TEST_SETTINGS, downstream: LIMITS }, metrics });
  });

  afterEach(async () => {
    await harness.close();
  });

  it('answers a connection past max_connections with 503 gateway_overloaded and closes it; counted', async () => {
    const held = await Promise.all([0, 1].map(async () => {
      const socket = net.connect(harness.gateway.port, '127.0.0.1');
      await once(socket, 'connect');
      return socket;
    }));
    try {
      await delay(50);
      const refused = await rawExchange(harness.gateway.port, undefined, 5_000);
      expect(refused.closed).toBe(true);
      expect(refused.text).toMatch(/^HTTP\/1\.1 503 /);
      expect(JSON.parse(refused.text.slice(refused.text.indexOf('\r\n\r\n') + 4)).error.code).toBe('gateway_overloaded');
      expect(await metrics.render()).toMatch(/switchyard_gateway_local_replies_total\{code="503",reason="downstream_connection_limit"\} 1/);
    } finally {
      for (const socket of held) socket.destroy();
    }
    // Once the held connections are gone, new ones are served again.
    await delay(50);
    expect((await harness.request({ body: chatBody() })).status).toBe(200);
  });

  it('closes a connection after max_requests_per_connection responses (connection: close on the last)', async () => {
    const body = chatBody();
    const request = `POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
    const socket = net.connect(harness.gateway.port, '127.0.0.1');
    socket.on('error', () => undefined);
    let text = '';
    socket.on('data', (chunk: Buffer) => (text += chunk.toString('latin1')));
    const closed = once(socket, 'close');
    const responses = (): number => text.split('HTTP/1.1 200').length - 1;
    const waitFor = async (count: number): Promise<void> => {
      while (responses() < count || !text.endsWith('0\r\n\r\n')) await delay(10);
    };
    socket.write(request);
    await waitFor(1);
    socket.write(request);
    await waitFor(2);
    await Promise.race([closed, delay(5_000)]);
    const heads = text.split('HTTP/1.1 ').slice(1).map((response) => /\r\nconnection: (\S+)/i.exec(response)?.[1]?.toLowerCase());
    expect(heads).toEqual(['keep-alive', 'close']);
    expect(socket.destroyed || socket.readableEnded).toBe(true);
    socket.destroy();
  });

  it('answers 408 request_headers_timeout when the header section does not arrive in time; counted', async () => {
    const started = performance.now();
    const outcome = await rawExchange(harness.gateway.port, 'POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n', 10_000);
    expect(outcome.closed).toBe(true);
    expect(outcome.text).toMatch(/^HTTP\/1\.1 408 /);
    expect(outcome.text).toContain('"request_timeout"');
    expect(performance.now() - started).toBeLessThan(5_000);
    expect(await metrics.render()).toMatch(/switchyard_gateway_local_replies_total\{code="408",reason="request_headers_timeout"\} 1/);
  });

  it('closes a keep-alive connection idle for idle_timeout (1.5 s here)', async () => {
    const body = chatBody();
    const request = `POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
    const outcome = await rawExchange(harness.gateway.port, request, 8_000);
    expect(outcome.text).toMatch(/^HTTP\/1\.1 200 /);
    expect(outcome.closed).toBe(true);
  });
});

describe('envoy.downstream in the rendered envoy.yaml', () => {
  it('becomes the listener connection limit and the connection manager timeouts and request cap', () => {
    const source = { ...defaultEnvoySource, envoy: { ...defaultEnvoySource.envoy, downstream: LIMITS } };
    const envoy = buildEnvoyConfig(source) as { layered_runtime: { layers: { static_layer: Record<string, unknown> }[] }; static_resources: { listeners: { name: string; filter_chains: { filters: { name: string; typed_config: Record<string, unknown> }[] }[] }[] } };
    const listener = envoy.static_resources.listeners[0]!;
    expect(envoy.layered_runtime.layers[0]!.static_layer[`envoy.resource_limits.listener.${listener.name}.connection_limit`]).toBe(2);
    const [hcm] = listener.filter_chains[0]!.filters;
    expect(hcm!.typed_config).toMatchObject({ request_headers_timeout: '0.400s', common_http_protocol_options: { idle_timeout: '1.500s', max_requests_per_connection: 2 } });
  });
});
