import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { parseCalibration, scaleLogits, type Calibration } from './calibration.js';
import type { Embedder } from './embedder.js';
import { int64Ids, ngramKeyHashes, sparseBucketCounts, type SparseBuckets } from './domain-sparse-features.js';
import { assertModelFolder, labelsFromId2Label } from './model-folder.js';
import { openOnnxSession, ZERO_PADDED_ROWS, type ModelSession } from './onnx-session.js';
import { rankLabels, type LabelScore, type TextClassifier } from './text-classifier.js';
import { fnv1a, tokenize } from './text-features.js';

/** config.json of a bundled feature classifier, as written by training/train_domain.py. */
interface FeatureClassifierConfig {
  readonly id2label: Record<string, string>;
  readonly switchyard_features: {
    readonly ngrams: { readonly buckets: number };
    /** Present when the graph also takes sparse_ids / sparse_counts (TF-IDF model). */
    readonly sparse?: { readonly word_buckets: number; readonly char_buckets: number };
  };
  /** Temperature fitted on held-out rows (training/calibrate.ts); absent = raw probabilities. */
  readonly calibration?: unknown;
}

const EMPTY_TEXT_KEY_HASHES = Uint32Array.of(fnv1a('u:'));

/** How many recent texts keep their n-gram key hashes: the domain and difficulty models featurise the same request text. */
const RECENT_TEXTS = 64;
/** Longer texts (offline tools on whole documents) are not kept: the bound is on memory too. */
const MAX_REMEMBERED_CHARS = 16_384;
const recentKeyHashes = new Map<string, Uint32Array>();

/** The hashed word uni- and bigram keys of `text`, tokenised and hashed once for every feature classifier. */
function textKeyHashes(text: string): Uint32Array {
  let hashes = recentKeyHashes.get(text);
  if (hashes === undefined) {
    hashes = ngramKeyHashes(tokenize(text));
    if (text.length <= MAX_REMEMBERED_CHARS) recentKeyHashes.set(text, hashes);
    if (recentKeyHashes.size > RECENT_TEXTS) recentKeyHashes.delete(recentKeyHashes.keys().next().value!);
  }
  return hashes;
}

function positiveInteger(value: unknown, what: string): number {
  if (!Number.isInteger(value) || (value as number) <= 0) throw new Error(`${what} must be a positive integer`);
  return value as number;
}

/**
 * A bundled classifier whose features are computed here rather than by a tokenizer: hashed word
 * uni- and bigrams, the bundled embedder's sentence vector and, when the model has one, bucket counts for
 * its TF-IDF model (see models/domain/MODEL_CARD.md).
 */
export class FeatureClassifier implements TextClassifier {
  private constructor(
    readonly labels: readonly string[],
    private readonly session: ModelSession,
    private readonly buckets: number,
    private readonly embedder: Embedder,
    private readonly sparse: SparseBuckets | undefined,
    private readonly calibration: Calibration,
  ) {}

  /** Loads a model folder; the embedder must be the one the model was trained with. */
  static async load(dir: string, embedder: Embedder): Promise<FeatureClassifier> {
    assertModelFolder(dir, 'feature-classifier');
    const configPath = join(dir, 'config.json');
    const config = JSON.parse(await readFile(configPath, 'utf8')) as FeatureClassifierConfig;
    const features = config.switchyard_features;
    const buckets = positiveInteger(features?.ngrams?.buckets, `${configPath}: switchyard_features.ngrams.buckets`);
    const sparse = features.sparse && {
      wordBuckets: positiveInteger(features.sparse.word_buckets, `${configPath}: switchyard_features.sparse.word_buckets`),
      charBuckets: positiveInteger(features.sparse.char_buckets, `${configPath}: switchyard_features.sparse.char_buckets`),
    };
    // Concurrent requests' runs stack by rows; a zero weight (or count) makes a padded id count for nothing.
    const session = await openOnnxSession(join(dir, 'model.onnx'), ZERO_PADDED_ROWS);
    const calibration = parseCalibration(config.calibration, configPath);
    return new FeatureClassifier(labelsFromId2Label(config.id2label, configPath), session, buckets, embedder, sparse, calibration);
  }

  async classify(text: string): Promise<readonly LabelScore[]> {
    return rankLabels(this.labels, scaleLogits(await this.logits(text), this.calibration));
  }

  /** Probabilities in label order before calibration: what an encoder head that blends this model was trained on. */
  async rawProbabilities(text: string): Promise<Float32Array> {
    const logits = await this.logits(text);
    const max = Math.max(...logits);
    const exps = logits.map((l) => Math.exp(l - max));
    const sum = exps.reduce((a, b) => a + b, 0);
    return exps.map((e) => e / sum);
  }

  private async logits(text: string): Promise<Float32Array> {
    const keyHashes = textKeyHashes(text);
    // The model was trained with an empty text mapped to the single key "u:".
    const bagHashes = keyHashes.length > 0 ? keyHashes : EMPTY_TEXT_KEY_HASHES;
    const ids = int64Ids(bagHashes, (hash) => hash % this.buckets);
    const weights = new Float32Array(bagHashes.length).fill(1 / Math.sqrt(bagHashes.length));
    const [embedding] = await this.embedder.embed([text]);
    const feeds: Record<string, ort.Tensor> = {
      ngram_ids: new ort.Tensor('int64', ids, [1, bagHashes.length]),
      ngram_weights: new ort.Tensor('float32', weights, [1, bagHashes.length]),
      embedding: new ort.Tensor('float32', embedding!, [1, embedding!.length]),
    };
    if (this.sparse) {
      const sparse = sparseBucketCounts(text, this.sparse, keyHashes);
      // An empty text has no buckets; one padding entry (count 0 contributes nothing) keeps the shape valid.
      const size = Math.max(1, sparse.ids.length);
      feeds['sparse_ids'] = new ort.Tensor('int64', sparse.ids.length ? sparse.ids : new BigInt64Array(1), [1, size]);
      feeds['sparse_counts'] = new ort.Tensor('float32', sparse.ids.length ? sparse.counts : new Float32Array(1), [1, size]);
    }
    const result = await this.session.run(feeds);
    return result['logits']!.data as Float32Array;
  }
}
