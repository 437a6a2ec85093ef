import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import type { Embedder } from '../../classifiers/embedder.js';
import { assertModelFolder } from '../../classifiers/model-folder.js';
import { openOnnxSession } from '../../classifiers/onnx-session.js';
import type { JailbreakClassifier } from './jailbreak-classifier.js';

/** config.json of the jailbreak encoder head, as training/jailbreak/train_jailbreak_head.py writes it. */
interface JailbreakHeadConfig {
  readonly model_type: 'switchyard-jailbreak-encoder-head';
  readonly recommended_threshold: number;
  readonly switchyard_head: {
    readonly dimensions: number;
    /** The windowed n-gram model the head stacks on, relative to the head's folder. */
    readonly base_model: string;
    /** Smallest and largest value the head adds to logit(base) over the training and validation rows. */
    readonly head_term_range: readonly [number, number];
    /** The decision threshold on the logit scale: sigmoid of it is recommended_threshold. */
    readonly threshold_logit: number;
  };
}

/** The base model folder a jailbreak encoder head stacks on, or undefined when `dir` holds no such head. */
export function jailbreakHeadBase(dir: string): string | undefined {
  try {
    const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as Partial<JailbreakHeadConfig>;
    return config.model_type === 'switchyard-jailbreak-encoder-head' ? join(dir, config.switchyard_head!.base_model) : undefined;
  } catch {
    // An unreadable folder is reported by the plain classifier's loader, with the file it misses.
    return undefined;
  }
}

const logit = (p: number): number => {
  const q = Math.min(1 - 1e-6, Math.max(1e-6, p));
  return Math.log(q / (1 - q));
};
const sigmoid = (z: number): number => 1 / (1 + Math.exp(-z));

/**
 * The jailbreak head on the pretrained sentence encoder (models/jailbreak-head/MODEL_CARD.md), stacked on
 * the windowed n-gram model: score = sigmoid(logit(base) + head(encoder vector)). The n-gram model finds
 * jailbreak wording anywhere in a long prompt; the head recognises harmful intent without that wording.
 *
 * Cascade: the cheap model runs first. The head's term is bounded (its range over the training rows), so
 * when logit(base) plus the largest term stays under the threshold, or plus the smallest term reaches it,
 * the decision is made without the encoder; the score reported is then that bound. Only undecided texts are
 * embedded (the vector is shared with every other consumer of the request's text).
 */
export class JailbreakEncoderHead {
  /** Texts scored, and how many of them needed the encoder (the cascade's hit rate, for bench/). */
  scored = 0;
  encoded = 0;

  private constructor(
    private readonly session: ort.InferenceSession,
    private readonly base: JailbreakClassifier,
    private readonly encoder: Embedder,
    private readonly termRange: readonly [number, number],
    private readonly thresholdLogit: number,
    readonly recommendedThreshold: number,
  ) {}

  static async load(dir: string, base: JailbreakClassifier, encoder: Embedder): Promise<JailbreakEncoderHead> {
    assertModelFolder(dir, 'feature-classifier');
    const configPath = join(dir, 'config.json');
    const config = JSON.parse(await readFile(configPath, 'utf8')) as JailbreakHeadConfig;
    const head = config.switchyard_head;
    if (head.dimensions !== encoder.dimensions) throw new Error(`${configPath}: the head reads ${head.dimensions}-dimensional vectors, the encoder gives ${encoder.dimensions}`);
    const [low, high] = head.head_term_range ?? [];
    if (typeof low !== 'number' || typeof high !== 'number' || !(low <= high)) throw new Error(`${configPath}: switchyard_head.head_term_range must be [low, high]`);
    if (typeof head.threshold_logit !== 'number') throw new Error(`${configPath}: switchyard_head.threshold_logit must be a number`);
    const session = await openOnnxSession(join(dir, 'model.onnx'));
    return new JailbreakEncoderHead(session, base, encoder, [low, high], head.threshold_logit, sigmoid(head.threshold_logit));
  }

  /** The jailbreak probability of each text; the encoder runs only for texts the base model leaves undecided. */
  async score(texts: readonly string[]): Promise<number[]> {
    const baseScores = await this.base.rawScores(texts);
    const [low, high] = this.termRange;
    const scores = baseScores.map((p) => {
      const z = logit(p);
      if (z + high < this.thresholdLogit) return sigmoid(z + high);
      if (z + low >= this.thresholdLogit) return sigmoid(z + low);
      return undefined;
    });
    const undecided = scores.flatMap((s, i) => (s === undefined ? [i] : []));
    this.scored += texts.length;
    this.encoded += undecided.length;
    if (undecided.length > 0) {
      const exact = await this.exactScores(
        undecided.map((i) => texts[i]!),
        undecided.map((i) => baseScores[i]!),
      );
      undecided.forEach((i, k) => (scores[i] = exact[k]));
    }
    return scores as number[];
  }

  /** The head's score with the encoder always run (the figures of the model card; parity checks). */
  async exactScores(texts: readonly string[], baseScores?: readonly number[]): Promise<number[]> {
    const [vectors, base] = await Promise.all([this.encoder.embed(texts), baseScores ?? this.base.rawScores(texts)]);
    const dimensions = this.encoder.dimensions;
    const embedding = new Float32Array(texts.length * dimensions);
    vectors.forEach((vector, r) => embedding.set(vector, r * dimensions));
    const result = await this.session.run({
      embedding: new ort.Tensor('float32', embedding, [texts.length, dimensions]),
      base_score: new ort.Tensor('float32', Float32Array.from(base), [texts.length, 1]),
    });
    return Array.from(result['score']!.data as Float32Array);
  }
}
