/**
 * What model selection adds to routing: p50/p99 of one `select` per algorithm with learned state in
 * place (ratings, posteriors, latency windows filled), the trained selectors reading the MMLU
 * files, and the request embedding already computed by the signals (the shared embedder
 * remembers it), as in a routed request.
 * Run: `npx tsx bench/selection.ts [--runs N]`; results go to bench/results/selection.json.
 */
import { writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { loadConfigText } from '../src/config/load.js';
import type { RuntimeConfig } from '../src/config/runtime-config.js';
import { leaseEmbedder } from '../src/signals/model-cache.js';
import type { SelectionRequest } from '../src/selection/selection-algorithm.js';

const RESULTS = fileURLToPath(new URL('./results/selection.json', import.meta.url));
const MODELS = fileURLToPath(new URL('../models/selection/', import.meta.url));
const runsFlag = process.argv.indexOf('--runs');
const RUNS = runsFlag === -1 ? 20000 : Number(process.argv[runsFlag + 1]);
const WARMUP = 2000;
const ALGORITHMS = ['static', 'weighted', 'latency_aware', 'elo', 'rl_driven', 'router_dc', 'automix', 'hybrid', 'knn', 'kmeans', 'svm', 'mlp'];
const PROMPT = 'A school has 1,240 students; 35% of them take the bus and a quarter of the rest walk. How many students neither take the bus nor walk?';

function block(type: string): string {
  if (type === 'latency_aware') return '{type: latency_aware, latency_aware: {ttft_percentile: 90, tpot_percentile: 50}}';
  if (['knn', 'kmeans', 'svm', 'mlp'].includes(type)) return `{type: ${type}, ${type}: {pretrained_path: "mmlu-${type}.json"}}`;
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
// The signals embedded the prompt already; the shared embedder hands the same vector back.
const embedder = await leaseEmbedder();
await embedder.model.embed([PROMPT]);

const results: Record<string, { p50: number; p99: number }> = {};
for (const type of ALGORITHMS) {
  const compiled = selection.forDecision(type)!;
  const request = async (): Promise<SelectionRequest> => ({
    decision: type,
    category: type,
    userId: 'u1',
    text: PROMPT,
    embedding: compiled.selector.needsEmbedding ? await selection.embed(PROMPT, compiled.selector.embedderDir) : undefined,
    random: Math.random,
  });
  const once = async (): Promise<void> => {
    compiled.selector.select(await request(), compiled.candidates);
  };
  for (let i = 0; i < WARMUP; i++) await once();
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const start = performance.now();
    await once();
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  const at = (q: number): number => Math.round(times[Math.min(times.length - 1, Math.ceil(q * times.length) - 1)]! * 10000) / 10000;
  results[type] = { p50: at(0.5), p99: at(0.99) };
  process.stdout.write(`${type.padEnd(14)} p50 ${results[type]!.p50.toFixed(4)} ms  p99 ${results[type]!.p99.toFixed(4)} ms\n`);
}
embedder.release();
await config.close();
writeFileSync(RESULTS, `${JSON.stringify({ node: process.version, cpus: cpus().length, cpu: cpus()[0]?.model.split(' ').slice(0, 2).join(' '), runs: RUNS, prompt_chars: PROMPT.length, select_ms: results }, null, 2)}\n`);
