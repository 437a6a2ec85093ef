/**
 * What the built-in gateway adds to a chat completion: the same client sends the same request
 * straight to the stub upstream (direct path) and through gateway → ext_proc sidecar → stub
 * (routed path), in one run, at concurrency 1 and 32; the routed path twice: with the sidecar
 * reached over gRPC (as Envoy reaches it) and in-process (as `switchyard serve` runs it). The
 * gateways, the sidecar and the stub run in one child process; the load client runs in this process.
 *
 *   npx tsx bench/gateway-overhead.ts [--requests N]
 *
 * Prints a table and writes bench/results/gateway-overhead.json.
 */
import { execFileSync, fork } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Pool } from 'undici';
import { startSingleStubStack } from '../test/helpers/single-stub-stack.js';
import { sendChatRequests } from './chat-load.js';

const CONCURRENCY_LEVELS = [1, 32] as const;
const WARMUP_REQUESTS = 500;
const STACK_FLAG = '--stack';
const BODY = JSON.stringify({ model: 'auto', messages: [{ role: 'user', content: 'Implement a function that finds the longest palindromic substring.' }], max_tokens: 100 });
const DIRECT_BODY = BODY.replace('"auto"', '"mlx-community/Qwen3-Coder-Next-4bit"');

interface PathResult {
  readonly path: 'direct' | 'gateway' | 'gateway-in-process';
  readonly concurrency: number;
  readonly p50_ms: number;
  readonly p99_ms: number;
  readonly requests_per_second: number;
}

async function serveStack(): Promise<void> {
  const stack = await startSingleStubStack();
  process.send!({ stub: stack.stub.port, gateway: stack.gateway.port, inProcess: stack.inProcessGateway.port });
  process.once('message', () => {
    void stack.close().then(() => process.disconnect());
  });
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function main(): Promise<void> {
  const requestsArg = process.argv.indexOf('--requests');
  const requests = requestsArg === -1 ? 5000 : Number(process.argv[requestsArg + 1]);
  const child = fork(fileURLToPath(import.meta.url), [STACK_FLAG], { execArgv: process.execArgv });
  const ports = await new Promise<{ stub: number; gateway: number; inProcess: number }>((resolve) =>
    child.once('message', (m) => resolve(m as { stub: number; gateway: number; inProcess: number })),
  );
  const results: PathResult[] = [];
  for (const concurrency of CONCURRENCY_LEVELS) {
    const paths = [['direct', ports.stub, DIRECT_BODY], ['gateway', ports.gateway, BODY], ['gateway-in-process', ports.inProcess, BODY]] as const;
    for (const [name, port, body] of paths) {
      const pool = new Pool(`http://127.0.0.1:${port}`, { connections: concurrency, pipelining: 1 });
      await sendChatRequests(pool, body, concurrency, WARMUP_REQUESTS);
      const { latencies, seconds } = await sendChatRequests(pool, body, concurrency, requests);
      await pool.close();
      results.push({
        path: name,
        concurrency,
        p50_ms: round(percentile(latencies, 50)),
        p99_ms: round(percentile(latencies, 99)),
        requests_per_second: Math.round(latencies.length / seconds),
      });
    }
  }
  child.send('stop');
  await new Promise((resolve) => child.once('exit', resolve));
  const rows = CONCURRENCY_LEVELS.map((concurrency) => {
    const direct = results.find((r) => r.path === 'direct' && r.concurrency === concurrency)!;
    const gateway = results.find((r) => r.path === 'gateway' && r.concurrency === concurrency)!;
    const inProcess = results.find((r) => r.path === 'gateway-in-process' && r.concurrency === concurrency)!;
    return {
      concurrency,
      direct_p50_ms: direct.p50_ms,
      direct_p99_ms: direct.p99_ms,
      gateway_p50_ms: gateway.p50_ms,
      gateway_p99_ms: gateway.p99_ms,
      added_p50_ms: round(gateway.p50_ms - direct.p50_ms),
      added_p99_ms: round(gateway.p99_ms - direct.p99_ms),
      p50_ratio: round(gateway.p50_ms / direct.p50_ms),
      direct_rps: direct.requests_per_second,
      gateway_rps: gateway.requests_per_second,
      in_process_p50_ms: inProcess.p50_ms,
      in_process_p99_ms: inProcess.p99_ms,
      in_process_added_p50_ms: round(inProcess.p50_ms - direct.p50_ms),
      in_process_added_p99_ms: round(inProcess.p99_ms - direct.p99_ms),
      in_process_rps: inProcess.requests_per_second,
    };
  });
  console.table(rows);
  const outDir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'results');
  await mkdir(outDir, { recursive: true });
  const machine = { node: process.version, cpus: os.cpus().length, cpu: os.cpus()[0]?.model ?? 'unknown', load_average_1m: round(os.loadavg()[0]!), requests_per_level: requests };
  const commit = execFileSync('git', ['rev-parse', 'HEAD'], { encoding: 'utf8' }).trim();
  await writeFile(path.join(outDir, 'gateway-overhead.json'), `${JSON.stringify({ machine, commit, date: new Date().toISOString(), rows }, null, 2)}\n`);
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}

if (process.argv.includes(STACK_FLAG)) await serveStack();
else await main();
