/**
 * Sidecar latency over real gRPC: per request one ext_proc stream carrying request headers,
 * the buffered body and response headers, then a cancel, exactly as Envoy drives it. The
 * sidecar runs in a child process (as it does next to Envoy), so client work is not counted
 * against the sidecar's event loop. The floor (a bare ext_proc server) is measured in the same
 * run, in alternating rounds.
 *
 *   npx tsx bench/extproc-sidecar.ts [--requests N]
 *
 * Prints a table and writes bench/results/extproc-sidecar.json.
 */
import { writeFile, mkdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { execFileSync, fork } from 'node:child_process';
import * as grpc from '@grpc/grpc-js';
import { loadExtProcDefinitions } from '../src/extproc/envoy-protos.js';
import { ConfigStore } from '../src/config/watch.js';
import { EXT_PROC_SERVER_OPTIONS, startExtProcServer } from '../src/extproc/server.js';
import { createSilentLogger } from '../src/telemetry/logger.js';
import { loadConfigOrThrow, SEED_CONFIG_PATH } from '../test/helpers/config-fixture.js';
import { envoyHeaderMap, ExtProcTestClient, requestHeadersMessage } from '../test/helpers/extproc-client.js';

const CONCURRENCY_LEVELS = [1, 16, 64] as const;
const WARMUP_REQUESTS = 1000;
const ROUNDS = 6;
const PROMPTS = [
  'What is a Python decorator?',
  'Implement a function that finds the longest palindromic substring.',
  'Prove by induction that the sum 1+2+...+n = n(n+1)/2.',
].map((content) => JSON.stringify({ model: 'auto', messages: [{ role: 'user', content }], max_tokens: 100 }));

interface LevelResult {
  readonly concurrency: number;
  /** The server process's CPU time (user + system) per request, in µs. */
  readonly cpu_us_per_request: number;
  readonly requests: number;
  readonly p50_ms: number;
  readonly p99_ms: number;
  readonly max_ms: number;
  readonly requests_per_second: number;
}

const SIDECAR_FLAG = '--sidecar';
const FLOOR_FLAG = '--floor';

/**
 * The direct path for this benchmark: a bare ext_proc server on the same protos and grpc-js
 * settings that answers every message at once with an empty reply of the matching kind. What the
 * sidecar adds is its latency minus this one.
 */
async function serveFloor(): Promise<void> {
  const server = new grpc.Server(EXT_PROC_SERVER_OPTIONS);
  server.addService(loadExtProcDefinitions().service, {
    Process: (call: grpc.ServerDuplexStream<Record<string, unknown>, Record<string, unknown>>) => {
      call.on('data', (message: Record<string, unknown>) => {
        const kind = ['request_headers', 'request_body', 'response_headers', 'response_body'].find((k) => message[k] != null);
        if (kind !== undefined) call.write({ [kind]: {} });
      });
      call.on('end', () => call.end());
      call.on('error', () => undefined);
    },
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound))),
  );
  process.send!({ port });
  onStop(() => server.tryShutdown(() => process.disconnect()));
}

/**
 * Child side of the IPC: 'cpu' asks for the process's CPU time so far (µs), anything else stops it.
 * CPU time per request is the figure a loaded machine disturbs least (latency and req/s move
 * with every other process; the work a request costs does not).
 */
function onStop(stop: () => void): void {
  process.on('message', (message: unknown) => {
    if (message === 'cpu') {
      const usage = process.cpuUsage();
      process.send!({ cpuMicros: usage.user + usage.system });
    } else stop();
  });
}

async function serveSidecar(): Promise<void> {
  const store = new ConfigStore(await loadConfigOrThrow(SEED_CONFIG_PATH));
  const server = await startExtProcServer({ address: '127.0.0.1', port: 0, store, logger: createSilentLogger() });
  process.send!({ port: server.port });
  onStop(() => {
    void server.close().then(() => store.current().close()).then(() => process.disconnect());
  });
}

/** One Envoy-shaped request; the latency ends at the last reply, before the stream is closed. */
async function oneRequest(client: ExtProcTestClient, index: number, routed: boolean): Promise<number> {
  const body = PROMPTS[index % PROMPTS.length]!;
  const started = performance.now();
  const stream = client.open();
  await stream.send(requestHeadersMessage({ path: '/v1/chat/completions', body }));
  const bodyReply = await stream.send({ request_body: { body: Buffer.from(body), end_of_stream: true } });
  await stream.send({ response_headers: { headers: envoyHeaderMap([[':status', '200'], ['content-type', 'application/json']]), end_of_stream: true } });
  const elapsed = performance.now() - started;
  // Envoy's default reset-close trips Node's HTTP/2 reset rate limit after 1000 streams per
  // connection (see bench/README.md), so the benchmark closes the way graceful-close Envoy does.
  await stream.closeGracefully();
  if (routed && bodyReply['request_body']?.response?.clear_route_cache !== true) throw new Error('request was not routed');
  return elapsed;
}

/** Latencies and wall time of some requests at one concurrency. */
interface Sample {
  readonly latencies: number[];
  readonly seconds: number;
  /** The server process's CPU time over the sample, µs. */
  readonly cpuMicros: number;
}

async function runRequests(target: Target, concurrency: number, requests: number): Promise<Sample> {
  const latencies: number[] = [];
  let next = 0;
  const cpuBefore = await target.cpuMicros();
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < requests) latencies.push(await oneRequest(target.client, next++, target.routed));
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  return { latencies, seconds, cpuMicros: (await target.cpuMicros()) - cpuBefore };
}

function levelResult(concurrency: number, samples: readonly Sample[]): LevelResult {
  const latencies = samples.flatMap((sample) => sample.latencies).sort((a, b) => a - b);
  const seconds = samples.reduce((sum, sample) => sum + sample.seconds, 0);
  const at = (q: number): number => round(latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]!);
  const cpuMicros = samples.reduce((sum, sample) => sum + sample.cpuMicros, 0);
  return {
    concurrency,
    cpu_us_per_request: Math.round(cpuMicros / latencies.length),
    requests: latencies.length,
    p50_ms: at(0.5),
    p99_ms: at(0.99),
    max_ms: round(latencies[latencies.length - 1]!),
    requests_per_second: Math.round(latencies.length / seconds),
  };
}

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}

/** A child server (the sidecar or the floor) and a client connected to it. */
interface Target {
  readonly client: ExtProcTestClient;
  readonly routed: boolean;
  /** The child's CPU time so far, µs. */
  cpuMicros(): Promise<number>;
  stop(): Promise<void>;
}

async function startTarget(flag: string): Promise<Target> {
  const child = fork(fileURLToPath(import.meta.url), [flag], { execArgv: ['--import', 'tsx', ...(process.env['BENCH_CPU_PROF'] ? ['--cpu-prof', '--cpu-prof-dir=' + process.env['BENCH_CPU_PROF']] : [])] });
  const port = await new Promise<number>((resolve) => child.once('message', (message: { port: number }) => resolve(message.port)));
  const client = new ExtProcTestClient(port);
  return {
    client,
    routed: flag === SIDECAR_FLAG,
    cpuMicros: () =>
      new Promise((resolve) => {
        child.once('message', (message: { cpuMicros: number }) => resolve(message.cpuMicros));
        child.send('cpu');
      }),
    async stop() {
      client.close();
      child.send('stop');
      await new Promise((resolve) => child.once('exit', resolve));
    },
  };
}

/**
 * Sidecar and floor run side by side, idle while the other is measured: each level is split
 * into rounds that alternate which goes first (AB, BA, …), so a load change on the shared
 * machine hits both alike and their ratio means something.
 */
async function measureInterleaved(requests: number): Promise<{ sidecar: LevelResult[]; floor: LevelResult[] }> {
  const sidecar = await startTarget(SIDECAR_FLAG);
  const floor = await startTarget(FLOOR_FLAG);
  try {
    for (const target of [sidecar, floor]) await runRequests(target, 16, WARMUP_REQUESTS);
    const results = { sidecar: [] as LevelResult[], floor: [] as LevelResult[] };
    const perRound = Math.ceil(requests / ROUNDS);
    for (const concurrency of CONCURRENCY_LEVELS) {
      const samples = { sidecar: [] as Sample[], floor: [] as Sample[] };
      for (let round = 0; round < ROUNDS; round++) {
        const order = round % 2 === 0 ? (['sidecar', 'floor'] as const) : (['floor', 'sidecar'] as const);
        for (const name of order) {
          const target = name === 'sidecar' ? sidecar : floor;
          samples[name].push(await runRequests(target, concurrency, perRound));
        }
      }
      results.sidecar.push(levelResult(concurrency, samples.sidecar));
      results.floor.push(levelResult(concurrency, samples.floor));
    }
    return results;
  } finally {
    await sidecar.stop();
    await floor.stop();
  }
}

async function main(): Promise<void> {
  const flag = process.argv.indexOf('--requests');
  const requests = flag === -1 ? 10_000 : Number(process.argv[flag + 1]);
  const { sidecar: results, floor } = await measureInterleaved(requests);
  console.log('concurrency  requests   p50 ms   p99 ms   max ms    req/s   floor p50   floor p99   floor req/s   of floor   CPU µs/req   floor CPU µs/req');
  const ofFloor = results.map((r, i) => round(r.requests_per_second / floor[i]!.requests_per_second));
  results.forEach((r, i) => {
    const f = floor[i]!;
    console.log(
      `${String(r.concurrency).padStart(11)}  ${String(r.requests).padStart(8)}  ${r.p50_ms.toFixed(3).padStart(7)}  ${r.p99_ms.toFixed(3).padStart(7)}  ${r.max_ms.toFixed(3).padStart(7)}  ${String(r.requests_per_second).padStart(7)}  ${f.p50_ms.toFixed(3).padStart(10)}  ${f.p99_ms.toFixed(3).padStart(10)}  ${String(f.requests_per_second).padStart(12)}  ${(100 * ofFloor[i]!).toFixed(0).padStart(8)}%  ${String(r.cpu_us_per_request).padStart(11)}  ${String(f.cpu_us_per_request).padStart(17)}`,
    );
  });
  const report = {
    benchmark: 'extproc-sidecar',
    config: path.relative(process.cwd(), SEED_CONFIG_PATH),
    messages_per_request: ['request_headers', 'request_body', 'response_headers'],
    floor: 'a bare ext_proc server on the same protos that answers every message with an empty reply',
    interleaving: `${ROUNDS} rounds per level, sidecar and floor alternating which goes first`,
    machine: { node: process.version, cpus: os.cpus().length, cpu: os.cpus()[0]?.model ?? 'unknown', load_average_1m: round(os.loadavg()[0]!) },
    commit: execFileSync('git', ['rev-parse', 'HEAD'], { encoding: 'utf8' }).trim(),
    date: new Date().toISOString(),
    results,
    floor_results: floor,
    requests_per_second_of_floor: Object.fromEntries(results.map((r, i) => [`c${r.concurrency}`, ofFloor[i]])),
  };
  const out = path.join(path.dirname(fileURLToPath(import.meta.url)), 'results', 'extproc-sidecar.json');
  await mkdir(path.dirname(out), { recursive: true });
  await writeFile(out, `${JSON.stringify(report, null, 2)}\n`);
  console.log(`wrote ${out}`);
}

await (process.argv.includes(SIDECAR_FLAG) ? serveSidecar() : process.argv.includes(FLOOR_FLAG) ? serveFloor() : main());
