import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { parseCalibration, scaleLogits, type Calibration } from './calibration.js';
import type { Embedder } from './embedder.js';
import { assertModelFolder, labelsFromId2Label } from './model-folder.js';
import { openOnnxSession, ZERO_PADDED_ROWS, type ModelSession } from './onnx-session.js';
import { rankLabels, type LabelScore, type TextClassifier } from './text-classifier.js';

/** config.json of an encoder head, as training/train_domain_head.py writes it. */
interface EncoderHeadConfig {
  readonly id2label: Record<string, string>;
  readonly switchyard_head: {
    /** Dimensions of the sentence encoder's vector the head reads. */
    readonly dimensions: number;
    /** Bundled model whose raw probabilities the head blends in (a folder name under models/), if any. */
    readonly base_model?: string;
  };
  readonly calibration?: unknown;
}

/** The cheap classifier an encoder head blends in: its raw (uncalibrated) probabilities per label. */
export interface BaseProbabilities {
  readonly labels: readonly string[];
  rawProbabilities(text: string): Promise<Float32Array>;
}

/**
 * A small head (ONNX) on a pretrained sentence encoder's vector of the request, blended inside the
 * graph with a cheap bundled classifier's probabilities where that still helps (chosen on validation;
 * see models/domain-head/MODEL_CARD.md). The encoder vector comes from the shared embedder, which
 * computes it once per request text for every consumer. Logits are divided by the fitted temperature.
 */
export class EncoderHeadClassifier implements TextClassifier {
  private constructor(
    readonly labels: readonly string[],
    private readonly session: ModelSession,
    private readonly encoder: Embedder,
    private readonly base: BaseProbabilities | undefined,
    private readonly calibration: Calibration,
  ) {}

  /** Loads a head folder; `base` is required when the head names a base model, and must have its labels. */
  static async load(dir: string, encoder: Embedder, base?: BaseProbabilities): Promise<EncoderHeadClassifier> {
    assertModelFolder(dir, 'feature-classifier');
    const configPath = join(dir, 'config.json');
    const config = JSON.parse(await readFile(configPath, 'utf8')) as EncoderHeadConfig;
    const labels = labelsFromId2Label(config.id2label, configPath);
    const dimensions = config.switchyard_head?.dimensions;
    if (dimensions !== encoder.dimensions) throw new Error(`${configPath}: the head reads ${String(dimensions)}-dimensional vectors, the encoder gives ${encoder.dimensions}`);
    const needsBase = config.switchyard_head.base_model !== undefined;
    if (needsBase && base === undefined) throw new Error(`${configPath}: the head blends ${config.switchyard_head.base_model}, which was not given`);
    if (needsBase && base!.labels.join('\n') !== labels.join('\n')) throw new Error(`${configPath}: the base model's labels differ from the head's`);
    // Concurrent requests' vectors stack by rows into one run.
    const session = await openOnnxSession(join(dir, 'model.onnx'), ZERO_PADDED_ROWS);
    return new EncoderHeadClassifier(labels, session, encoder, needsBase ? base : undefined, parseCalibration(config.calibration, configPath));
  }

  /** The head's raw logits for one encoder vector and the base model's raw probabilities (parity checks). */
  async logits(embedding: Float32Array, baseProbabilities?: Float32Array): Promise<Float32Array> {
    const feeds: Record<string, ort.Tensor> = { embedding: new ort.Tensor('float32', embedding, [1, embedding.length]) };
    if (this.base !== undefined) {
      if (baseProbabilities === undefined) throw new Error('this head needs the base model probabilities');
      feeds['base_probabilities'] = new ort.Tensor('float32', baseProbabilities, [1, baseProbabilities.length]);
    }
    return (await this.session.run(feeds))['logits']!.data as Float32Array;
  }

  async classify(text: string): Promise<readonly LabelScore[]> {
    const [[embedding], base] = await Promise.all([this.encoder.embed([text]), this.base?.rawProbabilities(text)]);
    return rankLabels(this.labels, scaleLogits(await this.logits(embedding!, base), this.calibration));
  }
}
