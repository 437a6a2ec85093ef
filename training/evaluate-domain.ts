/**
 * Held-out top-1 of a domain model folder through the TypeScript runtime (FeatureClassifier), to check it
 * reproduces the figure train_domain.py reports. Held out = MMLU-Pro questions whose
 * FNV-1a(question_id) % 5 == 0, as in training/domain_data.py.
 * Run: `npx tsx training/evaluate-domain.ts [model dir]` (default models/domain).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BUNDLED_DOMAIN_DIR, BUNDLED_EMBEDDER_DIR } from '../src/classifiers/bundled-models.js';
import { FeatureClassifier } from '../src/classifiers/feature-classifier.js';
import { fnv1a } from '../src/classifiers/text-features.js';
import { WordVectorEmbedder } from '../src/classifiers/word-vector-embedder.js';

interface MmluProRow {
  readonly question_id: number;
  readonly question: string;
  readonly options: readonly string[];
  readonly category: string;
}

const dataDir = process.env['SWITCHYARD_DATA'] ?? fileURLToPath(new URL('../../shared/data', import.meta.url));
const rows = readFileSync(join(dataDir, 'mmlu-pro', 'mmlu_pro_test.jsonl'), 'utf8')
  .split('\n')
  .filter((line) => line.trim() !== '')
  .map((line) => JSON.parse(line) as MmluProRow)
  .filter((row) => fnv1a(String(row.question_id)) % 5 === 0);

const classifier = await FeatureClassifier.load(process.argv[2] ?? BUNDLED_DOMAIN_DIR, await WordVectorEmbedder.load(BUNDLED_EMBEDDER_DIR));
const withOptions = (row: MmluProRow): string =>
  `${row.question}\n${row.options.map((o, i) => `${String.fromCharCode(65 + i)}. ${o}`).join('\n')}`;
let questionOnly = 0;
let optionsToo = 0;
for (const row of rows) {
  if ((await classifier.classify(row.question))[0]!.label === row.category) questionOnly++;
  if ((await classifier.classify(withOptions(row)))[0]!.label === row.category) optionsToo++;
}
const pct = (n: number): string => `${((100 * n) / rows.length).toFixed(2)}%`;
console.log(`held-out questions ${rows.length}: question only ${pct(questionOnly)}, with options ${pct(optionsToo)}`);
