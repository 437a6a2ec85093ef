import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { createInterface } from 'node:readline';
import OpenAI from 'openai';
import { READY_LINE_PREFIX } from '../../src/cli/commands/serve.js';
import type { SwitchyardPorts } from '../../src/serve-stack/switchyard-stack.js';
import { REPO_ROOT, SEED_CONFIG_PATH } from '../helpers/config-fixture.js';
import { LOCAL_MODEL, startSeedStubs, type SeedStubs } from '../helpers/e2e-stack.js';

// These tests run the compiled CLI (dist/), as a user would; `make test` builds it first.
const CLI = path.join(REPO_ROOT, 'bin', 'switchyard.js');

interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** Resolves with the ports from the ready line, or rejects with what the process said instead. */
function readyPorts(child: ChildProcess, stderr: () => string): Promise<SwitchyardPorts> {
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    lines.on('line', (line) => {
      if (!line.startsWith(READY_LINE_PREFIX)) return;
      lines.close();
      resolve(JSON.parse(line.slice(READY_LINE_PREFIX.length)) as SwitchyardPorts);
    });
    child.once('exit', (code) => reject(new Error(`serve exited with ${code} before it was ready:\n${stderr()}`)));
  });
}

/** A `switchyard serve` child process on free ports. */
interface ServeProcess {
  readonly child: ChildProcess;
  readonly exited: Promise<Exit>;
  readonly ports: SwitchyardPorts;
  /** Kills it if it still runs and waits for the exit. */
  stop(): Promise<Exit>;
}

async function startServe(configPath: string, ...extra: string[]): Promise<ServeProcess> {
  let stderr = '';
  const args = [CLI, 'serve', '--config', configPath, '--grpc-port', '0', '--listen-port', '0', '--admin-port', '0', ...extra];
  const child = spawn(process.execPath, args, { env: { ...process.env, SWITCHYARD_LOG_LEVEL: 'warn' }, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = once(child, 'exit').then(([code, signal]) => ({ code: code as number | null, signal: signal as NodeJS.Signals | null }));
  try {
    const ports = await readyPorts(child, () => stderr);
    return {
      child,
      exited,
      ports,
      stop: () => {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
        return exited;
      },
    };
  } catch (error) {
    child.kill('SIGKILL');
    await exited;
    throw error;
  }
}

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
    const child = spawn(process.execPath, [CLI, 'envoy', '--config', SEED_CONFIG_PATH, '--check'], { stdio: ['ignore', 'pipe', 'pipe'] });
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
