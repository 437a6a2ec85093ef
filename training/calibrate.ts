/**
 * Fits each bundled classifier's calibration through the TypeScript runtime and writes it into the model's
 * config.json (`calibration`), with the expected calibration error (ECE) before and after on rows the
 * temperature was not fitted on. Rows come from training/calibration_sets.py (run it first).
 *
 *   /usr/bin/python3 training/calibration_sets.py && npx tsx training/calibrate.ts [domain|difficulty|jailbreak ...]
 *
 * Domain and difficulty: temperature scaling of the softmax (one parameter, fitted by minimising the
 * negative log-likelihood). Jailbreak: the same plus a bias (Platt scaling on the score's logit), since
 * its raw score is one probability and the threshold used is the recommended one.
 * ECE: 15 equal-width bins of the top label's probability, |accuracy - mean confidence| weighted by bin size.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  BUNDLED_DIFFICULTY_DIR,
  BUNDLED_DOMAIN_DIR,
  BUNDLED_DOMAIN_HEAD_DIR,
  BUNDLED_EMBEDDER_DIR,
  BUNDLED_ENCODER_DIR,
  BUNDLED_JAILBREAK_DIR,
} from '../src/classifiers/bundled-models.js';
import { calibrateProbability, type Calibration } from '../src/classifiers/calibration.js';
import { EncoderHeadClassifier } from '../src/classifiers/encoder-head-classifier.js';
import { FeatureClassifier } from '../src/classifiers/feature-classifier.js';
import type { TextClassifier } from '../src/classifiers/text-classifier.js';
import { UseLiteEmbedder } from '../src/classifiers/use-lite-embedder.js';
import { WordVectorEmbedder } from '../src/classifiers/word-vector-embedder.js';
import { JailbreakClassifier } from '../src/signals/jailbreak/jailbreak-classifier.js';

interface Row {
  readonly text: string;
  readonly label: string;
  readonly part: 'fit' | 'report';
  readonly set: string;
}

/** One scored row: the label's index and the raw probability of every label. */
interface Scored {
  readonly row: Row;
  readonly truth: number;
  readonly probabilities: readonly number[];
}

const BINS = 15;
const cacheDir = fileURLToPath(new URL('.cache/calibration/', import.meta.url));

function readRows(name: string): Row[] {
  return readFileSync(join(cacheDir, `${name}.jsonl`), 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as Row);
}

function softmax(logits: readonly number[]): number[] {
  const max = Math.max(...logits);
  const exps = logits.map((l) => Math.exp(l - max));
  const sum = exps.reduce((a, b) => a + b, 0);
  return exps.map((e) => e / sum);
}

/** Probabilities after a calibration: softmax(log p / T) for several labels, sigmoid(logit(p)/T + b) for a binary score. */
function calibrated(probabilities: readonly number[], calibration: Calibration, binary: boolean): number[] {
  if (binary) {
    const p = calibrateProbability(probabilities[1]!, calibration);
    return [1 - p, p];
  }
  return softmax(probabilities.map((p) => Math.log(Math.max(p, 1e-12)) / calibration.temperature));
}

function negativeLogLikelihood(rows: readonly Scored[], calibration: Calibration, binary: boolean): number {
  let total = 0;
  for (const r of rows) total -= Math.log(Math.max(calibrated(r.probabilities, calibration, binary)[r.truth]!, 1e-12));
  return total / rows.length;
}

function expectedCalibrationError(rows: readonly Scored[], calibration: Calibration, binary: boolean): number {
  const bins = Array.from({ length: BINS }, () => ({ n: 0, confidence: 0, correct: 0 }));
  for (const r of rows) {
    const p = calibrated(r.probabilities, calibration, binary);
    const top = p.indexOf(Math.max(...p));
    const bin = bins[Math.min(BINS - 1, Math.floor(p[top]! * BINS))]!;
    bin.n += 1;
    bin.confidence += p[top]!;
    bin.correct += top === r.truth ? 1 : 0;
  }
  return bins.reduce((sum, b) => sum + (b.n === 0 ? 0 : (b.n / rows.length) * Math.abs(b.correct / b.n - b.confidence / b.n)), 0);
}

/** Minimum of a unimodal function on [lo, hi] by golden-section search. */
function goldenSection(f: (x: number) => number, lo: number, hi: number, steps = 60): number {
  const ratio = (Math.sqrt(5) - 1) / 2;
  let a = lo;
  let b = hi;
  for (let i = 0; i < steps; i++) {
    const c = b - ratio * (b - a);
    const d = a + ratio * (b - a);
    if (f(c) < f(d)) b = d;
    else a = c;
  }
  return (a + b) / 2;
}

function fit(rows: readonly Scored[], binary: boolean): Calibration {
  const bestBias = (temperature: number): number =>
    binary ? goldenSection((bias) => negativeLogLikelihood(rows, { temperature, bias }, true), -10, 10) : 0;
  const logT = goldenSection((x) => negativeLogLikelihood(rows, { temperature: Math.exp(x), bias: bestBias(Math.exp(x)) }, binary), Math.log(0.05), Math.log(20), 40);
  const temperature = Math.exp(logT);
  return { temperature, bias: bestBias(temperature) };
}

function round(x: number, digits = 4): number {
  return Number(x.toFixed(digits));
}

async function calibrate(name: string, dir: string, labels: readonly string[], score: (texts: string[]) => Promise<number[][]>, rowsName = name): Promise<void> {
  const configPath = join(dir, 'config.json');
  const config = JSON.parse(readFileSync(configPath, 'utf8')) as Record<string, unknown>;
  const rows = readRows(rowsName);
  const probabilities = await score(rows.map((r) => r.text));
  const scored = rows.map((row, i) => ({ row, truth: labels.indexOf(row.label), probabilities: probabilities[i]! }));
  const binary = name === 'jailbreak';
  const fitRows = scored.filter((r) => r.row.part === 'fit');
  const calibration = fit(fitRows, binary);
  const identity = { temperature: 1, bias: 0 };
  const ece: Record<string, { rows: number; before: number; after: number }> = {};
  const reportRows = scored.filter((r) => r.row.part === 'report');
  for (const set of [...new Set(reportRows.map((r) => r.row.set))]) {
    const part = reportRows.filter((r) => r.row.set === set);
    ece[set] = { rows: part.length, before: round(expectedCalibrationError(part, identity, binary)), after: round(expectedCalibrationError(part, calibration, binary)) };
  }
  const block = {
    temperature: round(calibration.temperature),
    ...(binary ? { bias: round(calibration.bias) } : {}),
    fitted_on: [...new Set(fitRows.map((r) => r.row.set))],
    fit_rows: fitRows.length,
    method: binary ? 'Platt scaling of the score logit: sigmoid(logit(p) / temperature + bias)' : 'temperature scaling: softmax(logits / temperature)',
    ece_top_label_15_bins: ece,
  };
  writeFileSync(configPath, `${JSON.stringify({ ...config, calibration: block }, null, 1)}\n`);
  console.log(name, JSON.stringify(block, null, 1));
}

/** Loads a model with its calibration removed, so the scores are raw. */
function withoutCalibration(dir: string): void {
  const configPath = join(dir, 'config.json');
  const { calibration: _dropped, ...config } = JSON.parse(readFileSync(configPath, 'utf8')) as Record<string, unknown>;
  writeFileSync(configPath, `${JSON.stringify(config, null, 1)}\n`);
}

const wanted = new Set(process.argv.slice(2).length > 0 ? process.argv.slice(2) : ['domain', 'domain-head', 'difficulty', 'jailbreak']);
const embedder = await WordVectorEmbedder.load(BUNDLED_EMBEDDER_DIR);
const labelProbabilities = (classifier: TextClassifier) => async (texts: string[]): Promise<number[][]> => {
  const out: number[][] = [];
  for (const text of texts) {
    const ranked = await classifier.classify(text);
    out.push(classifier.labels.map((label) => ranked.find((s) => s.label === label)!.score));
  }
  return out;
};
for (const [name, dir] of [['domain', BUNDLED_DOMAIN_DIR], ['difficulty', BUNDLED_DIFFICULTY_DIR]] as const) {
  if (!wanted.has(name)) continue;
  withoutCalibration(dir);
  const classifier = await FeatureClassifier.load(dir, embedder);
  await calibrate(name, dir, classifier.labels, labelProbabilities(classifier));
}
if (wanted.has('domain-head')) {
  // The head blends the base model's raw probabilities, so the base's own calibration does not matter here.
  withoutCalibration(BUNDLED_DOMAIN_HEAD_DIR);
  const base = await FeatureClassifier.load(BUNDLED_DOMAIN_DIR, embedder);
  const head = await EncoderHeadClassifier.load(BUNDLED_DOMAIN_HEAD_DIR, await UseLiteEmbedder.load(BUNDLED_ENCODER_DIR), base);
  await calibrate('domain-head', BUNDLED_DOMAIN_HEAD_DIR, head.labels, labelProbabilities(head), 'domain');
}
if (wanted.has('jailbreak')) {
  withoutCalibration(BUNDLED_JAILBREAK_DIR);
  const classifier = await JailbreakClassifier.load(BUNDLED_JAILBREAK_DIR, embedder);
  await calibrate('jailbreak', BUNDLED_JAILBREAK_DIR, ['benign', 'jailbreak'], async (texts) => {
    const out: number[][] = [];
    for (let i = 0; i < texts.length; i += 64) out.push(...(await classifier.score(texts.slice(i, i + 64))).map((p) => [1 - p, p]));
    return out;
  });
}
