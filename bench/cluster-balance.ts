/**
 * How evenly `switchyard serve --workers 2` spreads requests over its workers, with node:cluster's
 * two scheduling policies: `rr` (the primary accepts every connection and hands it to the next
 * worker in turn; Node's default on Linux) and `none` (every worker accepts on the shared socket
 * and the kernel picks). Node 20 has no SO_REUSEPORT option for net servers (added in 22.12), so
 * these are the two choices. Each policy serves the same two loads: 32 keep-alive connections
 * (as the peer bench's c=32 client), and a new connection per request at concurrency 32. The
 * worker of every request comes from its request log line.
 *
 *   npx tsx bench/cluster-balance.ts [--requests N]
 *
 * Prints a table and writes bench/results/cluster-balance.json (needs the build: bin/switchyard.js).
 */
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, writeFile } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { READY_LINE_PREFIX } from '../src/cli/commands/serve.js';
import type { SwitchyardPorts } from '../src/serve-stack/switchyard-stack.js';
import { startSeedStubs } from '../test/helpers/e2e-stack.js';

const ROOT = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const CONCURRENCY = 32;
const POLICIES = ['rr', 'none'] as const;
const LOADS = ['keep-alive', 'connection-per-request'] as const;
const BODY = JSON.stringify({ model: 'auto', messages: [{ role: 'user', content: 'Implement a function that finds the longest palindromic substring.' }] });

interface LoadResult {
  readonly policy: (typeof POLICIES)[number];
  readonly load: (typeof LOADS)[number];
  readonly requests: number;
  readonly requests_per_second: number;
  /** Requests per worker, largest first. */
  readonly per_worker: number[];
  /** The busiest worker's share of all requests (0.5 is even for two workers). */
  readonly busiest_share: number;
}

function argument(name: string, fallback: number): number {
  const index = process.argv.indexOf(name);
  return index === -1 ? fallback : Number(process.argv[index + 1]);
}

function post(port: number, agent: http.Agent | false): Promise<void> {
  return new Promise((resolve, reject) => {
    const request = http.request(
      { host: '127.0.0.1', port, method: 'POST', path: '/v1/chat/completions', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(BODY) } },
      (response) => {
        response.resume();
        response.on('end', () => (response.statusCode === 200 ? resolve() : reject(new Error(`status ${response.statusCode}`))));
      },
    );
    request.on('error', reject);
    request.end(BODY);
  });
}

async function drive(port: number, load: (typeof LOADS)[number], requests: number): Promise<number> {
  const agent = load === 'keep-alive' ? new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY }) : false;
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < requests) {
        next += 1;
        await post(port, agent);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  if (agent !== false) agent.destroy();
  return requests / seconds;
}

async function measurePolicy(policy: (typeof POLICIES)[number], configPath: string, requests: number): Promise<LoadResult[]> {
  const args = [path.join(ROOT, 'bin', 'switchyard.js'), 'serve', '--config', configPath, '--grpc-port', '0', '--listen-port', '0', '--admin-port', '0', '--workers', '2'];
  const child = spawn(process.execPath, args, { env: { ...process.env, NODE_CLUSTER_SCHED_POLICY: policy, SWITCHYARD_LOG_LEVEL: 'info' }, stdio: ['ignore', 'pipe', 'inherit'] });
  const perWorker = new Map<number, number>();
  const ports = await new Promise<SwitchyardPorts>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (line.startsWith(READY_LINE_PREFIX)) resolve(JSON.parse(line.slice(READY_LINE_PREFIX.length)) as SwitchyardPorts);
      else if (line.includes('"msg":"request"')) {
        const { worker } = JSON.parse(line) as { worker: number };
        perWorker.set(worker, (perWorker.get(worker) ?? 0) + 1);
      }
    });
    child.once('exit', (code) => reject(new Error(`serve exited with ${code}`)));
  });
  const results: LoadResult[] = [];
  try {
    await drive(ports.listeners[0]!, 'keep-alive', Math.min(requests, 200));
    for (const load of LOADS) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      perWorker.clear();
      const rate = await drive(ports.listeners[0]!, load, requests);
      // The last request lines reach stdout just after their responses.
      await new Promise((resolve) => setTimeout(resolve, 500));
      const counts = [...perWorker.values()].sort((a, b) => b - a);
      const total = counts.reduce((a, b) => a + b, 0);
      results.push({ policy, load, requests, requests_per_second: Math.round(rate), per_worker: counts, busiest_share: Math.round(((counts[0] ?? 0) / Math.max(1, total)) * 1000) / 1000 });
    }
  } finally {
    child.kill('SIGTERM');
    await once(child, 'exit');
  }
  return results;
}

async function main(): Promise<void> {
  const requests = argument('--requests', 3000);
  const stubs = await startSeedStubs();
  const results: LoadResult[] = [];
  try {
    for (const policy of POLICIES) results.push(...(await measurePolicy(policy, stubs.config.path, requests)));
  } finally {
    await stubs.close();
  }
  console.log('| policy | load | req/s | requests per worker | busiest worker share |');
  console.log('|---|---|---|---|---|');
  for (const r of results) console.log(`| ${r.policy} | ${r.load} | ${r.requests_per_second} | ${r.per_worker.join(' / ')} | ${r.busiest_share} |`);
  const round = (value: number): number => Math.round(value * 100) / 100;
  const report = {
    benchmark: 'cluster-balance',
    machine: { node: process.version, cpus: os.cpus().length, cpu: os.cpus()[0]?.model ?? 'unknown', load_average_1m: round(os.loadavg()[0]!) },
    commit: execFileSync('git', ['rev-parse', 'HEAD'], { encoding: 'utf8' }).trim(),
    concurrency: CONCURRENCY,
    results,
  };
  await mkdir(path.join(ROOT, 'bench', 'results'), { recursive: true });
  await writeFile(path.join(ROOT, 'bench', 'results', 'cluster-balance.json'), `${JSON.stringify(report, null, 2)}\n`);
}

await main();
