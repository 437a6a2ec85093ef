/**
 * Held-out top-1 of a domain model folder through the TypeScript runtime (loaded as the domain signal loads it):
 *  * MMLU-Pro held out: one row per question whose FNV-1a(split key) % 5 == 0, the split key being the
 *    first 80 characters of its lower-cased tokens joined by spaces (training/domain_data.py);
 *  * the natural-question evaluation (eval/domain-natural.jsonl), per source, for the split asked
 *    (test by default; a row is right when the top label is in its `accept` list).
 * Also the share of right answers whose probability reaches 0.5, the default rule threshold.
 * Run: `npx tsx training/evaluate-domain.ts [model dir] [--split dev|test]` (default models/domain-head, test).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { resolve } from 'node:path';
import { BUNDLED_DOMAIN_HEAD_DIR } from '../src/classifiers/bundled-models.js';
import { fnv1a, tokenize } from '../src/classifiers/text-features.js';
import { leaseClassifier } from '../src/signals/model-cache.js';

interface MmluProRow {
  readonly question: string;
  readonly options: readonly string[];
  readonly category: string;
}

interface NaturalRow {
  readonly text: string;
  readonly accept: readonly string[];
  readonly source: string;
  readonly split: string;
}

function jsonl<T>(file: string): T[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as T);
}

const args = process.argv.slice(2);
const splitFlag = args.indexOf('--split');
const split = splitFlag >= 0 ? args[splitFlag + 1]! : 'test';
const modelArg = args.find((a, i) => !a.startsWith('--') && (splitFlag < 0 || i !== splitFlag + 1));
const modelDir = modelArg === undefined ? BUNDLED_DOMAIN_HEAD_DIR : resolve(modelArg);
const dataDir = process.env['SWITCHYARD_DATA'] ?? fileURLToPath(new URL('../../shared/data', import.meta.url));
const splitKey = (question: string): string => tokenize(question).join(' ').slice(0, 80);
const seen = new Set<string>();
const heldOut = jsonl<MmluProRow>(join(dataDir, 'mmlu-pro', 'mmlu_pro_test.jsonl')).filter((row) => {
  const key = splitKey(row.question);
  if (fnv1a(key) % 5 !== 0 || seen.has(key)) return false;
  seen.add(key);
  return true;
});
const natural = jsonl<NaturalRow>(fileURLToPath(new URL('../eval/domain-natural.jsonl', import.meta.url))).filter((r) => r.split === split);

const { model: classifier } = await leaseClassifier(modelDir);
const tally = new Map<string, { right: number; confident: number; total: number }>();
async function score(set: string, text: string, accept: readonly string[]): Promise<void> {
  const top = (await classifier.classify(text))[0]!;
  const t = tally.get(set) ?? { right: 0, confident: 0, total: 0 };
  t.total += 1;
  if (accept.includes(top.label)) {
    t.right += 1;
    if (top.score >= 0.5) t.confident += 1;
  }
  tally.set(set, t);
}
for (const row of heldOut) await score('mmlu-pro held out', row.question, [row.category]);
for (const row of natural) {
  await score(`natural ${split}: ${row.source}`, row.text, row.accept);
  await score(`natural ${split}: ALL`, row.text, row.accept);
}
const pct = (n: number, d: number): string => `${((100 * n) / d).toFixed(1)}%`;
console.log(`model ${modelDir}`);
for (const [set, t] of [...tally].sort(([a], [b]) => a.localeCompare(b))) {
  console.log(`${set.padEnd(36)} ${String(t.total).padStart(5)} rows  top-1 ${pct(t.right, t.total).padStart(6)}  right and >= 0.5: ${pct(t.confident, t.total)}`);
}
