/**
 * What telemetry costs per request, measured in one run with the variants interleaved: the same
 * requests through the built-in gateway + sidecar (seed config, one stub upstream) with
 *   off       no accounting, no metrics, no access log, no traces;
 *   records   access log line + OTel metrics, response bodies NOT read (the mode_override fast path);
 *   traced    records + traces sampled at 1.0, exported to a local OTLP/HTTP collector (the
 *             issue's "telemetry on"), response bodies still not read;
 *   full      traced + cost accounting: response bodies pass through the sidecar (STREAMED), one
 *             more ext_proc round trip per chunk, for usage, TTFT/TPOT and include_usage stripping.
 * JSON and SSE requests, concurrency 1. Reports p50/p99 of the whole request and of the sidecar's
 * routing time (x-vsr-routing-latency-ms), what each variant adds over `off` at p50, and the
 * process's CPU time per request (client, gateway, sidecar and stub share the process, so the
 * difference to `off` is what telemetry costs on the CPU; the steady figure on a loaded machine).
 * A traced variant's pending spans are exported at the end of each of its rounds, inside its own
 * CPU reading. Every round runs the variants in a rotated order.
 *
 *   npx tsx bench/telemetry-overhead.ts [--requests N] [--config examples/default.yaml]
 *
 * Prints a table and writes bench/results/telemetry-overhead.json (seed config) or
 * bench/results/telemetry-overhead-<config name>.json.
 */
import { once } from 'node:events';
import { mkdir, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { Pool } from 'undici';
import type { RuntimeConfig } from '../src/config/runtime-config.js';
import { startExtProcServer } from '../src/extproc/server.js';
import { startGateway } from '../src/gateway/http-gateway.js';
import { ExportFailures } from '../src/telemetry/export-failures.js';
import { createLogger, createSilentLogger } from '../src/telemetry/logger.js';
import { OtelRequestMetrics } from '../src/telemetry/otel-metrics.js';
import { RequestTracer } from '../src/telemetry/request-tracing.js';
import { startStubUpstream } from '../src/upstream-stub/stub-upstream.js';
import { loadConfigOrThrow, REPO_ROOT, SEED_CONFIG_PATH } from '../test/helpers/config-fixture.js';

type Variant = 'off' | 'records' | 'traced' | 'full';
const VARIANTS: readonly Variant[] = ['off', 'records', 'traced', 'full'];
const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 10);
const PROMPT = 'Implement a function that finds the longest palindromic substring.';
const BODIES = {
  json: JSON.stringify({ model: 'auto', messages: [{ role: 'user', content: PROMPT }] }),
  sse: JSON.stringify({ model: 'auto', messages: [{ role: 'user', content: PROMPT }], stream: true }),
};

async function startCollector(): Promise<{ url: string; close(): void }> {
  const server = http.createServer((request, response) => {
    request.resume();
    request.on('end', () => response.writeHead(200, { 'content-type': 'application/json' }).end('{}'));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => server.close() };
}

async function startVariant(variant: Variant, base: RuntimeConfig, stubPort: number, collector: string) {
  const config: RuntimeConfig = { ...base, observability: { ...base.observability!, accounting: variant === 'full' } };
  const failures = new ExportFailures(createSilentLogger());
  const metrics = variant === 'off' ? undefined : new OtelRequestMetrics({ failures });
  const tracer = variant === 'traced' || variant === 'full' ? new RequestTracer({ endpoint: `${collector}/v1/traces`, sampleRatio: 1, serviceName: 'bench', failures }) : undefined;
  // The access log is written as in production (JSON lines at info), to a sink that drops them.
  const logger = variant === 'off' ? createSilentLogger() : createLogger({ level: 'info', destination: { write: () => undefined } });
  const sidecar = await startExtProcServer({
    address: '127.0.0.1',
    port: 0,
    store: { current: () => config },
    logger,
    ...(metrics === undefined ? {} : { records: metrics }),
    ...(tracer === undefined ? {} : { tracer }),
  });
  const clusters = new Map([...config.models.values()].flatMap((model) => model.endpoints.map((endpoint) => [endpoint.cluster, { baseUrl: `http://127.0.0.1:${stubPort}`, hostname: endpoint.host }] as const)));
  const gateway = await startGateway({ listen: { address: '127.0.0.1', port: 0 }, sidecar: { address: '127.0.0.1', port: sidecar.port }, settings: config.envoy, clusterHeader: config.router.clusterHeader, clusters: () => clusters });
  return {
    pool: new Pool(`http://127.0.0.1:${gateway.port}`, { connections: 1, pipelining: 1 }),
    /** Exports the spans still batched, so their cost lands in this variant's CPU reading. */
    flush: async (): Promise<void> => tracer?.flush(),
    async close() {
      await gateway.close();
      await sidecar.close();
      await metrics?.close();
      await tracer?.close();
    },
  };
}

interface Sample {
  total: number[];
  routing: number[];
  /** Process CPU time (user + system) spent in this variant's rounds, in microseconds. */
  cpuMicros: number;
}

async function measure(pool: Pool, body: string, requests: number, into: Sample): Promise<void> {
  for (let i = 0; i < requests; i += 1) {
    const t0 = performance.now();
    const response = await pool.request({ method: 'POST', path: '/v1/chat/completions', headers: { 'content-type': 'application/json' }, body });
    await response.body.text();
    into.total.push(performance.now() - t0);
    if (response.statusCode !== 200) throw new Error(`status ${response.statusCode}`);
    into.routing.push(Number(response.headers['x-vsr-routing-latency-ms']));
  }
}

function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

const round = (value: number, digits = 3): number => Math.round(value * 10 ** digits) / 10 ** digits;

async function main(): Promise<void> {
  const requestsArg = process.argv.indexOf('--requests');
  const perRound = requestsArg === -1 ? 200 : Math.max(1, Math.floor(Number(process.argv[requestsArg + 1]) / ROUNDS));
  const configArg = process.argv.indexOf('--config');
  const configPath = configArg === -1 ? SEED_CONFIG_PATH : path.resolve(REPO_ROOT, process.argv[configArg + 1]!);
  const config = await loadConfigOrThrow(configPath);
  const stub = await startStubUpstream({ port: 0, model: 'stub' });
  const collector = await startCollector();
  const stacks = new Map<Variant, Awaited<ReturnType<typeof startVariant>>>();
  for (const variant of VARIANTS) stacks.set(variant, await startVariant(variant, config, stub.port, collector.url));
  const samples = new Map<string, Sample>();
  for (const kind of ['json', 'sse'] as const) {
    for (const variant of VARIANTS) await measure(stacks.get(variant)!.pool, BODIES[kind], Math.min(300, perRound), { total: [], routing: [], cpuMicros: 0 });
    // Interleaved rounds in rotated order: a machine-wide slowdown hits every variant alike.
    for (let round = 0; round < ROUNDS; round += 1) {
      for (let slot = 0; slot < VARIANTS.length; slot += 1) {
        const variant = VARIANTS[(round + slot) % VARIANTS.length]!;
        const key = `${kind}:${variant}`;
        const sample = samples.get(key) ?? { total: [], routing: [], cpuMicros: 0 };
        samples.set(key, sample);
        const stack = stacks.get(variant)!;
        const cpu = process.cpuUsage();
        await measure(stack.pool, BODIES[kind], perRound, sample);
        await stack.flush();
        const used = process.cpuUsage(cpu);
        sample.cpuMicros += used.user + used.system;
      }
    }
  }
  const rows = [...samples.entries()].map(([key, sample]) => {
    const [kind, variant] = key.split(':') as [string, Variant];
    const off = samples.get(`${kind}:off`)!;
    const p50 = percentile(sample.total, 50);
    const offP50 = percentile(off.total, 50);
    const routingP50 = percentile(sample.routing, 50);
    const offRoutingP50 = percentile(off.routing, 50);
    const cpuPerRequest = sample.cpuMicros / sample.total.length;
    const offCpuPerRequest = off.cpuMicros / off.total.length;
    return {
      request: kind,
      telemetry: variant,
      p50_ms: round(p50),
      p99_ms: round(percentile(sample.total, 99)),
      added_p50_us: round((p50 - offP50) * 1000, 1),
      added_p50_percent: round((100 * (p50 - offP50)) / offP50, 2),
      routing_p50_ms: round(routingP50),
      routing_added_p50_us: round((routingP50 - offRoutingP50) * 1000, 1),
      routing_added_p50_percent: round((100 * (routingP50 - offRoutingP50)) / offRoutingP50, 2),
      cpu_us_per_request: round(cpuPerRequest, 1),
      cpu_added_us_per_request: round(cpuPerRequest - offCpuPerRequest, 1),
      cpu_added_percent: round((100 * (cpuPerRequest - offCpuPerRequest)) / offCpuPerRequest, 2),
    };
  });
  console.table(rows);
  for (const stack of stacks.values()) {
    await stack.pool.close();
    await stack.close();
  }
  await stub.close();
  collector.close();
  await config.close();
  const outDir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'results');
  await mkdir(outDir, { recursive: true });
  const machine = { node: process.version, cpus: os.cpus().length, cpu: os.cpus()[0]?.model ?? 'unknown', requests_per_variant: perRound * ROUNDS, rounds: ROUNDS, load_average: os.loadavg() };
  const name = configPath === SEED_CONFIG_PATH ? 'telemetry-overhead' : `telemetry-overhead-${path.basename(configPath, path.extname(configPath))}`;
  await writeFile(path.join(outDir, `${name}.json`), `${JSON.stringify({ config: path.relative(REPO_ROOT, configPath), machine, rows }, null, 2)}\n`);
}

await main();
