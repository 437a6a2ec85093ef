/**
 * Per-request cost of the jailbreak encoder head (models/jailbreak-head) against the windowed n-gram model
 * alone, and how often its cascade runs the sentence encoder, over the distinct prompts of eval/*.jsonl
 * (routing, safety and natural domain questions: everyday traffic plus attacks), each scored once per round
 * with a fresh encoder memo so no vector is reused:
 *   - base alone: models/jailbreak (the default model; the head runs its own grouped-split base first, of like cost);
 *   - head, cascaded: the encoder runs only when the base leaves the decision open (what the signal does);
 *   - head, encoder always: the encoder on every prompt (its full cost; same decisions up to the cascade's bounds).
 * Run: `npx tsx bench/jailbreak-cascade.ts [--rounds N]`; results go to bench/results/jailbreak-cascade.json.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { BUNDLED_EMBEDDER_DIR, BUNDLED_ENCODER_DIR, BUNDLED_JAILBREAK_DIR, BUNDLED_JAILBREAK_HEAD_DIR } from '../src/classifiers/bundled-models.js';
import { UseLiteEmbedder } from '../src/classifiers/use-lite-embedder.js';
import { WordVectorEmbedder } from '../src/classifiers/word-vector-embedder.js';
import { JailbreakClassifier } from '../src/signals/jailbreak/jailbreak-classifier.js';
import { JailbreakEncoderHead, jailbreakHeadBase } from '../src/signals/jailbreak/jailbreak-encoder-head.js';

const RESULTS = fileURLToPath(new URL('./results/jailbreak-cascade.json', import.meta.url));
const roundsFlag = process.argv.indexOf('--rounds');
const ROUNDS = roundsFlag === -1 ? 3 : Number(process.argv[roundsFlag + 1]);

const prompts = [
  ...new Set(
    ['routing.jsonl', 'safety.jsonl', 'domain-natural.jsonl'].flatMap((file) =>
      readFileSync(fileURLToPath(new URL(`../eval/${file}`, import.meta.url)), 'utf8')
        .split('\n')
        .filter((line) => line.trim() !== '')
        .map((line) => (JSON.parse(line) as { text?: string }).text ?? '')
        .filter((text) => text.trim() !== ''),
    ),
  ),
];

const wordVectors = await WordVectorEmbedder.load(BUNDLED_EMBEDDER_DIR);
const base = await JailbreakClassifier.load(BUNDLED_JAILBREAK_DIR, wordVectors);
/** The head stacks on its own windowed model (trained on the grouped split), which the cascade runs first. */
const headBase = await JailbreakClassifier.load(jailbreakHeadBase(BUNDLED_JAILBREAK_HEAD_DIR)!, wordVectors);
/** A fresh encoder per round (no memo across rounds), so every prompt pays its embedding. */
const headWithFreshEncoder = async (): Promise<JailbreakEncoderHead> => JailbreakEncoderHead.load(BUNDLED_JAILBREAK_HEAD_DIR, headBase, await UseLiteEmbedder.load(BUNDLED_ENCODER_DIR));

async function timed(score: (text: string) => Promise<unknown>): Promise<number[]> {
  const times: number[] = [];
  for (const text of prompts) {
    const start = performance.now();
    await score(text);
    times.push(performance.now() - start);
  }
  return times;
}

function summary(times: number[]): Record<string, number> {
  times.sort((a, b) => a - b);
  const at = (q: number): number => Math.round(times[Math.floor(q * (times.length - 1))]! * 1000) / 1000;
  return { p50_ms: at(0.5), p90_ms: at(0.9), p99_ms: at(0.99), mean_ms: Math.round((times.reduce((a, b) => a + b, 0) / times.length) * 1000) / 1000 };
}

await timed((text) => base.score([text])); // warm-up
const baseTimes: number[] = [];
const cascadeTimes: number[] = [];
const fullTimes: number[] = [];
let scored = 0;
let encoded = 0;
for (let round = 0; round < ROUNDS; round++) {
  baseTimes.push(...(await timed((text) => base.score([text]))));
  const cascaded = await headWithFreshEncoder();
  cascadeTimes.push(...(await timed((text) => cascaded.score([text]))));
  scored += cascaded.scored;
  encoded += cascaded.encoded;
  const full = await headWithFreshEncoder();
  fullTimes.push(...(await timed((text) => full.exactScores([text]))));
}
const result = {
  bench: 'jailbreak-cascade',
  prompts: prompts.length,
  rounds: ROUNDS,
  base_alone: summary(baseTimes),
  head_cascaded: summary(cascadeTimes),
  head_encoder_always: summary(fullTimes),
  encoder_runs_share: Math.round((encoded / scored) * 10000) / 10000,
  machine: { cpus: cpus().length, loadavg_1m: Math.round(loadavg()[0]! * 100) / 100 },
  at: new Date().toISOString(),
};
writeFileSync(RESULTS, JSON.stringify(result, null, 1) + '\n');
console.log(JSON.stringify(result));
