import { spawn } from 'node:child_process';
import { once } from 'node:events';
import OpenAI from 'openai';
import type { SwitchyardPorts } from '../../src/serve-stack/switchyard-stack.js';
import { SEED_CONFIG_PATH } from '../helpers/config-fixture.js';
import { LOCAL_MODEL, startSeedStubs, type SeedStubs } from '../helpers/e2e-stack.js';
import { SWITCHYARD_CLI, startServe, type ServeProcess } from '../helpers/serve-process.js';

function sdkClient(port: number | undefined): OpenAI {
  return new OpenAI({ baseURL: `http://127.0.0.1:${port}/v1`, apiKey: 'e2e-test', maxRetries: 0 });
}

describe('switchyard serve as a process', () => {
  let stubs: SeedStubs;
  let serve: ServeProcess;
  let ports: SwitchyardPorts;

  beforeAll(async () => {
    stubs = await startSeedStubs();
    serve = await startServe(stubs.config.path);
    ports = serve.ports;
  });

  afterAll(async () => {
    await serve.stop();
    await stubs.close();
  });

  const admin = (urlPath: string): Promise<Response> => fetch(`http://127.0.0.1:${ports.admin}${urlPath}`);

  it('reports the bound ports on one ready line', () => {
    expect(ports).toEqual({ grpc: expect.any(Number), listeners: [expect.any(Number)], admin: expect.any(Number) });
  });

  it('answers /healthz and /readyz on the admin port', async () => {
    const health = await admin('/healthz');
    expect(health.status).toBe(200);
    expect(await health.text()).toBe('ok\n');
    const ready = await admin('/readyz');
    expect(ready.status).toBe(200);
  });

  it('routes a request through the gateway and counts it in /metrics', async () => {
    const completion = await sdkClient(ports.listeners[0]).chat.completions.create({ model: 'auto', messages: [{ role: 'user', content: 'Implement a stack class.' }] });
    expect(completion.model).toBe(LOCAL_MODEL);
    const metrics = await admin('/metrics');
    expect(metrics.status).toBe(200);
    expect(metrics.headers.get('content-type')).toContain('text/plain');
    const text = await metrics.text();
    expect(text).toContain(`switchyard_requests_total{decision="coding-route",model="${LOCAL_MODEL}"} 1`);
    expect(text).toContain('switchyard_gateway_ext_proc_events_total{counter="streams_started"} 1');
  });

  it('runs the sidecar alone with --no-gateway, and a gateway against it with --sidecar', async () => {
    const sidecarOnly = await startServe(stubs.config.path, '--no-gateway');
    try {
      expect(sidecarOnly.ports).toEqual({ grpc: expect.any(Number), listeners: [], admin: expect.any(Number) });
      const remote = await startServe(stubs.config.path, '--sidecar', `127.0.0.1:${sidecarOnly.ports.grpc}`);
      try {
        expect(remote.ports).toEqual({ grpc: null, listeners: [expect.any(Number)], admin: expect.any(Number) });
        const completion = await sdkClient(remote.ports.listeners[0]).chat.completions.create({ model: 'auto', messages: [{ role: 'user', content: 'hello' }] });
        expect(completion.model).toBe(LOCAL_MODEL);
      } finally {
        remote.child.kill('SIGTERM');
        expect(await remote.exited).toEqual({ code: 0, signal: null });
      }
    } finally {
      sidecarOnly.child.kill('SIGTERM');
      expect(await sidecarOnly.exited).toEqual({ code: 0, signal: null });
    }
  });

  it('exits 0 on SIGTERM and stops listening', async () => {
    serve.child.kill('SIGTERM');
    expect(await serve.exited).toEqual({ code: 0, signal: null });
    await expect(admin('/healthz')).rejects.toThrow();
  });
});

describe('switchyard envoy --check', () => {
  it('renders the seed config and passes the strict proto check', async () => {
    const child = spawn(process.execPath, [SWITCHYARD_CLI, 'envoy', '--config', SEED_CONFIG_PATH, '--check'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const [code] = await once(child, 'exit');
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    expect(stdout).toContain('envoy.filters.http.ext_proc');
    expect(stdout).toContain('cluster_header: x-switchyard-cluster');
  });
});
