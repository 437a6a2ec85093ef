import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { short } from './candidate-scores.js';
import type { SelectionAlgorithm, SelectionCandidate, Selector, SelectorBuildContext } from './selection-algorithm.js';
import { featureLength, selectorEmbedder, selectorFeatures } from './selector-features.js';
import type { TrainingSet } from './training-set.js';

/** The file `switchyard train-selector` writes and `pretrained_path` points at. */
export interface TrainedSelectorFile<Payload = unknown> {
  readonly format: 'switchyard-selector';
  readonly version: 1;
  readonly kind: string;
  /** The models it predicts, cheapest first (the order breaks price ties when the config has no pricing). */
  readonly models: readonly string[];
  /** Feature vector length (embedding dimensions plus the shape features). */
  readonly feature_length: number;
  /** The bundled embedder of the prompt vector (`embedder` or `use-lite`); absent in older files: `embedder`. */
  readonly embedder?: string;
  /** Margin of predicted quality under which the cheaper model is taken (chosen on a validation split). */
  readonly threshold: number;
  readonly training: Readonly<Record<string, unknown>>;
  readonly payload: Payload;
}

/**
 * Writes each file model's predicted probability of a good answer into `out` (one slot per file
 * model). Predictors hold their working buffers, so a prediction allocates nothing.
 */
export type QualityPredictor = (features: Float32Array, out: Float64Array) => void;

/** Parameters every trained selector takes. */
export interface TrainedParameters {
  readonly pretrained_path?: string;
  /** Overrides the file's threshold: lower sends more traffic to the better (dearer) model. */
  readonly threshold?: number;
}

/** What a trained selector kind adds: how to read its payload, and which parameters must match the file. */
export interface TrainedKind<Parameters extends TrainedParameters, Payload> {
  readonly kind: string;
  readonly aliases: readonly string[];
  /** Its own parameters' schemas (besides pretrained_path and threshold). */
  readonly parameters: Readonly<Record<string, unknown>>;
  readonly defaults: Readonly<Parameters>;
  predictor(payload: Payload, parameters: Parameters): QualityPredictor;
  /**
   * Learns a payload from training rows; `training` records the settings used (for the file and its
   * card). `validation` is the val split, for kinds that choose among fitted parts (never test rows).
   */
  train(set: TrainingSet, parameters: Parameters, random: () => number, validation: TrainingSet | undefined): { payload: Payload; training: Record<string, unknown> };
  /** Predicted quality taken off per unit of relative price at run time (kmeans' efficiency_weight). */
  costWeight?(parameters: Parameters): number;
  /** A message when the config's parameters contradict how the file was trained. */
  mismatch?(parameters: Parameters, training: Readonly<Record<string, unknown>>): string | undefined;
}

/** Reads and checks a trained selector file. */
export function readTrainedSelector(path: string): TrainedSelectorFile {
  let file: TrainedSelectorFile;
  try {
    file = JSON.parse(readFileSync(path, 'utf8')) as TrainedSelectorFile;
  } catch (error) {
    throw new Error(`cannot read trained selector "${path}": ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  if (file.format !== 'switchyard-selector' || file.version !== 1) throw new Error(`"${path}" is not a switchyard-selector v1 file (write one with switchyard train-selector)`);
  return file;
}

/**
 * The cheapest candidate whose predicted quality is within `threshold` of the best prediction:
 * RouteLLM's rule (strong model only when it is expected to be enough better), for any number of
 * models. `order` lists candidates by configured price, then by the file's order.
 */
function chooseWithinMargin(order: readonly number[], qualities: Float64Array, best: number, threshold: number): number {
  for (const i of order) if (best - qualities[i]! <= threshold) return i;
  return order[order.length - 1]!;
}

/** A selection algorithm that reads a trained file, with the kind that trains and reads it. */
export interface TrainedSelection<Parameters extends TrainedParameters, Payload> extends SelectionAlgorithm<Parameters> {
  readonly trainedKind: TrainedKind<Parameters, Payload>;
}

/** Whether a registered algorithm is a trained selector (`switchyard train-selector` can write its file). */
export function isTrainedSelection(algorithm: SelectionAlgorithm): algorithm is TrainedSelection<TrainedParameters, unknown> & SelectionAlgorithm {
  return 'trainedKind' in algorithm;
}

/** Turns a trained kind into a selection algorithm whose selector reads the file `pretrained_path` names. */
export function trainedSelection<Parameters extends TrainedParameters, Payload>(kind: TrainedKind<Parameters, Payload>): TrainedSelection<Parameters, Payload> {
  return {
    trainedKind: kind,
    type: kind.kind,
    aliases: kind.aliases,
    parameterSchema: {
      type: 'object',
      additionalProperties: false,
      properties: { pretrained_path: { type: 'string', minLength: 1 }, threshold: { type: 'number', minimum: -1, maximum: 1 }, ...kind.parameters },
    },
    defaults: kind.defaults,
    globalKey: ['ml', kind.kind],
    create(parameters, context: SelectorBuildContext): Selector {
      if (parameters.pretrained_path === undefined) {
        throw new Error(`${kind.kind} needs pretrained_path (a file written by switchyard train-selector), here or in model_selection.ml.${kind.kind}`);
      }
      const path = resolve(context.ml.modelsPath ?? context.configDir, parameters.pretrained_path);
      const file = readTrainedSelector(path);
      if (file.kind !== kind.kind) throw new Error(`"${path}" holds a ${file.kind} selector, not ${kind.kind}`);
      const embedder = selectorEmbedder(file.embedder);
      const dims = context.ml.embeddingDim;
      if (dims !== undefined && featureLength(dims) !== file.feature_length) throw new Error(`model_selection.ml.embedding_dim is ${dims} but "${path}" was trained on ${file.feature_length}-value features (embedding plus shape features)`);
      const contradiction = kind.mismatch?.(parameters, file.training);
      if (contradiction !== undefined) throw new Error(`"${path}": ${contradiction}`);
      const slots = context.candidates.map((candidate) => {
        const slot = file.models.indexOf(candidate.target.name);
        if (slot === -1) throw new Error(`model "${candidate.target.name}" is not one the trained selector "${path}" predicts (${file.models.join(', ')})`);
        return slot;
      });
      const predict = kind.predictor(file.payload as Payload, parameters);
      const threshold = parameters.threshold ?? file.threshold;
      const costWeight = kind.costWeight?.(parameters) ?? 0;
      const order = context.candidates.map((_, i) => i).sort((a, b) => context.candidates[a]!.relativeCost - context.candidates[b]!.relativeCost || slots[a]! - slots[b]!);
      // Working buffers, reused by every request: selection allocates nothing but its reason.
      const features = new Float32Array(file.feature_length);
      const predicted = new Float64Array(file.models.length);
      const qualities = new Float64Array(slots.length);
      return {
        needsEmbedding: true,
        embedderDir: embedder.dir,
        select(request, candidates) {
          if (request.embedding === undefined) return { index: 0, reason: 'no embedding: first modelRef' };
          if (featureLength(request.embedding.length) !== file.feature_length) throw new Error(`the request embedding has ${request.embedding.length} values but "${path}" reads ${file.feature_length - featureLength(0)}`);
          predict(selectorFeatures(request.embedding, request.text, features), predicted);
          let best = -Infinity;
          for (let i = 0; i < slots.length; i++) {
            qualities[i] = predicted[slots[i]!]! - costWeight * candidates[i]!.relativeCost;
            best = Math.max(best, qualities[i]!);
          }
          const index = chooseWithinMargin(order, qualities, best, threshold);
          return { index, reason: `predicted quality ${short(qualities[index]!)} (best ${short(best)})` };
        },
      };
    },
  };
}
