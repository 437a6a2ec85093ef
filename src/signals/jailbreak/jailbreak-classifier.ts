import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import { calibrateProbability, parseCalibration, type Calibration } from '../../classifiers/calibration.js';
import type { Embedder } from '../../classifiers/embedder.js';
import { assertModelFolder } from '../../classifiers/model-folder.js';
import { openOnnxSession, type ModelSession } from '../../classifiers/onnx-session.js';
import { normalizeForDetection } from '../../router/text-normalization.js';
import { jailbreakFeatureIds, scoringWindows } from './jailbreak-features.js';

/** config.json of the bundled jailbreak model, as training/jailbreak/train_jailbreak.py writes it. */
interface JailbreakModelConfig {
  /** On the raw score; the classifier reports it through the calibration like every score. */
  readonly recommended_threshold: number;
  /** Temperature and bias fitted on validation rows (training/calibrate.ts); absent = raw scores. */
  readonly calibration?: unknown;
  readonly switchyard_features: {
    readonly ngrams: { readonly buckets: number };
    readonly embedding: { readonly dimensions: number };
    readonly windows: { readonly max_tokens: number };
  };
}

/** models/jailbreak, from src/signals/jailbreak (tsx, jest) or dist/src/signals/jailbreak (built). */
export const BUNDLED_JAILBREAK_DIR = ((): string => {
  const candidates = ['../../../models/jailbreak', '../../../../models/jailbreak'].map((p) => fileURLToPath(new URL(p, import.meta.url)));
  return candidates.find((dir) => existsSync(dir)) ?? candidates[0]!;
})();

function positiveInteger(value: unknown, what: string): number {
  if (!Number.isInteger(value) || (value as number) <= 0) throw new Error(`${what} must be a positive integer`);
  return value as number;
}

/**
 * The bundled jailbreak and prompt-injection classifier (models/jailbreak/MODEL_CARD.md): hashed
 * word and character n-grams plus the bundled embedder's sentence vector into a small network,
 * blended inside the ONNX graph with a kNN vote of the nearest training prompts. A text is scored
 * as a whole and as sentence-aligned windows, and the highest score counts, so benign padding
 * around an attack does not hide it.
 */
export class JailbreakClassifier {
  private constructor(
    private readonly session: ModelSession,
    private readonly embedder: Embedder,
    private readonly buckets: number,
    private readonly windowTokens: number,
    private readonly calibration: Calibration,
    /** The threshold the model card's figures were measured at, on the calibrated scale. */
    readonly recommendedThreshold: number,
  ) {}

  /** Loads a model folder (config.json + model.onnx); `embedder` must be the one it was trained with (models/embedder). */
  static async load(dir: string, embedder: Embedder): Promise<JailbreakClassifier> {
    assertModelFolder(dir, 'feature-classifier');
    const configPath = join(dir, 'config.json');
    const config = JSON.parse(await readFile(configPath, 'utf8')) as JailbreakModelConfig;
    const features = config.switchyard_features;
    const buckets = positiveInteger(features?.ngrams?.buckets, `${configPath}: switchyard_features.ngrams.buckets`);
    const windowTokens = positiveInteger(features?.windows?.max_tokens, `${configPath}: switchyard_features.windows.max_tokens`);
    const dimensions = positiveInteger(features?.embedding?.dimensions, `${configPath}: switchyard_features.embedding.dimensions`);
    if (dimensions !== embedder.dimensions) throw new Error(`${configPath}: the model expects ${dimensions}-dimensional sentence vectors, the embedder gives ${embedder.dimensions}`);
    const threshold = config.recommended_threshold;
    if (typeof threshold !== 'number' || threshold < 0 || threshold > 1) throw new Error(`${configPath}: recommended_threshold must be a number in [0, 1]`);
    const calibration = parseCalibration(config.calibration, configPath);
    const session = await openOnnxSession(join(dir, 'model.onnx'));
    return new JailbreakClassifier(session, embedder, buckets, windowTokens, calibration, calibrateProbability(threshold, calibration));
  }

  /** The calibrated jailbreak probability of each text (0..1), after Unicode-trick normalisation. */
  async score(texts: readonly string[]): Promise<number[]> {
    // Calibration is monotonic, so the calibrated maximum is the maximum of the calibrated windows.
    return (await this.rawScores(texts)).map((raw) => calibrateProbability(raw, this.calibration));
  }

  /** The model's raw score of each text, the highest over its windows (what an encoder head stacks on). */
  async rawScores(texts: readonly string[]): Promise<number[]> {
    const groups = texts.map((text) => scoringWindows(normalizeForDetection(text), this.windowTokens));
    const windows = groups.flat();
    if (windows.length === 0) return [];
    const memo = new Map<string, number>();
    const rows = windows.map((tokens) => jailbreakFeatureIds(tokens, this.buckets, memo));
    const embeddings = await this.embedder.embed(windows.map((tokens) => tokens.join(' ')));
    // Overlapping windows share their n-grams: the model looks each distinct id up once and takes
    // every window's bag as a weighted row over them (1/sqrt(n) per occurrence).
    const columns = new Map<number, number>();
    for (const row of rows) for (const id of row) if (!columns.has(id)) columns.set(id, columns.size);
    const width = columns.size;
    const weights = new Float32Array(rows.length * width);
    rows.forEach((row, r) => {
      const weight = 1 / Math.sqrt(row.length);
      for (const id of row) weights[r * width + columns.get(id)!]! += weight;
    });
    const ids = BigInt64Array.from(columns.keys(), (id) => BigInt(id));
    const dimensions = this.embedder.dimensions;
    const embedding = new Float32Array(rows.length * dimensions);
    embeddings.forEach((vector, r) => embedding.set(vector, r * dimensions));
    const result = await this.session.run({
      ngram_ids: new ort.Tensor('int64', ids, [width]),
      ngram_weights: new ort.Tensor('float32', weights, [rows.length, width]),
      embedding: new ort.Tensor('float32', embedding, [rows.length, dimensions]),
    });
    const probabilities = result['score']!.data as Float32Array;
    let next = 0;
    return groups.map((group) => {
      let best = 0;
      for (let i = 0; i < group.length; i++) best = Math.max(best, probabilities[next++]!);
      return best;
    });
  }
}

const loaded = new Map<string, Promise<JailbreakClassifier>>();

/** One classifier per model folder for the whole process (config reloads share the session); the first caller's embedder is kept. */
export function sharedJailbreakClassifier(dir: string, embedder: Promise<Embedder>): Promise<JailbreakClassifier> {
  let classifier = loaded.get(dir);
  if (classifier === undefined) {
    classifier = embedder.then((e) => JailbreakClassifier.load(dir, e));
    // A failed load is not cached, so fixing the folder and reloading the config recovers.
    classifier.catch(() => loaded.delete(dir));
    loaded.set(dir, classifier);
  }
  return classifier;
}
