/**
 * What model selection adds to routing: one `select` per algorithm with learned state in place
 * (ratings, posteriors, latency windows filled), the trained selectors reading the shipped MMLU
 * files, and the request embedding already computed by the signals (the shared embedder
 * remembers it), as in a routed request: the time covers fetching that embedding and `select`.
 *
 * The machine this runs on is shared, so each call is timed twice over:
 * - wall: performance.now() around the call, over all calls (what a request sees under load);
 * - uninterrupted: the same, over the calls during which the main thread was never switched out
 *   (its run count in /proc/thread-self/schedstat did not move): the call's own on-CPU time,
 *   which other processes cannot inflate. The share of calls interrupted is reported.
 * Both come from `--rounds` rounds (default 5) of `--runs` calls each, algorithms interleaved per
 * round; per-round p99s show the spread.
 *
 * Run: `npx tsx bench/selection.ts [--runs N] [--rounds R]`; results go to bench/results/selection.json.
 */
import { openSync, readSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { loadConfigText } from '../src/config/load.js';
import type { RuntimeConfig } from '../src/config/runtime-config.js';
import { BUNDLED_ENCODER_DIR } from '../src/classifiers/bundled-models.js';
import { leaseEmbedder } from '../src/signals/model-cache.js';
import type { SelectionRequest } from '../src/selection/selection-algorithm.js';

const RESULTS = fileURLToPath(new URL('./results/selection.json', import.meta.url));
const MODELS = fileURLToPath(new URL('../models/selection/', import.meta.url));
const flag = (name: string, fallback: number): number => (process.argv.includes(name) ? Number(process.argv[process.argv.indexOf(name) + 1]) : fallback);
const RUNS = flag('--runs', 5000);
const ROUNDS = flag('--rounds', 5);
const WARMUP = 2000;
const TRAINED = ['knn', 'kmeans', 'svm', 'mlp', 'ensemble'];
const ALGORITHMS = ['static', 'weighted', 'latency_aware', 'elo', 'rl_driven', 'router_dc', 'automix', 'hybrid', ...TRAINED];
const PROMPT = 'A school has 1,240 students; 35% of them take the bus and a quarter of the rest walk. How many students neither take the bus nor walk?';

function block(type: string): string {
  if (type === 'latency_aware') return '{type: latency_aware, latency_aware: {ttft_percentile: 90, tpot_percentile: 50}}';
  if (TRAINED.includes(type)) return `{type: ${type}, ${type}: {pretrained_path: "mmlu-${type}.json"}}`;
  return `{type: ${type}}`;
}

const text = `version: v0.1
providers:
  models:
    - {name: "mixtral-8x7b-instruct", endpoints: [{name: a, endpoint: "localhost:8001"}], pricing: {prompt_per_1m: 0.6, completion_per_1m: 0.6}, quality_score: 0.68, description: "mixture of experts model for general questions"}
    - {name: "gpt-4-1106-preview", endpoints: [{name: b, endpoint: "localhost:8002"}], pricing: {prompt_per_1m: 10, completion_per_1m: 30}, quality_score: 0.81, description: "frontier model for hard reasoning and mathematics"}
model_selection:
  ml: {models_path: "${MODELS}"}
decisions:
${ALGORITHMS.map((type) => `  - name: "${type}"\n    rules: {operator: OR, conditions: []}\n    modelRefs: [{model: "mixtral-8x7b-instruct", use_reasoning: false}, {model: "gpt-4-1106-preview", use_reasoning: false}]\n    algorithm: ${block(type)}`).join('\n')}
`;
const { config, diagnostics } = await loadConfigText(text, 'bench-selection.yaml', { env: {} });
if (config === undefined) throw new Error(diagnostics.map((d) => `${d.line}:${d.col} ${d.message}`).join('\n'));
const selection = (config as RuntimeConfig).selection!;
// Learned state as after some traffic.
for (let i = 0; i < 200; i++) {
  for (const model of ['mixtral-8x7b-instruct', 'gpt-4-1106-preview']) selection.latency.observe(model, { ttftMs: 100 + (i % 37), tpotMs: 20 + (i % 11) });
}
for (const type of ALGORITHMS) {
  for (let i = 0; i < 20; i++) {
    await selection.learn({ decision: type, category: type, userId: undefined, pair: { winner: 'gpt-4-1106-preview', loser: 'mixtral-8x7b-instruct', tie: i % 4 === 0 }, rewards: [{ model: 'gpt-4-1106-preview', reward: 1 }, { model: 'mixtral-8x7b-instruct', reward: 0 }] });
  }
}
// The signals embedded the prompt already (router_dc with the word vectors, the trained selectors
// with USE-Lite, as the domain signal does); the shared embedders hand the same vectors back.
const embedders = [await leaseEmbedder(), await leaseEmbedder(BUNDLED_ENCODER_DIR)];
for (const embedder of embedders) await embedder.model.embed([PROMPT]);

/** The main thread's schedstat: [on-CPU ns, times it was put on a CPU]; undefined off Linux. */
const schedstat = (() => {
  try {
    return openSync('/proc/thread-self/schedstat', 'r');
  } catch {
    return undefined;
  }
})();
const scratch = Buffer.alloc(128);
function runCount(): number {
  if (schedstat === undefined) return 0;
  const length = readSync(schedstat, scratch, 0, scratch.length, 0);
  return Number(scratch.toString('latin1', 0, length).split(' ')[2]);
}

const calls = new Map(
  ALGORITHMS.map((type) => {
    const compiled = selection.forDecision(type)!;
    const request = async (): Promise<SelectionRequest> => ({
      decision: type,
      category: type,
      userId: 'u1',
      text: PROMPT,
      embedding: compiled.selector.needsEmbedding ? await selection.embed(PROMPT, compiled.selector.embedderDir) : undefined,
      random: Math.random,
    });
    return [type, async (): Promise<string> => compiled.selector.select(await request(), compiled.candidates).reason] as const;
  }),
);

const at = (sorted: readonly number[], q: number): number => Math.round((sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? Number.NaN) * 1e4) / 1e4;
const wall = new Map(ALGORITHMS.map((type) => [type, [] as number[]]));
const clean = new Map(ALGORITHMS.map((type) => [type, [] as number[]]));
const roundP99 = new Map(ALGORITHMS.map((type) => [type, [] as number[]]));
const cpuPerCall = new Map(ALGORITHMS.map((type) => [type, [] as number[]]));
for (const once of calls.values()) for (let i = 0; i < WARMUP; i++) await once();
const loadBefore = loadavg()[0]!;
for (let round = 0; round < ROUNDS; round++) {
  for (const [type, once] of calls) {
    const times: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const before = runCount();
      const start = performance.now();
      await once();
      const elapsed = performance.now() - start;
      times.push(elapsed);
      if (runCount() === before) clean.get(type)!.push(elapsed);
    }
    wall.get(type)!.push(...times);
    roundP99.get(type)!.push(at([...times].sort((a, b) => a - b), 0.99));
    // Process CPU time over a batch without the schedstat reads: on-CPU cost per call.
    const cpu = process.cpuUsage();
    for (let i = 0; i < RUNS; i++) await once();
    const used = process.cpuUsage(cpu);
    cpuPerCall.get(type)!.push((used.user + used.system) / 1000 / RUNS);
  }
}

const results: Record<string, unknown> = {};
process.stdout.write(`${'algorithm'.padEnd(14)} ${'wall p50'.padStart(9)} ${'wall p99'.padStart(9)} ${'uninterrupted p50'.padStart(18)} ${'p99'.padStart(8)} ${'interrupted'.padStart(12)} ${'cpu/call'.padStart(9)}   per-round wall p99 (ms)\n`);
for (const type of ALGORITHMS) {
  const all = wall.get(type)!.sort((a, b) => a - b);
  const quiet = clean.get(type)!.sort((a, b) => a - b);
  const cpu = cpuPerCall.get(type)!.sort((a, b) => a - b);
  const row = {
    wall: { p50: at(all, 0.5), p99: at(all, 0.99) },
    uninterrupted: { p50: at(quiet, 0.5), p99: at(quiet, 0.99), calls: quiet.length, interrupted_share: Math.round((1 - quiet.length / all.length) * 1e4) / 1e4 },
    cpu_ms_per_call_median_round: Math.round(cpu[Math.floor(cpu.length / 2)]! * 1e4) / 1e4,
    round_wall_p99: roundP99.get(type)!,
  };
  results[type] = row;
  process.stdout.write(
    `${type.padEnd(14)} ${row.wall.p50.toFixed(4).padStart(9)} ${row.wall.p99.toFixed(4).padStart(9)} ${row.uninterrupted.p50.toFixed(4).padStart(18)} ${row.uninterrupted.p99.toFixed(4).padStart(8)} ${`${(100 * row.uninterrupted.interrupted_share).toFixed(1)}%`.padStart(12)} ${row.cpu_ms_per_call_median_round.toFixed(4).padStart(9)}   ${row.round_wall_p99.map((value) => value.toFixed(4)).join(' ')}\n`,
  );
}
for (const embedder of embedders) embedder.release();
await config.close();
writeFileSync(
  RESULTS,
  `${JSON.stringify({ node: process.version, cpus: cpus().length, cpu: cpus()[0]?.model.split(' ').slice(0, 2).join(' '), load_average: [Math.round(loadBefore * 10) / 10, Math.round(loadavg()[0]! * 10) / 10], runs_per_round: RUNS, rounds: ROUNDS, prompt_chars: PROMPT.length, target_p99_ms: 0.1, select_ms: results }, null, 2)}\n`,
);
