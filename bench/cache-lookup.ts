/**
 * Semantic-cache lookup latency at 1k and 10k entries (p50/p99, embedding excluded and included;
 * the bundled sentence encoder, models/use-lite), memory per entry, and the hit / wrong-answer rates
 * on the labelled pair set at the defaults (per-source figures: eval/cache-pairs.ts), and the
 * guard's rule cost per candidate (µs).
 * Run: `npx tsx bench/cache-lookup.ts [--sizes 1000,10000,100000] [--ef-search 64]`.
 * Writes bench/results/cache-lookup.json.
 */
import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_SIMILARITY_THRESHOLD, DEFAULT_WORD_SIMILARITY } from '../src/cache/default-threshold.js';
import { LocalCacheIndex } from '../src/cache/local-cache-index.js';
import { withAlignedRepairs } from '../src/cache/aligned-repair.js';
import { nearMissReason, structuralReason } from '../src/cache/near-miss-guard.js';
import { evaluateThreshold, readPairSet, scorePairs } from '../src/cache/pair-set-evaluation.js';
import { promptFacts } from '../src/cache/prompt-facts.js';
import { BUNDLED_EMBEDDER_DIR, BUNDLED_ENCODER_DIR } from '../src/classifiers/bundled-models.js';
import { UseLiteEmbedder } from '../src/classifiers/use-lite-embedder.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const LOOKUPS = 2000;
const NAMESPACES = 64;
const DEFAULT_HNSW = { m: 16, efConstruction: 200, efSearch: 64 };

/** A deterministic pseudo-random source (mulberry32), so every run builds the same cache. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function percentile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

function summary(times: number[]): { p50: number; p99: number } {
  times.sort((a, b) => a - b);
  return { p50: Number(percentile(times, 0.5).toFixed(4)), p99: Number(percentile(times, 0.99).toFixed(4)) };
}

async function main(): Promise<void> {
  const sizesArg = process.argv.indexOf('--sizes');
  const sizes = sizesArg === -1 ? [1000, 10_000] : process.argv[sizesArg + 1]!.split(',').map(Number);
  const efArg = process.argv.indexOf('--ef-search');
  const HNSW = efArg === -1 ? DEFAULT_HNSW : { ...DEFAULT_HNSW, efSearch: Number(process.argv[efArg + 1]) };
  const embedder = await UseLiteEmbedder.load(BUNDLED_ENCODER_DIR);
  const matching = { embedder, wordSimilarity: DEFAULT_WORD_SIMILARITY };
  // Random sentences over the word-vector embedder's vocabulary (just a word list here).
  const vocabulary = (await readFile(path.join(BUNDLED_EMBEDDER_DIR, 'vocab.txt'), 'utf8')).split('\n').slice(100, 20_000);
  const namespaces = Array.from({ length: NAMESPACES }, (_, i) => createHash('sha256').update(`ns${i}`).digest('hex'));
  const results: Record<string, unknown>[] = [];

  for (const size of sizes) {
    const next = random(size);
    const sentence = (): string => Array.from({ length: 6 + Math.floor(next() * 10) }, () => vocabulary[Math.floor(next() * vocabulary.length)]).join(' ');
    global.gc?.();
    const before = process.memoryUsage();
    const index = new LocalCacheIndex({ embeddingDimensions: embedder.dimensions, maxEntries: size, evictionPolicy: 'lru', hnsw: HNSW });
    const queries: { namespace: string; query: string }[] = [];
    const buildStart = performance.now();
    const texts = Array.from({ length: size }, () => sentence());
    for (let start = 0; start < size; start += 64) {
      const vectors = await embedder.embed(texts.slice(start, start + 64));
      vectors.forEach((vector, k) => {
        const i = start + k;
        const query = texts[i]!;
        const namespace = namespaces[i % NAMESPACES]!;
        if (i % Math.ceil(size / LOOKUPS) === 0) queries.push({ namespace, query });
        const completion = { model: 'bench', content: `answer ${i}: ${query}` };
        index.insert({ id: `e${i}`, namespace, query, vector, expiresAt: Number.MAX_SAFE_INTEGER, completion });
      });
    }
    const buildSeconds = (performance.now() - buildStart) / 1000;
    global.gc?.();
    const after = process.memoryUsage();
    // Half the lookups repeat a stored query (hits), half are new text (misses).
    const lookups = queries.flatMap(({ namespace, query }) => [
      { namespace, query },
      { namespace, query: sentence() },
    ]);
    const vectors = await embedder.embed(lookups.map(({ query }) => query));
    // Embedding included means a text the encoder has not seen: a suffix defeats its recent-text memo.
    let fresh = 0;
    const lookup = async (namespace: string, query: string, vector: Float32Array | undefined): Promise<boolean> => {
      const facts = promptFacts(query);
      const embedded = vector ?? (await embedder.embed([`${query} ${fresh++}`]))[0]!;
      for (const { entry } of index.candidates(namespace, embedded, DEFAULT_SIMILARITY_THRESHOLD, Date.now())) {
        if ((await nearMissReason(facts, promptFacts(entry.query), matching)) === undefined) return true;
      }
      return false;
    };
    // One pass per variant (after a warm-up pass), so neither runs on the other's warm caches.
    const timePass = async (withEmbedding: boolean): Promise<number[]> => {
      const times: number[] = [];
      for (const [i, { namespace, query }] of lookups.entries()) {
        const start = performance.now();
        await lookup(namespace, query, withEmbedding ? undefined : vectors[i]);
        times.push(performance.now() - start);
      }
      return times;
    };
    await timePass(true);
    const excluded = await timePass(false);
    const included = await timePass(true);
    let hits = 0;
    for (const [i, { namespace, query }] of queries.entries()) if (await lookup(namespace, query, vectors[2 * i])) hits += 1;
    const row = {
      entries: size,
      buildSeconds: Number(buildSeconds.toFixed(1)),
      lookupMsEmbeddingExcluded: summary(excluded),
      lookupMsEmbeddingIncluded: summary(included),
      repeatHitRate: Number((hits / queries.length).toFixed(3)),
      bytesPerEntry: {
        rss: Math.round((after.rss - before.rss) / size),
        heap: Math.round((after.heapUsed - before.heapUsed) / size),
        external: Math.round((after.external + after.arrayBuffers - before.external - before.arrayBuffers) / size),
      },
    };
    console.log(JSON.stringify(row));
    results.push(row);
  }

  const pairs = await readPairSet(path.join(ROOT, 'test', 'fixtures', 'cache', 'pairs.jsonl'));
  const scored = await scorePairs(embedder, pairs);
  const sweep = [0.6, 0.7, 0.75, 0.8, 0.85, 0.9].map((threshold) => evaluateThreshold(scored, threshold, DEFAULT_WORD_SIMILARITY));
  const atDefault = evaluateThreshold(scored, DEFAULT_SIMILARITY_THRESHOLD, DEFAULT_WORD_SIMILARITY);
  console.log(JSON.stringify({ pairSet: atDefault }));
  // The guard's rule part per candidate (the cached prompt read, repairs aligned, facts compared;
  // word similarity excluded): on the pair set as is, and with each query made disfluent
  // ("<other question> no sorry <query>") so the repair search runs.
  const ruleMicros = (rows: readonly { a: string; b: string }[]): { p50: number; p99: number } => {
    const times: number[] = [];
    for (let round = 0; round < 20; round++) {
      for (const { a, b } of rows) {
        const start = performance.now();
        const { query, cached } = withAlignedRepairs(promptFacts(b), promptFacts(a));
        structuralReason(query, cached);
        times.push((performance.now() - start) * 1000);
      }
    }
    const { p50, p99 } = summary(times);
    return { p50: Number(p50.toFixed(1)), p99: Number(p99.toFixed(1)) };
  };
  const guardMicrosPerCandidate = {
    pairSet: ruleMicros(pairs),
    disfluent: ruleMicros(pairs.map(({ a, b }, i) => ({ a: b, b: `${pairs[(i + 1) % pairs.length]!.a} no sorry ${b}` }))),
  };
  console.log(JSON.stringify({ guardMicrosPerCandidate }));
  const output = { machine: `${process.platform} ${process.arch}, node ${process.version}`, hnsw: HNSW, lookups: results, pairSet: { atDefault, sweep }, guardMicrosPerCandidate };
  await writeFile(path.join(ROOT, 'bench', 'results', 'cache-lookup.json'), `${JSON.stringify(output, null, 2)}\n`);
}

await main();
