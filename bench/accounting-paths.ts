/**
 * Where cost accounting reads the response body, and what each choice costs: the same JSON and
 * SSE chat completions (seed config, one stub upstream) through the built-in gateway with
 *   in-process, off           accounting off: the body never reaches the sidecar (mode_override NONE)
 *   in-process, gateway reads accounting on as `serve` runs it: the gateway runs the sidecar's
 *                             usage meter on the body it forwards; the body stays out of the sidecar
 *   in-process, sidecar reads accounting on with the body through the sidecar in STREAMED mode, one
 *                             ext_proc message per chunk (what `serve` did before)
 *   grpc, off                 the sidecar over gRPC (Envoy's way), accounting off
 *   grpc, sidecar reads       over gRPC with accounting on: STREAMED, the only way behind Envoy
 * Latency at concurrency 1 (p50/p99) and throughput at concurrency 32 with the stack's CPU time
 * per request, variants interleaved round by round. The stack (gateways, sidecars, stub) runs in
 * a child process, the load client in this one.
 *
 *   npx tsx bench/accounting-paths.ts [--requests N] [--rounds N]
 *
 * Prints a table and writes bench/results/accounting-paths.json.
 */
import { execFileSync, fork, type ChildProcess } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { Pool } from 'undici';
import type { RuntimeConfig } from '../src/config/runtime-config.js';
import { InProcessExtProcTransport } from '../src/extproc/in-process-transport.js';
import { serveExtProcStream } from '../src/extproc/stream.js';
import { startExtProcServer } from '../src/extproc/server.js';
import { startGateway, type Gateway } from '../src/gateway/http-gateway.js';
import { createSilentLogger } from '../src/telemetry/logger.js';
import { startStubUpstream } from '../src/upstream-stub/stub-upstream.js';
import { loadConfigOrThrow, SEED_CONFIG_PATH } from '../test/helpers/config-fixture.js';
import { sendChatRequests } from './chat-load.js';

const VARIANTS = ['in-process, off', 'in-process, gateway reads', 'in-process, sidecar reads', 'grpc, off', 'grpc, sidecar reads'] as const;
type Variant = (typeof VARIANTS)[number];
const STACK_FLAG = '--stack';
const PROMPT = 'Implement a function that finds the longest palindromic substring.';
const BODIES = {
  json: JSON.stringify({ model: 'auto', messages: [{ role: 'user', content: PROMPT }] }),
  sse: JSON.stringify({ model: 'auto', messages: [{ role: 'user', content: PROMPT }], stream: true }),
} as const;
type Kind = keyof typeof BODIES;

/** The child: one gateway per variant, each with its own sidecar, every cluster on one stub. */
async function serveStack(): Promise<void> {
  const base = await loadConfigOrThrow(SEED_CONFIG_PATH);
  const logger = createSilentLogger();
  const stub = await startStubUpstream({ port: 0, model: 'stub' });
  const clusters = new Map([...base.models.values()].flatMap((model) => model.endpoints.map((endpoint) => [endpoint.cluster, { baseUrl: `http://127.0.0.1:${stub.port}`, hostname: endpoint.host }] as const)));
  const ports: Record<string, number> = {};
  const closers: (() => Promise<void>)[] = [];
  for (const variant of VARIANTS) {
    const config: RuntimeConfig = { ...base, observability: { ...base.observability!, accounting: !variant.endsWith('off') } };
    const sidecar = await startExtProcServer({ address: '127.0.0.1', port: 0, store: { current: () => config }, logger });
    const dependencies = sidecar.streamDependencies;
    // "sidecar reads" in-process: the same handler, but the call offers no way to hand the body to the gateway.
    const inProcess = variant === 'in-process, sidecar reads'
      ? new InProcessExtProcTransport((call) => serveExtProcStream(new Proxy(call, { get: (target, key) => (key === 'observeResponseBody' ? undefined : Reflect.get(target, key, target)) }), dependencies))
      : new InProcessExtProcTransport((call) => serveExtProcStream(call, dependencies));
    const gateway: Gateway = await startGateway({
      listen: { address: '127.0.0.1', port: 0 },
      sidecar: variant.startsWith('grpc') ? { address: '127.0.0.1', port: sidecar.port } : { inProcess },
      settings: config.envoy,
      clusterHeader: config.router.clusterHeader,
      clusters: () => clusters,
    });
    ports[variant] = gateway.port;
    closers.push(async () => {
      await gateway.close();
      await sidecar.close();
    });
  }
  process.send!({ ports });
  process.on('message', (message) => {
    if (message === 'cpu') {
      process.send!({ cpu: process.cpuUsage() });
      return;
    }
    void (async () => {
      for (const close of closers) await close();
      await stub.close();
      await base.close();
      process.disconnect();
    })();
  });
}

function childCpuMs(child: ChildProcess): Promise<number> {
  return new Promise((resolve) => {
    child.once('message', (message) => {
      const { cpu } = message as { cpu: NodeJS.CpuUsage };
      resolve((cpu.user + cpu.system) / 1000);
    });
    child.send('cpu');
  });
}

function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

const round = (value: number, digits = 3): number => Math.round(value * 10 ** digits) / 10 ** digits;

function numberArg(name: string, fallback: number): number {
  const at = process.argv.indexOf(name);
  return at === -1 ? fallback : Number(process.argv[at + 1]);
}

interface Tally {
  latencies: number[];
  throughputRequests: number;
  throughputSeconds: number;
  cpuMs: number;
}

async function main(): Promise<void> {
  const requests = numberArg('--requests', 3000);
  const rounds = numberArg('--rounds', 6);
  const perRound = Math.max(1, Math.floor(requests / rounds));
  const child = fork(fileURLToPath(import.meta.url), [STACK_FLAG], { execArgv: process.execArgv });
  const { ports } = await new Promise<{ ports: Record<Variant, number> }>((resolve) => child.once('message', (m) => resolve(m as { ports: Record<Variant, number> })));
  const pools = new Map(VARIANTS.map((variant) => [variant, new Pool(`http://127.0.0.1:${ports[variant]}`, { connections: 32, pipelining: 1 })]));
  const tallies = new Map<string, Tally>();
  const loadBefore = os.loadavg()[0]!;
  for (const kind of Object.keys(BODIES) as Kind[]) {
    for (const variant of VARIANTS) await sendChatRequests(pools.get(variant)!, BODIES[kind], 8, 300);
    for (let r = 0; r < rounds; r += 1) {
      // Rotated order, so a machine-wide slowdown hits every variant alike.
      const order = VARIANTS.map((_, i) => VARIANTS[(i + r) % VARIANTS.length]!);
      for (const variant of order) {
        const key = `${kind}|${variant}`;
        const tally = tallies.get(key) ?? { latencies: [], throughputRequests: 0, throughputSeconds: 0, cpuMs: 0 };
        tallies.set(key, tally);
        tally.latencies.push(...(await sendChatRequests(pools.get(variant)!, BODIES[kind], 1, perRound)).latencies);
        const cpuBefore = await childCpuMs(child);
        const started = performance.now();
        await sendChatRequests(pools.get(variant)!, BODIES[kind], 32, perRound);
        tally.throughputSeconds += (performance.now() - started) / 1000;
        tally.cpuMs += (await childCpuMs(child)) - cpuBefore;
        tally.throughputRequests += perRound;
      }
    }
  }
  const rows = [...tallies.entries()].map(([key, tally]) => {
    const [kind, variant] = key.split('|') as [Kind, Variant];
    const off = tallies.get(`${kind}|${variant.startsWith('grpc') ? 'grpc, off' : 'in-process, off'}`)!;
    const p50 = percentile(tally.latencies, 50);
    const cpuPerRequest = tally.cpuMs / tally.throughputRequests;
    return {
      request: kind,
      variant,
      c1_p50_ms: round(p50),
      c1_p99_ms: round(percentile(tally.latencies, 99)),
      c1_added_p50_us_over_off: round((p50 - percentile(off.latencies, 50)) * 1000, 0),
      c32_rps: Math.round(tally.throughputRequests / tally.throughputSeconds),
      c32_stack_cpu_ms_per_request: round(cpuPerRequest),
      c32_cpu_added_us_over_off: round((cpuPerRequest - off.cpuMs / off.throughputRequests) * 1000, 0),
    };
  });
  console.table(rows);
  for (const pool of pools.values()) await pool.close();
  child.send('stop');
  await new Promise((resolve) => child.once('exit', resolve));
  const outDir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'results');
  await mkdir(outDir, { recursive: true });
  const machine = { node: process.version, cpus: os.cpus().length, cpu: os.cpus()[0]?.model ?? 'unknown', load_average_1m_before: round(loadBefore, 2), load_average_1m_after: round(os.loadavg()[0]!, 2) };
  const commit = execFileSync('git', ['rev-parse', 'HEAD'], { encoding: 'utf8' }).trim();
  const settings = { requests_per_variant_and_kind: perRound * rounds, rounds, throughput_concurrency: 32 };
  await writeFile(path.join(outDir, 'accounting-paths.json'), `${JSON.stringify({ machine, commit, date: new Date().toISOString(), settings, rows }, null, 2)}\n`);
}

if (process.argv.includes(STACK_FLAG)) await serveStack();
else await main();
