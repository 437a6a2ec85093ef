/**
 * Scores texts with a bundled classifier through the TypeScript runtime, for trainers that blend it with
 * an encoder head (training/train_domain_head.py, training/jailbreak/train_jailbreak_head.py).
 *
 *   npx tsx training/dump-classifier-scores.ts domain|jailbreak IN.json OUT.json [MODEL_DIR]
 *
 * MODEL_DIR defaults to the bundled folder of that kind (a head trainer passes another, e.g. a model trained
 * on its own split, so that no test row was seen by the base model).
 * IN.json is a JSON array of texts; OUT.json gets, per text, the raw (uncalibrated) label probabilities
 * in the model's id2label order (domain) or [P(jailbreak)] (the windowed jailbreak score).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { BUNDLED_DOMAIN_DIR, BUNDLED_EMBEDDER_DIR, BUNDLED_JAILBREAK_DIR } from '../src/classifiers/bundled-models.js';
import { parseCalibration } from '../src/classifiers/calibration.js';
import { FeatureClassifier } from '../src/classifiers/feature-classifier.js';
import { WordVectorEmbedder } from '../src/classifiers/word-vector-embedder.js';
import { JailbreakClassifier } from '../src/signals/jailbreak/jailbreak-classifier.js';

const [kind, input, output, modelDir] = process.argv.slice(2);
const texts = JSON.parse(readFileSync(input!, 'utf8')) as string[];
const embedder = await WordVectorEmbedder.load(BUNDLED_EMBEDDER_DIR);
const out: number[][] = [];
if (kind === 'domain') {
  const dir = modelDir ?? BUNDLED_DOMAIN_DIR;
  const classifier = await FeatureClassifier.load(dir, embedder);
  const configPath = `${dir}/config.json`;
  const { temperature } = parseCalibration((JSON.parse(readFileSync(configPath, 'utf8')) as { calibration?: unknown }).calibration, configPath);
  for (const text of texts) {
    const ranked = await classifier.classify(text);
    // Undo the calibration: raw log-probabilities are the calibrated ones times the temperature, renormalised.
    const logs = classifier.labels.map((label) => temperature * Math.log(Math.max(ranked.find((s) => s.label === label)!.score, 1e-30)));
    const max = Math.max(...logs);
    const sum = logs.reduce((a, l) => a + Math.exp(l - max), 0);
    out.push(logs.map((l) => Math.exp(l - max) / sum));
  }
} else if (kind === 'jailbreak') {
  const dir = modelDir ?? BUNDLED_JAILBREAK_DIR;
  const classifier = await JailbreakClassifier.load(dir, embedder);
  for (let i = 0; i < texts.length; i += 64) out.push(...(await classifier.rawScores(texts.slice(i, i + 64))).map((p) => [p]));
} else {
  throw new Error('first argument must be domain or jailbreak');
}
writeFileSync(output!, JSON.stringify(out));
console.log(`${texts.length} texts scored -> ${output}`);
