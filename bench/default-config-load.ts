/**
 * `switchyard serve --config examples/default.yaml` (every semantic signal) under closed-loop load at
 * concurrency 32, in front of a 0 ms stub, with two kinds of traffic, labelled apart in the output:
 *   - repeated: peer-bench's one request ("Say hello in five words.") over and over;
 *   - distinct: the 298 prompts of eval/routing.jsonl in turn, each request's text made unique by a
 *     round number, so no memo of earlier texts (encoder, signal results, semantic cache) answers it.
 * For each: requests/s and the serve process tree's on-CPU milliseconds per request (utime + stime
 * from /proc, the figure that survives a shared machine), and with one worker its main thread's
 * (the event loop's) share of them. `--cpu-prof DIR` writes the serve
 * process's V8 profiles there (one per traffic kind) and prints where its CPU went by stage.
 * SWITCHYARD_INFERENCE_THREADS=0 in the environment runs inference on the event loop (the comparison).
 * Run: `npx tsx bench/default-config-load.ts [--seconds 15] [--workers 1] [--cpu-prof DIR]`; results go to
 * bench/results/default-config-load[-w<N>][-threads0].json.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { Pool } from 'undici';
import { parse, stringify } from 'yaml';
import { inferenceThreadCount } from '../src/classifiers/inference-threads.js';
import { startStubUpstream } from '../src/upstream-stub/stub-upstream.js';
import { cpuByStage } from './cpu-profile-stages.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const flag = (name: string): string | undefined => {
  const at = process.argv.indexOf(`--${name}`);
  return at === -1 ? undefined : process.argv[at + 1];
};
const SECONDS = Number(flag('seconds') ?? 15);
const WORKERS = Number(flag('workers') ?? 1);
const PROFILE_DIR = flag('cpu-prof');
const CONCURRENCY = 32;
const RESULTS = join(ROOT, 'bench', 'results', `default-config-load${WORKERS === 1 ? '' : `-w${WORKERS}`}${inferenceThreadCount() === 0 ? '-threads0' : ''}.json`);

const EVAL_TEXTS = readFileSync(join(ROOT, 'eval', 'routing.jsonl'), 'utf8')
  .split('\n')
  .filter(Boolean)
  .map((line) => (JSON.parse(line) as { text: string }).text);

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

/** examples/default.yaml with every endpoint on the stub and the listener on `port`. */
function benchConfig(stubPort: number, port: number, dir: string): string {
  const config = parse(readFileSync(join(ROOT, 'examples', 'default.yaml'), 'utf8')) as {
    providers: { models: { endpoints: { endpoint: string; protocol: string }[]; access_key?: string }[] };
    listeners: { port: number; address: string }[];
  };
  for (const model of config.providers.models) {
    delete model.access_key;
    for (const endpoint of model.endpoints) Object.assign(endpoint, { endpoint: `127.0.0.1:${stubPort}`, protocol: 'http' });
  }
  for (const listener of config.listeners) Object.assign(listener, { port, address: '127.0.0.1' });
  const file = join(dir, 'config.yaml');
  writeFileSync(file, stringify(config));
  return file;
}

/** utime + stime of a process and its descendants, in ms (Linux /proc; clock ticks of 10 ms). */
function treeCpuMs(pid: number): number {
  let total = 0;
  const visit = (p: number): void => {
    try {
      const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      total += (Number(fields[11]) + Number(fields[12])) * 10;
      for (const task of readdirSync(`/proc/${p}/task`)) {
        for (const child of readFileSync(`/proc/${p}/task/${task}/children`, 'utf8').split(' ').filter(Boolean)) visit(Number(child));
      }
    } catch {
      // The process left meanwhile.
    }
  };
  visit(pid);
  return total;
}

/** utime + stime of a process's main thread (its event loop), in ms. */
function mainThreadCpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/task/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

function requestBody(text: string): string {
  return JSON.stringify({
    model: 'auto',
    messages: [
      { role: 'system', content: 'You are a terse assistant.' },
      { role: 'user', content: text },
    ],
    max_tokens: 16,
    temperature: 0,
  });
}

/** Closed loop at CONCURRENCY for SECONDS; `body(i)` is the i-th request. 200 and 403 (a blocked jailbreak) count; other statuses are tallied as errors. */
/** Request numbers are never reused (warm-up included), so a distinct prompt is never sent twice. */
let next = 0;

async function drive(pool: Pool, body: (i: number) => string, seconds: number): Promise<{ requests: number; errors: Record<string, number>; seconds: number; p50: number; p99: number }> {
  const latencies: number[] = [];
  const errors = new Map<number, number>();
  const started = performance.now();
  const until = started + seconds * 1000;
  const loop = async (): Promise<void> => {
    while (performance.now() < until) {
      const i = next++;
      const t0 = performance.now();
      const response = await pool.request({ method: 'POST', path: '/v1/chat/completions', headers: { 'content-type': 'application/json' }, body: body(i) });
      const text = await response.body.text();
      if (response.statusCode !== 200 && response.statusCode !== 403) {
        errors.set(response.statusCode, (errors.get(response.statusCode) ?? 0) + 1);
        if (errors.size === 1 && errors.get(response.statusCode) === 1) console.error(`first error: ${response.statusCode} ${text.slice(0, 300)}`);
        continue;
      }
      latencies.push(performance.now() - t0);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, loop));
  latencies.sort((a, b) => a - b);
  const at = (q: number): number => Math.round(latencies[Math.min(latencies.length - 1, Math.ceil(q * latencies.length) - 1)]! * 100) / 100;
  return { requests: latencies.length, errors: Object.fromEntries(errors), seconds: (performance.now() - started) / 1000, p50: at(0.5), p99: at(0.99) };
}

const TRAFFIC: Record<string, (i: number) => string> = {
  repeated: () => requestBody('Say hello in five words.'),
  distinct: (i) => requestBody(`${EVAL_TEXTS[i % EVAL_TEXTS.length]!} (${Math.floor(i / EVAL_TEXTS.length)})`),
};

const stub = await startStubUpstream({ port: 0, model: 'stub' });
const dir = mkdtempSync(join(tmpdir(), 'default-config-load-'));
const rows: Record<string, unknown>[] = [];
try {
  for (const [kind, body] of Object.entries(TRAFFIC)) {
    const port = await freePort();
    const configFile = benchConfig(stub.port, port, dir);
    const profileDir = PROFILE_DIR === undefined ? undefined : join(dir, `prof-${kind}`);
    const nodeFlags = profileDir === undefined ? [] : ['--cpu-prof', '--cpu-prof-dir', profileDir];
    const args = [...nodeFlags, join(ROOT, 'bin', 'switchyard.js'), 'serve', '--config', configFile, '--grpc-port', '0', '--admin-port', '0', '--workers', String(WORKERS)];
    const child: ChildProcess = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
    const pool = new Pool(`http://127.0.0.1:${port}`, { connections: CONCURRENCY, pipelining: 1 });
    try {
      for (let waited = 0; ; waited += 250) {
        try {
          const response = await pool.request({ method: 'POST', path: '/v1/chat/completions', headers: { 'content-type': 'application/json' }, body: body(next++) });
          await response.body.text();
          break;
        } catch (error) {
          if (waited > 120_000) throw error;
          await new Promise((resolve) => setTimeout(resolve, 250));
        }
      }
      await drive(pool, body, Math.min(5, SECONDS / 3));
      const cpuBefore = treeCpuMs(child.pid!);
      const loopBefore = mainThreadCpuMs(child.pid!);
      const run = await drive(pool, body, SECONDS);
      const cpuMs = treeCpuMs(child.pid!) - cpuBefore;
      const loopMs = mainThreadCpuMs(child.pid!) - loopBefore;
      const row = { traffic: kind, workers: WORKERS, inference_threads: inferenceThreadCount(), concurrency: CONCURRENCY, requests: run.requests, errors: run.errors, requests_per_second: Math.round(run.requests / run.seconds), p50_ms: run.p50, p99_ms: run.p99, cpu_ms_per_request: Math.round((cpuMs / run.requests) * 1000) / 1000, event_loop_cpu_ms_per_request: WORKERS === 1 ? Math.round((loopMs / run.requests) * 1000) / 1000 : undefined };
      rows.push(row);
      console.log(JSON.stringify(row));
    } finally {
      await pool.close();
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
    }
    if (profileDir !== undefined) {
      mkdirSync(PROFILE_DIR!, { recursive: true });
      for (const file of readdirSync(profileDir)) {
        const target = join(PROFILE_DIR!, `${kind}-${file}`);
        renameSync(join(profileDir, file), target);
        console.log(`${kind}: ${target}`);
        for (const [stageName, share] of cpuByStage(target, SECONDS + 1).filter(([, share]) => share >= 0.005)) console.log(`  ${stageName.padEnd(34)} ${(share * 100).toFixed(1)}%`);
      }
    }
  }
} finally {
  await stub.close();
  rmSync(dir, { recursive: true, force: true });
}
writeFileSync(RESULTS, `${JSON.stringify({ config: 'examples/default.yaml', node: process.version, cpus: cpus().length, cpu: cpus()[0]?.model, seconds: SECONDS, rows }, null, 2)}\n`);
