import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import type { Embedder } from '../../classifiers/embedder.js';
import { assertModelFolder } from '../../classifiers/model-folder.js';
import { openOnnxSession, type ModelSession } from '../../classifiers/onnx-session.js';
import type { JailbreakClassifier } from './jailbreak-classifier.js';

/** config.json of the jailbreak encoder head, as training/jailbreak/train_jailbreak_head.py writes it. */
interface JailbreakHeadConfig {
  readonly model_type: 'switchyard-jailbreak-encoder-head';
  readonly switchyard_head: {
    readonly dimensions: number;
    /** The windowed n-gram model the head stacks on, relative to the head's folder. */
    readonly base_model: string;
    /** z = base_weight · logit(base) + head_weight · max(−head_floor, highest head logit over the windows). */
    readonly base_weight: number;
    readonly head_weight: number;
    readonly head_floor: number;
    /** Smallest and largest head term over the training and validation rows (the cascade's bounds). */
    readonly head_term_range: readonly [number, number];
    /** The decision threshold on z. */
    readonly threshold_logit: number;
    /** Platt calibration fitted on validation rows: the reported probability is sigmoid(a·z + b). */
    readonly calibration: { readonly a: number; readonly b: number };
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

/** Paragraphs are separated by a blank line (mirrors PARAGRAPH_BREAK of the trainer). */
const PARAGRAPH_BREAK = /\n[ \t\r]*\n/;
const EDGE_SPACE = /^[ \t\r\n]+|[ \t\r\n]+$/g;

/**
 * The texts the head scores for one text: the text itself (the vector every consumer of the request
 * shares), then its first and last paragraph when it has two or more. The encoder reads 128 tokens and
 * averages them, so a benign paragraph next to a short attack dilutes it and a long one before it hides
 * it; the highest window keeps the attack's score. Mirrors encoder_windows of the trainer.
 */
export function encoderWindows(text: string): string[] {
  const paragraphs = text
    .split(PARAGRAPH_BREAK)
    .map((p) => p.replace(EDGE_SPACE, ''))
    .filter((p) => p !== '');
  return paragraphs.length < 2 ? [text] : [...new Set([text, paragraphs[0]!, paragraphs[paragraphs.length - 1]!])];
}

const logit = (p: number): number => {
  const q = Math.min(1 - 1e-6, Math.max(1e-6, p));
  return Math.log(q / (1 - q));
};
const sigmoid = (z: number): number => 1 / (1 + Math.exp(-z));
const isNumber = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);

/**
 * The jailbreak head on the pretrained sentence encoder (models/jailbreak-head/MODEL_CARD.md), stacked on
 * the windowed n-gram model. The n-gram model finds jailbreak wording anywhere in a long prompt; the head
 * recognises harmful intent without that wording, and can speak against the n-gram model on benign prompts
 * that share attack vocabulary (down to its floor).
 *
 * Cascade: the cheap model runs first. The head's term is bounded (its range over the training rows), so
 * when the base term plus the largest head term stays under the threshold, or plus the smallest reaches
 * it, the decision is made without the encoder; the score reported is then that bound. Only undecided
 * texts are embedded (the text's own vector is shared with every other consumer of the request's text).
 */
export class JailbreakEncoderHead {
  /** Texts scored, and how many of them needed the encoder (the cascade's hit rate, for bench/). */
  scored = 0;
  encoded = 0;
  readonly recommendedThreshold: number;

  private constructor(
    private readonly session: ModelSession,
    private readonly base: JailbreakClassifier,
    private readonly encoder: Embedder,
    private readonly head: JailbreakHeadConfig['switchyard_head'],
  ) {
    this.recommendedThreshold = this.probability(head.threshold_logit);
  }

  static async load(dir: string, base: JailbreakClassifier, encoder: Embedder): Promise<JailbreakEncoderHead> {
    assertModelFolder(dir, 'feature-classifier');
    const configPath = join(dir, 'config.json');
    const config = JSON.parse(await readFile(configPath, 'utf8')) as JailbreakHeadConfig;
    const head = config.switchyard_head;
    if (head.dimensions !== encoder.dimensions) throw new Error(`${configPath}: the head reads ${head.dimensions}-dimensional vectors, the encoder gives ${encoder.dimensions}`);
    const [low, high] = head.head_term_range ?? [];
    if (!isNumber(low) || !isNumber(high) || !(low <= high)) throw new Error(`${configPath}: switchyard_head.head_term_range must be [low, high]`);
    for (const key of ['threshold_logit', 'base_weight', 'head_weight', 'head_floor'] as const) {
      if (!isNumber(head[key])) throw new Error(`${configPath}: switchyard_head.${key} must be a number`);
    }
    if (!isNumber(head.calibration?.a) || !(head.calibration.a > 0) || !isNumber(head.calibration.b)) {
      throw new Error(`${configPath}: switchyard_head.calibration must be {a > 0, b}`);
    }
    const session = await openOnnxSession(join(dir, 'model.onnx'));
    return new JailbreakEncoderHead(session, base, encoder, head);
  }

  private probability(z: number): number {
    return sigmoid(this.head.calibration.a * z + this.head.calibration.b);
  }

  /** The jailbreak probability of each text; the encoder runs only for texts the base model leaves undecided. */
  async score(texts: readonly string[]): Promise<number[]> {
    const baseTerms = (await this.base.rawScores(texts)).map((p) => this.head.base_weight * logit(p));
    const [low, high] = this.head.head_term_range;
    const threshold = this.head.threshold_logit;
    const scores = baseTerms.map((z) => {
      if (z + high < threshold) return this.probability(z + high);
      if (z + low >= threshold) return this.probability(z + low);
      return undefined;
    });
    const undecided = scores.flatMap((s, i) => (s === undefined ? [i] : []));
    this.scored += texts.length;
    this.encoded += undecided.length;
    if (undecided.length > 0) {
      const exact = await this.exactScoresOf(
        undecided.map((i) => texts[i]!),
        undecided.map((i) => baseTerms[i]!),
      );
      undecided.forEach((i, k) => (scores[i] = exact[k]));
    }
    return scores as number[];
  }

  /** The head's score with the encoder always run (the figures of the model card; parity checks). */
  async exactScores(texts: readonly string[]): Promise<number[]> {
    const baseTerms = (await this.base.rawScores(texts)).map((p) => this.head.base_weight * logit(p));
    return this.exactScoresOf(texts, baseTerms);
  }

  private async exactScoresOf(texts: readonly string[], baseTerms: readonly number[]): Promise<number[]> {
    const windows = texts.map(encoderWindows);
    const flat = windows.flat();
    const vectors = await this.encoder.embed(flat);
    const dimensions = this.encoder.dimensions;
    const embedding = new Float32Array(flat.length * dimensions);
    vectors.forEach((vector, r) => embedding.set(vector, r * dimensions));
    const result = await this.session.run({ embedding: new ort.Tensor('float32', embedding, [flat.length, dimensions]) });
    const logits = result['head_logit']!.data as Float32Array;
    let next = 0;
    return windows.map((w, i) => {
      let best = -Infinity;
      for (let k = 0; k < w.length; k++) best = Math.max(best, logits[next++]!);
      const term = this.head.head_weight * Math.max(best, -this.head.head_floor);
      return this.probability(baseTerms[i]! + term);
    });
  }
}
