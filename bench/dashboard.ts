/**
 * The web dashboard's targets (issue 18): the UI bundle's gzipped size, how long the page takes
 * to load from a local server in headless Chromium, and whether the live table at 1,000 req/s
 * slows the gateway. For the last, two stacks run in child processes (gateway + sidecar + admin
 * + stubs, as `switchyard serve` runs them), one with `dashboard.enabled: false` and one with the
 * live page open in Chromium plus an SSE client counting the records it receives. The same
 * fixed-rate load (10 requests every 10 ms) goes to each in interleaved rounds; the figures are
 * each condition's median over the rounds: latency, achieved rate, and the child's CPU time per request.
 *
 * `--pin` puts Chromium on core 0 and both stacks and the load generator on core 1 (taskset), so
 * the browser's rendering (which a real operator's laptop does, not the gateway host) does not
 * take the stack's core; without it everything shares both cores. `--cpu-prof DIR` profiles the
 * stack with the live page open (node --cpu-prof).
 *
 *   npx tsx bench/dashboard.ts [--rounds N] [--seconds S] [--pin] [--cpu-prof DIR]
 *
 * Prints a table and writes bench/results/dashboard.json (dashboard-pinned.json with --pin).
 */
import { execFileSync, fork, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { once } from 'node:events';
import http from 'node:http';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { Pool } from 'undici';
import { parseDocument } from 'yaml';
import { buildDashboardUi } from '../scripts/build-dashboard-ui.js';
import { loadConfigFile } from '../src/config/load.js';
import { LiveFeed, type LiveBatch } from '../src/dashboard/live-feed.js';
import { RequestStore } from '../src/dashboard/request-store.js';
import { logRequest, type RequestLogEntry } from '../src/telemetry/request-log.js';
import { startSwitchyard } from '../src/serve-stack/switchyard-stack.js';
import { createSilentLogger } from '../src/telemetry/logger.js';
import { launchChromium } from '../test/helpers/dashboard-browser.js';
import { startSeedStubs } from '../test/helpers/e2e-stack.js';

const STACK_FLAG = '--stack';
const RATE_PER_SECOND = 1000;
const TICK_MS = 10;
const PAGE_LOADS = 7;
const BODY = JSON.stringify({ model: 'MoM', messages: [{ role: 'user', content: 'Implement a function that reverses a linked list.' }] });

interface Ports {
  readonly gateway: number;
  readonly admin: number;
}

/** Child: the stack, answering "cpu" with its CPU time in ms. */
async function serveStack(dashboard: boolean): Promise<void> {
  const stubs = await startSeedStubs();
  const document = parseDocument(await readFile(stubs.config.path, 'utf8'));
  document.setIn(['dashboard', 'enabled'], dashboard);
  await writeFile(stubs.config.path, document.toString());
  const { config } = await loadConfigFile(stubs.config.path, { env: {} });
  const stack = await startSwitchyard({ config: config!, grpcPort: 0, listenPort: 0, adminPort: 0, watchPath: stubs.config.path, env: {}, logger: createSilentLogger() });
  process.send!({ gateway: stack.ports.listeners[0], admin: stack.ports.admin });
  process.on('message', (message) => {
    if (message === 'cpu') {
      const usage = process.cpuUsage();
      process.send!({ cpuMs: (usage.user + usage.system) / 1000 });
    } else void stack.close().then(() => stubs.close()).then(() => process.exit(0));
  });
}

async function startChild(dashboard: boolean, profileDir?: string): Promise<{ child: ChildProcess; ports: Ports }> {
  const execArgv = profileDir === undefined ? process.execArgv : [...process.execArgv, '--cpu-prof', `--cpu-prof-dir=${profileDir}`];
  const child = fork(fileURLToPath(import.meta.url), [STACK_FLAG, String(dashboard)], { execArgv });
  const [ports] = (await once(child, 'message')) as [Ports];
  return { child, ports };
}

async function childCpuMs(child: ChildProcess): Promise<number> {
  child.send('cpu');
  const [reply] = (await once(child, 'message')) as [{ cpuMs: number }];
  return reply.cpuMs;
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

function median(values: readonly number[]): number {
  return percentile([...values].sort((a, b) => a - b), 50);
}

function round(value: number, digits = 3): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}

/** Sends RATE_PER_SECOND for `seconds` at a fixed rate (open loop) and measures each request. */
async function fixedRate(port: number, seconds: number): Promise<{ latencies: number[]; sent: number; elapsed: number; failed: number }> {
  const pool = new Pool(`http://127.0.0.1:${port}`, { connections: 128, pipelining: 1 });
  const latencies: number[] = [];
  const inflight: Promise<void>[] = [];
  let failed = 0;
  const perTick = (RATE_PER_SECOND * TICK_MS) / 1000;
  const ticks = (seconds * 1000) / TICK_MS;
  const started = performance.now();
  for (let tick = 0; tick < ticks; tick++) {
    for (let i = 0; i < perTick; i++) {
      const t0 = performance.now();
      inflight.push(
        pool
          .request({ method: 'POST', path: '/v1/chat/completions', headers: { 'content-type': 'application/json' }, body: BODY })
          .then(async (response) => {
            await response.body.text();
            if (response.statusCode === 200) latencies.push(performance.now() - t0);
            else failed++;
          }, () => void failed++),
      );
    }
    const due = started + (tick + 1) * TICK_MS;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
  }
  await Promise.all(inflight);
  const elapsed = (performance.now() - started) / 1000;
  await pool.close();
  return { latencies: latencies.sort((a, b) => a - b), sent: inflight.length, elapsed, failed };
}

/** Counts what an SSE client of the live feed receives: events, bytes, rows, and the requests the events account for. */
function countLiveFeed(admin: number): { counts: () => { events: number; bytes: number; rows: number; accounted: number; skipped: number }; close: () => void } {
  const counts = { events: 0, bytes: 0, rows: 0, accounted: 0, skipped: 0 };
  let buffer = '';
  const request = http.get(`http://127.0.0.1:${admin}/dashboard/api/live?since=${Number.MAX_SAFE_INTEGER}`, (response) => {
    response.setEncoding('utf8');
    response.on('data', (chunk: string) => {
      counts.bytes += Buffer.byteLength(chunk);
      buffer += chunk;
      const events = buffer.split('\n\n');
      buffer = events.pop() ?? '';
      for (const event of events) {
        const data = event.split('\n').find((line) => line.startsWith('data: '));
        if (data === undefined) continue;
        const batch = JSON.parse(data.slice(6)) as LiveBatch;
        counts.events++;
        counts.rows += batch.rows.length;
        counts.accounted += batch.count;
        counts.skipped += batch.skipped ?? 0;
      }
    });
  });
  request.on('error', () => undefined);
  return { counts: () => ({ ...counts }), close: () => request.destroy() };
}

/** Pids of this process's descendants whose command is `name`. */
function descendants(name: string): number[] {
  const parents = new Map<number, number>();
  const names = new Map<number, string>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const close = stat.lastIndexOf(')');
      names.set(Number(entry), stat.slice(stat.indexOf('(') + 1, close));
      parents.set(Number(entry), Number(stat.slice(close + 2).split(' ')[1]));
    } catch {
      // The process ended while we looked.
    }
  }
  const isOurs = (pid: number): boolean => {
    for (let parent = parents.get(pid); parent !== undefined && parent > 1; parent = parents.get(parent)) if (parent === process.pid) return true;
    return false;
  };
  return [...names].filter(([pid, comm]) => comm.startsWith(name) && isOurs(pid)).map(([pid]) => pid);
}

/** CPU time (ms) of processes, from /proc (user + system, including reaped children's). */
function processCpuMs(pids: readonly number[]): number {
  const tick = 1000 / 100;
  let total = 0;
  for (const pid of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      total += (Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14])) * tick;
    } catch {
      // Ended: its time is in its parent's reaped-children fields.
    }
  }
  return total;
}

/** Pins a process and all its threads to one core. */
function pin(pid: number, core: number): void {
  execFileSync('taskset', ['-a', '-pc', String(core), String(pid)], { stdio: 'ignore' });
}

/**
 * The dashboard's own CPU per request, without the noise of a whole stack: the request log's
 * entry going into the record store and out through the live feed to one connected SSE client
 * (an event of the newest rows every 250 requests, as at 1,000 req/s), in microseconds.
 */
async function recordCostMicros(): Promise<number> {
  const logger = createSilentLogger();
  const store = await RequestStore.open({ capacity: 5000, store: 'memory', redisUrl: '', redisKey: '' }, logger);
  const feed = new LiveFeed(store);
  const server = http.createServer((request, response) => feed.serve(request, response, 0));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  const client = http.get(`http://127.0.0.1:${port}/`, (response) => response.resume());
  await once(client, 'response');
  const entry: RequestLogEntry = { requestId: '5b0e6a2c-3f57-4c43-9d0c-1f1f7f5f8a21', method: 'POST', path: '/v1/chat/completions', decision: 'coding-route', model: 'mlx-community/Qwen3-Coder-Next-4bit', reasoning: false, blocked: false, cached: false, status: 200, routingMs: 0.42, upstreamMs: 12.5, latencyMs: 13.1, traceId: null, selection: { algorithm: 'static', reason: 'first modelRef' }, signals: { keyword: ['coding_keywords'] } };
  const run = async (count: number): Promise<number> => {
    const started = performance.now();
    for (let i = 1; i <= count; i++) {
      logRequest(logger, entry);
      if (i % 250 === 0) {
        feed.flush(Date.now());
        // Let the socket drain, as the event loop would between batches.
        if (i % 5000 === 0) await new Promise((resolve) => setImmediate(resolve));
      }
    }
    return performance.now() - started;
  };
  await run(20_000);
  const count = 200_000;
  const micros = ((await run(count)) * 1000) / count;
  const sent = feed.stats().events;
  client.destroy();
  feed.close();
  server.close();
  await store.close();
  return sent > 0 ? micros : Number.NaN;
}

async function main(): Promise<void> {
  const argument = (name: string, fallback: number): number => {
    const index = process.argv.indexOf(name);
    return index === -1 ? fallback : Number(process.argv[index + 1]);
  };
  const rounds = argument('--rounds', 3);
  const seconds = argument('--seconds', 5);
  const pinned = process.argv.includes('--pin');
  const profileIndex = process.argv.indexOf('--cpu-prof');
  const profileDir = profileIndex === -1 ? undefined : path.resolve(process.argv[profileIndex + 1]!);
  const loadBefore = os.loadavg().map((value) => round(value, 2));

  const bundle = await buildDashboardUi();
  const recordMicros = await recordCostMicros();
  // Chromium inherits core 0; then this process (the load generator) and the stacks it forks move to core 1.
  if (pinned) pin(process.pid, 0);
  const browser = await launchChromium();
  if (pinned) pin(process.pid, 1);
  const off = await startChild(false);
  const on = await startChild(true, profileDir);
  const chromiumPids = descendants('chromium');
  try {
    // Page load: a fresh browser context each time (no cache), until the load event and until the live feed is connected.
    const loads: { loadMs: number; liveMs: number }[] = [];
    for (let i = 0; i < PAGE_LOADS; i++) {
      const context = await browser.newContext();
      const page = await context.newPage();
      const t0 = performance.now();
      await page.goto(`http://127.0.0.1:${on.ports.admin}/dashboard/#live`, { waitUntil: 'load' });
      const loadMs = performance.now() - t0;
      await page.waitForSelector('.dot.on');
      loads.push({ loadMs, liveMs: performance.now() - t0 });
      await context.close();
    }
    const pageLoad = { load_ms_median: round(median(loads.slice(1).map((l) => l.loadMs)), 1), live_connected_ms_median: round(median(loads.slice(1).map((l) => l.liveMs)), 1), runs: loads.length - 1 };

    const livePage = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    await livePage.goto(`http://127.0.0.1:${on.ports.admin}/dashboard/#live`);
    await livePage.waitForSelector('.dot.on');
    const sse = countLiveFeed(on.ports.admin);

    // Warm both up, then interleave.
    await fixedRate(off.ports.gateway, 1);
    await fixedRate(on.ports.gateway, 1);
    const samples: Record<'off' | 'on', { p50: number; p99: number; rps: number; cpuPerRequestMs: number; failed: number }[]> = { off: [], on: [] };
    let liveSent = 0;
    let browserCpuMs = 0;
    await new Promise((resolve) => setTimeout(resolve, 500));
    const liveBefore = sse.counts();
    // The live stack is idle during the other stack's rounds, so its feed's rates are over its own rounds.
    let liveSeconds = 0;
    for (let round = 0; round < rounds; round++) {
      for (const [name, stack] of [['off', off], ['on', on]] as const) {
        const cpu0 = await childCpuMs(stack.child);
        const browser0 = processCpuMs(chromiumPids);
        const result = await fixedRate(stack.ports.gateway, seconds);
        const cpu1 = await childCpuMs(stack.child);
        if (name === 'on') {
          liveSent += result.sent;
          liveSeconds += result.elapsed;
          browserCpuMs += processCpuMs(chromiumPids) - browser0;
        }
        samples[name].push({
          p50: percentile(result.latencies, 50),
          p99: percentile(result.latencies, 99),
          rps: result.latencies.length / result.elapsed,
          cpuPerRequestMs: (cpu1 - cpu0) / result.sent,
          failed: result.failed,
        });
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const liveAfter = sse.counts();
    const shownInTable = await livePage.locator('.live-table tbody tr').count();
    sse.close();

    const summarise = (name: 'off' | 'on') => ({
      p50_ms: round(median(samples[name].map((s) => s.p50))),
      p99_ms: round(median(samples[name].map((s) => s.p99))),
      achieved_rps: Math.round(median(samples[name].map((s) => s.rps))),
      cpu_ms_per_request: round(median(samples[name].map((s) => s.cpuPerRequestMs)), 4),
      failed: samples[name].reduce((sum, s) => sum + s.failed, 0),
    });
    const dashboardOff = summarise('off');
    const dashboardOn = summarise('on');
    const result = {
      bundle: { bytes: bundle.bytes, gzip_bytes: bundle.gzipBytes, gzip_kb: round(bundle.gzipBytes / 1024, 1), target_kb: 500 },
      page_load: { ...pageLoad, target_ms: 1000 },
      live_table_at_1000_rps: {
        offered_rps: RATE_PER_SECOND,
        seconds_per_round: seconds,
        rounds,
        dashboard_off: dashboardOff,
        dashboard_on_with_live_page: dashboardOn,
        p50_slowdown_percent: round(((dashboardOn.p50_ms - dashboardOff.p50_ms) / dashboardOff.p50_ms) * 100, 1),
        cpu_per_request_increase_percent: round(((dashboardOn.cpu_ms_per_request - dashboardOff.cpu_ms_per_request) / dashboardOff.cpu_ms_per_request) * 100, 1),
        live_requests_sent: liveSent,
        live_requests_accounted: liveAfter.accounted - liveBefore.accounted,
        live_rows_received: liveAfter.rows - liveBefore.rows,
        live_events_per_second: round((liveAfter.events - liveBefore.events) / liveSeconds, 1),
        live_kb_per_second: round((liveAfter.bytes - liveBefore.bytes) / 1024 / liveSeconds, 1),
        rows_in_live_table: shownInTable,
        browser_cpu_ms_per_request: round(browserCpuMs / liveSent, 4),
        target_slowdown_percent: 2,
      },
      dashboard_cpu_us_per_request: round(recordMicros, 2),
    };
    console.table({ bundle: result.bundle, page_load: result.page_load });
    console.log(`dashboard CPU per request (record + live batch): ${result.dashboard_cpu_us_per_request} µs; gateway CPU per request: ${dashboardOff.cpu_ms_per_request * 1000} µs`);
    console.table({ off: dashboardOff, on: dashboardOn });
    console.log(JSON.stringify(result.live_table_at_1000_rps, null, 2));
    const outDir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'results');
    await mkdir(outDir, { recursive: true });
    const machine = { node: process.version, cpus: os.cpus().length, cpu: os.cpus()[0]?.model ?? 'unknown', loadavg_before: loadBefore, loadavg_after: os.loadavg().map((value) => round(value, 2)) };
    const placement = pinned ? 'pinned: Chromium on core 0, stacks and load generator on core 1' : 'unpinned: everything shares both cores';
    const commit = execFileSync('git', ['rev-parse', 'HEAD'], { encoding: 'utf8' }).trim();
    await writeFile(path.join(outDir, pinned ? 'dashboard-pinned.json' : 'dashboard.json'), `${JSON.stringify({ machine, placement, commit, date: new Date().toISOString(), ...result }, null, 2)}\n`);
  } finally {
    await browser.close();
    for (const stack of [off, on]) {
      stack.child.send('stop');
      await once(stack.child, 'exit');
    }
  }
}

if (process.argv.includes(STACK_FLAG)) await serveStack(process.argv[process.argv.indexOf(STACK_FLAG) + 1] === 'true');
else await main();
