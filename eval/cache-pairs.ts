/**
 * Semantic-cache quality per source: paraphrase hit rate and wrong-answer rate (near-misses served
 * a cached answer) of the bundled encoder + near-miss guard, on the pairs of eval/cache-pair-sources.ts
 * (train: fit rules; val: choose thresholds; test: report only).
 *
 *   npx tsx eval/cache-pairs.ts --split test               # held-out figures at the shipped defaults
 *   npx tsx eval/cache-pairs.ts --split val --tune         # also sweeps threshold x word similarity
 *   --limit N   at most N pairs per source and split (default 600)
 *   --show-errors   print the pairs the cache gets wrong
 */
import { DEFAULT_SIMILARITY_THRESHOLD, DEFAULT_WORD_SIMILARITY } from '../src/cache/default-threshold.js';
import { evaluateThreshold, scorePairs, type ScoredPair } from '../src/cache/pair-set-evaluation.js';
import { BUNDLED_ENCODER_DIR } from '../src/classifiers/bundled-models.js';
import { UseLiteEmbedder } from '../src/classifiers/use-lite-embedder.js';
import { pairSources, PAIR_SPLITS, type PairSplit } from './cache-pair-sources.js';

const flag = (name: string): string | undefined => {
  const i = process.argv.indexOf(name);
  return i === -1 ? undefined : process.argv[i + 1];
};
const split = (flag('--split') ?? 'test') as PairSplit;
if (!PAIR_SPLITS.includes(split)) throw new Error(`--split must be one of ${PAIR_SPLITS.join(', ')}`);
const limit = Number(flag('--limit') ?? 600);
const tune = process.argv.includes('--tune');

const pct = (x: number): string => `${(100 * x).toFixed(1)}%`;
const embedder = await UseLiteEmbedder.load(BUNDLED_ENCODER_DIR);
const scored: Record<string, ScoredPair[]> = {};
for (const [name, pairs] of Object.entries(pairSources(split, limit))) scored[name] = await scorePairs(embedder, pairs);

function report(threshold: number, wordSimilarity: number): void {
  console.log(`split ${split}, similarity_threshold ${threshold}, word similarity ${wordSimilarity}`);
  console.log('source      paraphrases  hits          near-misses  wrong answers   stopped by guard');
  for (const [name, pairs] of Object.entries(scored)) {
    const r = evaluateThreshold(pairs, threshold, wordSimilarity);
    console.log(
      `${name.padEnd(11)} ${String(r.paraphrases).padStart(11)}  ${String(r.paraphraseHits).padStart(4)} ${pct(r.paraphraseHitRate).padStart(7)}  ` +
        `${String(r.nearMisses).padStart(11)}  ${String(r.wrongAnswers).padStart(4)} ${pct(r.wrongAnswerRate).padStart(6)}   ${String(r.stoppedByGuard).padStart(6)}`,
    );
  }
}

if (tune) {
  for (const threshold of [0.6, 0.65, 0.7, 0.75, 0.8, 0.85]) {
    for (const wordSimilarity of [0.5, 0.6, 0.7, 0.8, 0.9]) {
      const cells = Object.entries(scored).map(([name, pairs]) => {
        const r = evaluateThreshold(pairs, threshold, wordSimilarity);
        return `${name} ${r.paraphrases ? pct(r.paraphraseHitRate) : '-'}/${r.nearMisses ? pct(r.wrongAnswerRate) : '-'}`;
      });
      console.log(`t=${threshold} w=${wordSimilarity}: ${cells.join('  ')}`);
    }
  }
}
report(Number(flag('--threshold') ?? DEFAULT_SIMILARITY_THRESHOLD), Number(flag('--word-similarity') ?? DEFAULT_WORD_SIMILARITY));
if (process.argv.includes('--show-errors')) {
  const threshold = Number(flag('--threshold') ?? DEFAULT_SIMILARITY_THRESHOLD);
  const wordSimilarity = Number(flag('--word-similarity') ?? DEFAULT_WORD_SIMILARITY);
  for (const [name, pairs] of Object.entries(scored)) {
    for (const p of pairs) {
      const hit = p.similarity >= threshold && p.structural === undefined && p.coverage >= wordSimilarity;
      if (hit !== (p.label === 'paraphrase')) console.log(`${name} ${p.label} cos ${p.similarity.toFixed(3)} ${p.structural ?? `coverage ${p.coverage.toFixed(2)}`}\n  cached: ${p.a}\n  query:  ${p.b}`);
    }
  }
}
