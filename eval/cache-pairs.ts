/**
 * Semantic-cache quality per source: paraphrase hit rate and wrong-answer rate (near-misses served
 * a cached answer) of the bundled encoder + near-miss guard, on pairs built from ../shared/data and
 * the project's pair set, each split in two halves by a hash of the row id (dev: tune; test: report).
 *
 *   npx tsx eval/cache-pairs.ts --split test               # figures at the shipped defaults
 *   npx tsx eval/cache-pairs.ts --split dev --tune         # also sweeps threshold x word similarity
 *   --limit N   at most N pairs per source and split (default 600)
 *
 * Sources: paws-wiki (label 1 paraphrase, 0 near-miss: same words, other meaning), disfl-qa
 * (question vs its disfluent rewrite: paraphrase; dev.json tunes, test.json reports), ambignq (an
 * ambiguous question vs each disambiguated rewrite, and rewrites of one question against each
 * other: near-misses, each has another answer), pairs (test/fixtures/cache/pairs.jsonl).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { DEFAULT_SIMILARITY_THRESHOLD, DEFAULT_WORD_SIMILARITY } from '../src/cache/default-threshold.js';
import { evaluateThreshold, scorePairs, type LabelledPair, type ScoredPair } from '../src/cache/pair-set-evaluation.js';
import { BUNDLED_ENCODER_DIR } from '../src/classifiers/bundled-models.js';
import { fnv1a } from '../src/classifiers/text-features.js';
import { UseLiteEmbedder } from '../src/classifiers/use-lite-embedder.js';

type Split = 'dev' | 'test';
const DATA = fileURLToPath(new URL('../../shared/data/', import.meta.url));
const PAIRS = fileURLToPath(new URL('../test/fixtures/cache/pairs.jsonl', import.meta.url));
const flag = (name: string): string | undefined => {
  const i = process.argv.indexOf(name);
  return i === -1 ? undefined : process.argv[i + 1];
};
const split = (flag('--split') ?? 'test') as Split;
const limit = Number(flag('--limit') ?? 600);
const tune = process.argv.includes('--tune');

const splitOf = (id: string): Split => (fnv1a(`cache-pairs:${id}`) % 2 === 0 ? 'dev' : 'test');

/** Pairs of each source for one split, at most `limit`, spread over the file. */
function sources(want: Split): Record<string, LabelledPair[]> {
  const paws = readFileSync(`${DATA}paws-wiki/dev.tsv`, 'utf8').split('\n').slice(1).filter(Boolean)
    .map((line) => line.split('\t'))
    .filter(([id]) => splitOf(`paws:${id}`) === want)
    .map(([, a, b, label]): LabelledPair => ({ a: a!, b: b!, label: label?.trim() === '1' ? 'paraphrase' : 'near-miss' }));
  const disfl = Object.values(JSON.parse(readFileSync(`${DATA}disfl-qa/${want === 'dev' ? 'dev' : 'test'}.json`, 'utf8')) as Record<string, { original: string; disfluent: string }>)
    .map((r): LabelledPair => ({ a: r.original, b: r.disfluent, label: 'paraphrase' }));
  const ambig = (JSON.parse(readFileSync(`${DATA}ambignq/dev_light.json`, 'utf8')) as { id: string; question: string; annotations: { type: string; qaPairs?: { question: string }[] }[] }[])
    .filter((item) => splitOf(`ambignq:${item.id}`) === want)
    .flatMap((item) => {
      const rewrites = [...new Set(item.annotations.flatMap((a) => a.qaPairs?.map((q) => q.question) ?? []))];
      const pairs = rewrites.map((r): LabelledPair => ({ a: item.question, b: r, label: 'near-miss', kind: 'broader' }));
      for (let i = 0; i + 1 < rewrites.length; i++) pairs.push({ a: rewrites[i]!, b: rewrites[i + 1]!, label: 'near-miss', kind: 'sibling' });
      return pairs;
    });
  const own = readFileSync(PAIRS, 'utf8').split('\n').filter(Boolean)
    .map((line) => JSON.parse(line) as LabelledPair)
    .filter((p) => splitOf(`pairs:${p.a}\n${p.b}`) === want);
  const spread = (rows: LabelledPair[]): LabelledPair[] => {
    const step = Math.max(1, rows.length / limit);
    return Array.from({ length: Math.min(limit, rows.length) }, (_, i) => rows[Math.floor(i * step)]!);
  };
  return { 'paws-wiki': spread(paws), 'disfl-qa': spread(disfl), ambignq: spread(ambig), pairs: own };
}

const pct = (x: number): string => `${(100 * x).toFixed(1)}%`;
const embedder = await UseLiteEmbedder.load(BUNDLED_ENCODER_DIR);
const scored: Record<string, ScoredPair[]> = {};
for (const [name, pairs] of Object.entries(sources(split))) scored[name] = await scorePairs(embedder, pairs);

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
