/**
 * The web dashboard's targets (issue 18): the UI bundle's gzipped size, how long the page takes
 * to load from a local server in headless Chromium, and whether the live table at 1,000 req/s
 * slows the gateway. For the last, two stacks run in child processes (gateway + sidecar + admin
 * + stubs, as `switchyard serve` runs them), one with `dashboard.enabled: false` and one with the
 * live page open in Chromium plus an SSE client counting the records it receives. The same
 * fixed-rate load (10 requests every 10 ms) goes to each in interleaved rounds; the figures are
 * each condition's median over the rounds: latency, achieved rate, and the child's CPU time per request.
 *
 *   npx tsx bench/dashboard.ts [--rounds N] [--seconds S]
 *
 * Prints a table and writes bench/results/dashboard.json.
 */
import { fork, type ChildProcess } from 'node:child_process';
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

async function startChild(dashboard: boolean): Promise<{ child: ChildProcess; ports: Ports }> {
  const child = fork(fileURLToPath(import.meta.url), [STACK_FLAG, String(dashboard)], { execArgv: process.execArgv });
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

/** Counts the records an SSE client of the live feed receives. */
function countLiveRecords(admin: number): { count: () => number; close: () => void } {
  let records = 0;
  let buffer = '';
  const request = http.get(`http://127.0.0.1:${admin}/dashboard/api/live`, (response) => {
    response.setEncoding('utf8');
    response.on('data', (chunk: string) => {
      buffer += chunk;
      const events = buffer.split('\n\n');
      buffer = events.pop() ?? '';
      for (const event of events) {
        const data = event.split('\n').find((line) => line.startsWith('data: '));
        if (data !== undefined) records += (JSON.parse(data.slice(6)) as unknown[]).length;
      }
    });
  });
  request.on('error', () => undefined);
  return { count: () => records, close: () => request.destroy() };
}

/**
 * The dashboard's own CPU per request, without the noise of a whole stack: the request log's
 * entry going into the record store and out as part of a live-feed batch (JSON), in microseconds.
 */
async function recordCostMicros(): Promise<number> {
  const logger = createSilentLogger();
  const store = await RequestStore.open({ capacity: 5000, store: 'memory', redisUrl: '', redisKey: '' }, logger);
  const pending: unknown[] = [];
  let bytes = 0;
  store.subscribe((record) => {
    pending.push(record);
    if (pending.length === 250) {
      bytes += JSON.stringify(pending).length;
      pending.length = 0;
    }
  });
  const entry: RequestLogEntry = { requestId: '5b0e6a2c-3f57-4c43-9d0c-1f1f7f5f8a21', method: 'POST', path: '/v1/chat/completions', decision: 'coding-route', model: 'mlx-community/Qwen3-Coder-Next-4bit', reasoning: false, blocked: false, cached: false, status: 200, routingMs: 0.42, upstreamMs: 12.5, latencyMs: 13.1, traceId: null, selection: { algorithm: 'static', reason: 'first modelRef' }, signals: { keyword: ['coding_keywords'] } };
  const count = 200_000;
  for (let i = 0; i < 20_000; i++) logRequest(logger, entry);
  const started = performance.now();
  for (let i = 0; i < count; i++) logRequest(logger, entry);
  const micros = ((performance.now() - started) * 1000) / count;
  await store.close();
  return bytes > 0 ? micros : Number.NaN;
}

async function main(): Promise<void> {
  const argument = (name: string, fallback: number): number => {
    const index = process.argv.indexOf(name);
    return index === -1 ? fallback : Number(process.argv[index + 1]);
  };
  const rounds = argument('--rounds', 3);
  const seconds = argument('--seconds', 5);

  const bundle = await buildDashboardUi();
  const recordMicros = await recordCostMicros();
  const off = await startChild(false);
  const on = await startChild(true);
  const browser = await launchChromium();
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
    const sse = countLiveRecords(on.ports.admin);

    // Warm both up, then interleave.
    await fixedRate(off.ports.gateway, 1);
    await fixedRate(on.ports.gateway, 1);
    const samples: Record<'off' | 'on', { p50: number; p99: number; rps: number; cpuPerRequestMs: number; failed: number }[]> = { off: [], on: [] };
    let liveSent = 0;
    const liveBefore = sse.count();
    for (let round = 0; round < rounds; round++) {
      for (const [name, stack] of [['off', off], ['on', on]] as const) {
        const cpu0 = await childCpuMs(stack.child);
        const result = await fixedRate(stack.ports.gateway, seconds);
        const cpu1 = await childCpuMs(stack.child);
        if (name === 'on') liveSent += result.sent;
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
    const liveReceived = sse.count() - liveBefore;
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
        live_records_received: liveReceived,
        live_requests_sent: liveSent,
        rows_in_live_table: shownInTable,
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
    const machine = { node: process.version, cpus: os.cpus().length, cpu: os.cpus()[0]?.model ?? 'unknown', loadavg: os.loadavg().map((value) => round(value, 2)) };
    await writeFile(path.join(outDir, 'dashboard.json'), `${JSON.stringify({ machine, ...result }, null, 2)}\n`);
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
