import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import { assertModelFolder } from '../../classifiers/model-folder.js';
import { openOnnxSession } from '../../classifiers/onnx-session.js';
import { normalizeForDetection } from '../../router/text-normalization.js';
import { jailbreakFeatureIds, tokenize, tokenWindows } from './jailbreak-features.js';

/** config.json of the bundled jailbreak model, as training/jailbreak/train_jailbreak.py writes it. */
interface JailbreakModelConfig {
  readonly recommended_threshold: number;
  readonly switchyard_features: {
    readonly ngrams: { readonly buckets: number };
    readonly windows: { readonly size: number; readonly stride: number };
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
 * word and character n-grams into a small network. A long text is scored as a whole and window by
 * window, and the highest score counts, so benign padding around an attack does not hide it.
 */
export class JailbreakClassifier {
  private constructor(
    private readonly session: ort.InferenceSession,
    private readonly buckets: number,
    private readonly windowSize: number,
    private readonly windowStride: number,
    /** The threshold the model card's figures were measured at. */
    readonly recommendedThreshold: number,
  ) {}

  /** Loads a model folder (config.json + model.onnx); throws naming what is missing. */
  static async load(dir: string): Promise<JailbreakClassifier> {
    assertModelFolder(dir, 'feature-classifier');
    const configPath = join(dir, 'config.json');
    const config = JSON.parse(await readFile(configPath, 'utf8')) as JailbreakModelConfig;
    const features = config.switchyard_features;
    const buckets = positiveInteger(features?.ngrams?.buckets, `${configPath}: switchyard_features.ngrams.buckets`);
    const size = positiveInteger(features?.windows?.size, `${configPath}: switchyard_features.windows.size`);
    const stride = positiveInteger(features?.windows?.stride, `${configPath}: switchyard_features.windows.stride`);
    const threshold = config.recommended_threshold;
    if (typeof threshold !== 'number' || threshold < 0 || threshold > 1) throw new Error(`${configPath}: recommended_threshold must be a number in [0, 1]`);
    return new JailbreakClassifier(await openOnnxSession(join(dir, 'model.onnx')), buckets, size, stride, threshold);
  }

  /** The jailbreak probability of each text (0..1), after Unicode-trick normalisation. */
  async score(texts: readonly string[]): Promise<number[]> {
    const groups = texts.map((text) => tokenWindows(tokenize(normalizeForDetection(text)), this.windowSize, this.windowStride));
    const rows = groups.flat().map((tokens) => jailbreakFeatureIds(tokens, this.buckets));
    if (rows.length === 0) return [];
    const width = Math.max(...rows.map((row) => row.length));
    const ids = new BigInt64Array(rows.length * width);
    const weights = new Float32Array(rows.length * width);
    rows.forEach((row, r) => {
      const weight = 1 / Math.sqrt(row.length);
      row.forEach((id, i) => {
        ids[r * width + i] = BigInt(id);
        weights[r * width + i] = weight;
      });
    });
    const result = await this.session.run({
      ngram_ids: new ort.Tensor('int64', ids, [rows.length, width]),
      ngram_weights: new ort.Tensor('float32', weights, [rows.length, width]),
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

/** One classifier per model folder for the whole process: configs reloads share the session. */
export function sharedJailbreakClassifier(dir: string): Promise<JailbreakClassifier> {
  let classifier = loaded.get(dir);
  if (classifier === undefined) {
    classifier = JailbreakClassifier.load(dir);
    // A failed load is not cached, so fixing the folder and reloading the config recovers.
    classifier.catch(() => loaded.delete(dir));
    loaded.set(dir, classifier);
  }
  return classifier;
}
