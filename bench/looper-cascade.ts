/**
 * What the confidence cascade costs on top of routing, through the whole stack (built-in gateway →
 * ext_proc sidecar → stub upstreams, all on loopback, stubs answering at once): wall time of a
 * request routed straight to the small model, of a cascade whose small model is sure (one call by
 * the router, then its answer as the reply), and of a cascade that escalates (one call, then routed
 * to the large model). The three kinds are interleaved, so machine load hits them alike.
 *
 * Run: `npx tsx bench/looper-cascade.ts [--runs N]`; results go to bench/results/looper-cascade.json.
 */
import { writeFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { request } from 'undici';
import { loadConfigFile } from '../src/config/load.js';
import { startSwitchyard } from '../src/serve-stack/switchyard-stack.js';
import { createSilentLogger } from '../src/telemetry/logger.js';
import { startStubUpstream } from '../src/upstream-stub/stub-upstream.js';

const RESULTS = fileURLToPath(new URL('./results/looper-cascade.json', import.meta.url));
const runsFlag = process.argv.indexOf('--runs');
const RUNS = runsFlag === -1 ? 300 : Number(process.argv[runsFlag + 1]);
const WARMUP = 30;

const small = await startStubUpstream({ port: 0, model: 'small', tokenLogprob: (text) => (text.includes('sure') ? -0.1 : -3) });
const large = await startStubUpstream({ port: 0, model: 'large' });
const dir = await mkdtemp(path.join(tmpdir(), 'switchyard-bench-looper-'));
const file = path.join(dir, 'config.yaml');
await writeFile(
  file,
  `version: v0.1
listeners: [{name: "http", address: "127.0.0.1", port: 8080}]
providers:
  models:
    - {name: "small", param_size: "7b", endpoints: [{name: "s", endpoint: "127.0.0.1:${small.port}"}]}
    - {name: "large", param_size: "400b", endpoints: [{name: "l", endpoint: "127.0.0.1:${large.port}"}]}
signals:
  keywords:
    - {name: "direct", operator: "OR", keywords: ["direct"]}
    - {name: "cascade", operator: "OR", keywords: ["cascade"]}
decisions:
  - {name: "direct", rules: {type: "keyword", name: "direct"}, modelRefs: [{model: "small", use_reasoning: false}]}
  - name: "cascade"
    rules: {type: "keyword", name: "cascade"}
    modelRefs: [{model: "small", use_reasoning: false}, {model: "large", use_reasoning: false}]
    algorithm: {type: "confidence"}
`,
);
const { config } = await loadConfigFile(file, { env: {} });
const stack = await startSwitchyard({ config: config!, grpcPort: 0, listenPort: 0, adminPort: 0, logger: createSilentLogger() });
const url = `http://127.0.0.1:${stack.ports.listeners[0]}/v1/chat/completions`;

const KINDS = { direct: 'a direct question, routed', answered: 'a cascade question the small model is sure of', escalated: 'a cascade question, escalated' } as const;
async function once(content: string): Promise<number> {
  const start = performance.now();
  const response = await request(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'auto', messages: [{ role: 'user', content }] }) });
  await response.body.text();
  if (response.statusCode !== 200) throw new Error(`HTTP ${response.statusCode}`);
  return performance.now() - start;
}

const times: Record<string, number[]> = { direct: [], answered: [], escalated: [] };
for (let i = 0; i < WARMUP + RUNS; i++) {
  for (const [kind, content] of Object.entries(KINDS)) {
    const ms = await once(content);
    if (i >= WARMUP) times[kind]!.push(ms);
  }
}
const at = (list: number[], q: number): number => {
  const sorted = [...list].sort((a, b) => a - b);
  return Math.round(sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]! * 1000) / 1000;
};
const request_ms = Object.fromEntries(Object.entries(times).map(([kind, list]) => [kind, { p50: at(list, 0.5), p99: at(list, 0.99) }]));
const extra_p50_ms = { answered: Math.round((request_ms.answered!.p50 - request_ms.direct!.p50) * 1000) / 1000, escalated: Math.round((request_ms.escalated!.p50 - request_ms.direct!.p50) * 1000) / 1000 };
for (const [kind, value] of Object.entries(request_ms)) process.stdout.write(`${kind.padEnd(10)} p50 ${value.p50.toFixed(3)} ms  p99 ${value.p99.toFixed(3)} ms\n`);
process.stdout.write(`cascade extra at p50: answered ${extra_p50_ms.answered} ms, escalated ${extra_p50_ms.escalated} ms\n`);
await stack.close();
await config!.close();
await small.close();
await large.close();
await rm(dir, { recursive: true, force: true });
writeFileSync(RESULTS, `${JSON.stringify({ node: process.version, cpus: cpus().length, cpu: cpus()[0]?.model.split(' ').slice(0, 2).join(' '), runs: RUNS, request_ms, extra_p50_ms }, null, 2)}\n`);
