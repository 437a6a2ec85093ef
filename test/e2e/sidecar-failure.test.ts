import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import net from 'node:net';
import OpenAI from 'openai';
import { loadConfigText } from '../../src/config/load.js';
import { buildEnvoyConfig } from '../../src/envoy/render-envoy-config.js';
import { SEED_CONFIG_PATH } from '../helpers/config-fixture.js';
import { apiError, startE2eStack, type E2eStack } from '../helpers/e2e-stack.js';
import { unusedPort } from '../helpers/free-port.js';

const ASK = { model: 'auto', messages: [{ role: 'user' as const, content: 'What is a Python decorator?' }] };

describe('a sidecar that cannot be reached', () => {
  let stack: E2eStack | undefined;

  let silent: { close(): Promise<void> } | undefined;

  afterEach(async () => {
    await stack?.close();
    stack = undefined;
    await silent?.close();
    silent = undefined;
  });

  it('fails closed with a 500 by default (failure_mode_allow: false)', async () => {
    stack = await startE2eStack({ sidecar: { address: '127.0.0.1', port: await unusedPort() } });
    const error = await apiError(() => stack!.client.chat.completions.create(ASK));
    expect(error).toBeInstanceOf(OpenAI.InternalServerError);
    expect(error.status).toBe(500);
    expect(stack.local.requests).toHaveLength(0);
    expect(stack.cloud.requests).toHaveLength(0);
  });

  it('fails closed with a 504 when the sidecar does not answer in time (failure_mode_allow: false)', async () => {
    const hanging = await silentServer();
    silent = hanging;
    stack = await startE2eStack({ sidecar: { address: '127.0.0.1', port: hanging.port }, envoy: { message_timeout: '300ms' } });
    const error = await apiError(() => stack!.client.chat.completions.create(ASK));
    expect(error.status).toBe(504);
    expect(error.code).toBe('ext_proc_timeout');
    expect(stack.local.requests).toHaveLength(0);
  });

  // Envoy continues an unmodified request when the side stream fails and failure_mode_allow is
  // set (ext_proc reference §2.10); its cached route is the served path's `unrouted` one, which
  // the rendered envoy.yaml points at the default model's cluster when fail-open is on.
  it('with failure_mode_allow: true, forwards the request unmodified to the default model when the sidecar is down', async () => {
    stack = await startE2eStack({ sidecar: { address: '127.0.0.1', port: await unusedPort() }, envoy: { failure_mode_allow: true } });
    // A cluster header from the client is stripped before routing: it cannot pick the fail-open target.
    const completion = await stack.client.chat.completions.create(ASK, { headers: { 'x-switchyard-cluster': 'gemini-2_5-pro__gemini-primary' } });
    expect(completion.choices[0]?.message.content).toBeTruthy();
    expect(stack.local.requests).toHaveLength(1);
    expect(JSON.parse(stack.local.requests[0]!.body)).toEqual(ASK);
    expect(stack.cloud.requests).toHaveLength(0);
  });

  it('with failure_mode_allow: true, forwards the request unmodified when the sidecar times out', async () => {
    const hanging = await silentServer();
    silent = hanging;
    stack = await startE2eStack({ sidecar: { address: '127.0.0.1', port: hanging.port }, envoy: { failure_mode_allow: true, message_timeout: '300ms' } });
    const completion = await stack.client.chat.completions.create(ASK);
    expect(completion.choices[0]?.message.content).toBeTruthy();
    expect(stack.local.requests).toHaveLength(1);
    expect(JSON.parse(stack.local.requests[0]!.body)).toEqual(ASK);
  });

  it('passes failure_mode_allow through to the rendered envoy.yaml, with the unrouted routes on the default model', async () => {
    const seed = await readFile(SEED_CONFIG_PATH, 'utf8');
    for (const allow of [true, false]) {
      const { config, diagnostics } = await loadConfigText(`${seed.trimEnd()}\nenvoy:\n  failure_mode_allow: ${allow}\n`, 'fail-open.yaml', { env: {} });
      await config?.close();
      expect(diagnostics.filter((diagnostic) => diagnostic.message.includes('failure_mode_allow'))).toEqual([]);
      const envoy = buildEnvoyConfig(config!) as any;
      const hcm = envoy.static_resources.listeners[0].filter_chains[0].filters[0].typed_config;
      expect(hcm.http_filters[0].typed_config.failure_mode_allow).toBe(allow);
      const unrouted = hcm.route_config.virtual_hosts[0].routes.find((route: { name: string }) => route.name === 'unrouted /v1/chat/completions');
      if (allow) expect(unrouted.route).toMatchObject({ cluster: 'mlx-community_Qwen3-Coder-Next-4bit__mlx-local' });
      else expect(unrouted.direct_response.status).toBe(503);
    }
  });
});

/** A TCP server that accepts connections and never answers: a sidecar that hangs. */
async function silentServer(): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    port: (server.address() as net.AddressInfo).port,
    close: () => {
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
