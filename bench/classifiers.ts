/**
 * Latency of the bundled models and the tiny HF-layout BERT: load time, then p50/p99 per prompt for
 * prompts of about 20, 200 and 500 tokens, plus resident memory. Run: `npx tsx bench/classifiers.ts`.
 */
import { fileURLToPath } from 'node:url';
import { BUNDLED_DOMAIN_DIR, BUNDLED_EMBEDDER_DIR } from '../src/classifiers/bundled-models.js';
import { FeatureClassifier } from '../src/classifiers/feature-classifier.js';
import { HfClassifier } from '../src/classifiers/hf-classifier.js';
import { WordVectorEmbedder } from '../src/classifiers/word-vector-embedder.js';

const SENTENCE = 'Prove that the sum of the first n odd numbers equals n squared using induction on n and explain each step';
const PROMPTS: Record<string, string> = {
  '20 tokens': SENTENCE,
  '200 tokens': Array(10).fill(SENTENCE).join('. '),
  '500 tokens': Array(25).fill(SENTENCE).join('. '),
};
const RUNS = 500;

async function timeIt<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const start = process.hrtime.bigint();
  const value = await fn();
  return [value, Number(process.hrtime.bigint() - start) / 1e6];
}

async function percentiles(fn: () => Promise<unknown>): Promise<string> {
  for (let i = 0; i < 50; i++) await fn();
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) times.push((await timeIt(fn))[1]);
  times.sort((a, b) => a - b);
  const at = (q: number): string => times[Math.min(times.length - 1, Math.floor(q * times.length))]!.toFixed(3);
  return `p50 ${at(0.5)} ms, p99 ${at(0.99)} ms`;
}

const [embedder, embedderLoad] = await timeIt(() => WordVectorEmbedder.load(BUNDLED_EMBEDDER_DIR));
const [domain, domainLoad] = await timeIt(() => FeatureClassifier.load(BUNDLED_DOMAIN_DIR, embedder));
const tinyBertDir = fileURLToPath(new URL('../test/fixtures/models/tiny-bert', import.meta.url));
const [tinyBert, tinyBertLoad] = await timeIt(() => HfClassifier.load(tinyBertDir));
console.log(`load: embedder ${embedderLoad.toFixed(0)} ms, domain ${domainLoad.toFixed(0)} ms, tiny-bert ${tinyBertLoad.toFixed(0)} ms`);
for (const [size, prompt] of Object.entries(PROMPTS)) {
  console.log(`${size}: embedder ${await percentiles(() => embedder.embed([prompt]))}`);
  console.log(`${size}: domain (incl. embedding) ${await percentiles(() => domain.classify(prompt))}`);
  console.log(`${size}: tiny-bert ${await percentiles(() => tinyBert.classify(prompt))}`);
}
console.log(`rss ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MB`);
