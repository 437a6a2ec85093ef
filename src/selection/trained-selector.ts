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

/** Predicts each file model's probability of a good answer from a feature vector. */
export type QualityPredictor = (features: Float32Array) => Float64Array;

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
  /** Learns a payload from training rows; `training` records the settings used (for the file and its card). */
  train(set: TrainingSet, parameters: Parameters, random: () => number): { payload: Payload; training: Record<string, unknown> };
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
 * models. Candidates are ordered by configured price, then by the file's order.
 */
function chooseWithinMargin(candidates: readonly SelectionCandidate[], qualities: readonly number[], threshold: number, rank: readonly number[]): number {
  const best = Math.max(...qualities);
  const order = candidates.map((_, i) => i).sort((a, b) => candidates[a]!.relativeCost - candidates[b]!.relativeCost || rank[a]! - rank[b]!);
  return order.find((i) => best - qualities[i]! <= threshold) ?? order[order.length - 1]!;
}

/** Turns a trained kind into a selection algorithm whose selector reads the file `pretrained_path` names. */
export function trainedSelection<Parameters extends TrainedParameters, Payload>(kind: TrainedKind<Parameters, Payload>): SelectionAlgorithm<Parameters> {
  return {
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
      return {
        needsEmbedding: true,
        embedderDir: embedder.dir,
        select(request, candidates) {
          if (request.embedding === undefined) return { index: 0, reason: 'no embedding: first modelRef' };
          const predicted = predict(selectorFeatures(request.embedding, request.text));
          const qualities = slots.map((slot, i) => predicted[slot]! - costWeight * candidates[i]!.relativeCost);
          const index = chooseWithinMargin(candidates, qualities, threshold, slots);
          return { index, reason: `predicted quality ${short(qualities[index]!)} (best ${short(Math.max(...qualities))})` };
        },
      };
    },
  };
}
