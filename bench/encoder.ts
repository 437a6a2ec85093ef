/**
 * Cost of one sentence-encoder embedding (models/use-lite, onnxruntime-node, one thread) at 16, 64
 * and 128 tokens (128 is the model's window: every prompt of ~130 tokens or more costs the same),
 * p50 / p99 / min over distinct texts, plus load time. Run: `npx tsx bench/encoder.ts [--runs N]`;
 * results go to bench/results/encoder.json. The min column is the cost on an idle core.
 */
import { writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { BUNDLED_ENCODER_DIR } from '../src/classifiers/bundled-models.js';
import { UseLiteEmbedder } from '../src/classifiers/use-lite-embedder.js';

const RESULTS = fileURLToPath(new URL('./results/encoder.json', import.meta.url));
const runsFlag = process.argv.indexOf('--runs');
const RUNS = runsFlag === -1 ? 300 : Number(process.argv[runsFlag + 1]);
const WORDS = 'the quick brown fox jumps over a lazy dog while seven wizards quietly judge boxing matches'.split(' ');

const loadStart = performance.now();
const encoder = await UseLiteEmbedder.load(BUNDLED_ENCODER_DIR);
const loadMs = performance.now() - loadStart;

/** A distinct text of about `tokens` tokens (each run differs, so the memo never answers). */
function text(tokens: number, run: number): string {
  const words = Array.from({ length: tokens - 3 }, (_, i) => WORDS[(i * 7 + run) % WORDS.length]!);
  return `${run} ${words.join(' ')}`;
}

const rows = [];
for (const tokens of [16, 64, 128]) {
  for (let run = 0; run < 30; run++) await encoder.embed([text(tokens, -run - 1)]);
  const times: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    const t = text(tokens, run);
    const start = performance.now();
    await encoder.embed([t]);
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  const ms = (x: number): number => Math.round(x * 1000) / 1000;
  const row = { tokens: encoder.tokenIds(text(tokens, 0)).length, p50: ms(times[Math.floor(RUNS / 2)]!), p99: ms(times[Math.floor(RUNS * 0.99)]!), min: ms(times[0]!) };
  console.log(`${String(row.tokens).padStart(4)} tokens  p50 ${row.p50} ms  p99 ${row.p99} ms  min ${row.min} ms`);
  rows.push(row);
}
console.log(`load ${Math.round(loadMs)} ms; load average ${loadavg()[0]!.toFixed(1)} on ${cpus().length} cores`);
writeFileSync(RESULTS, `${JSON.stringify({ model: 'models/use-lite', node: process.version, cpus: cpus().length, load_average: Number(loadavg()[0]!.toFixed(1)), runs: RUNS, load_ms: Math.round(loadMs), latency_ms: rows }, null, 2)}\n`);
