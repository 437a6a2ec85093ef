import type { Embedder } from '../classifiers/embedder.js';
import { costQualityCurve, operatingPoint, pointAtAccuracy, QUALITY_TARGET, type CurvePoint } from './cost-quality-curve.js';
import { SELECTION_ALGORITHMS } from './registry.js';
import { selectorFeatures } from './selector-features.js';
import { isTrainedSelection, type QualityPredictor, type TrainedKind, type TrainedParameters, type TrainedSelectorFile } from './trained-selector.js';
import { seededRandom } from '../seeded-random.js';
import type { TrainingSet } from './training-set.js';

/** One line of a `train-selector` input: a prompt and each model's outcome on it (0..1). */
export interface SelectorExample {
  readonly prompt: string;
  readonly source: string;
  readonly split: string;
  /** A finer label (the MMLU subject), for category-scoped online learners. */
  readonly category?: string;
  readonly outcomes: Readonly<Record<string, number>>;
}

/** The trainable kinds by name: the registered selection algorithms that read a trained file. */
export const TRAINED_KINDS: Readonly<Record<string, TrainedKind<TrainedParameters, unknown>>> = Object.fromEntries(
  SELECTION_ALGORITHMS.filter(isTrainedSelection).map((algorithm) => [algorithm.type, algorithm.trainedKind]),
);

/** Reads JSONL examples; a bad line throws naming its number. */
export function parseExamples(text: string, file: string): SelectorExample[] {
  return text
    .split('\n')
    .map((line, index) => [line, index + 1] as const)
    .filter(([line]) => line.trim() !== '')
    .map(([line, number]) => {
      let row: Partial<SelectorExample>;
      try {
        row = JSON.parse(line) as Partial<SelectorExample>;
      } catch (error) {
        throw new Error(`${file}:${number}: not valid JSON (${(error as Error).message})`);
      }
      if (typeof row.prompt !== 'string' || typeof row.outcomes !== 'object' || row.outcomes === null) throw new Error(`${file}:${number}: needs "prompt" and "outcomes" {model: 0..1}`);
      return {
        prompt: row.prompt,
        source: typeof row.source === 'string' ? row.source : 'all',
        split: typeof row.split === 'string' ? row.split : 'train',
        ...(typeof row.category === 'string' ? { category: row.category } : {}),
        outcomes: row.outcomes,
      };
    });
}

/** Per-source figures of a selector on one split. */
export interface SplitReport {
  readonly rows: number;
  readonly weakAccuracy: number;
  readonly strongAccuracy: number;
  /** Smallest strong share reaching 95% of the strong model's accuracy (the whole curve swept). */
  readonly shareAtTarget: number | undefined;
  /** Where the file's threshold (chosen on val) lands. */
  readonly atThreshold: CurvePoint;
  readonly curve: readonly CurvePoint[];
}

/** Margins (strong − weak predicted quality) of examples under a predictor. */
export function marginsOf(predict: QualityPredictor, features: readonly Float32Array[], weakSlot: number, strongSlot: number): number[] {
  const predicted = new Float64Array(Math.max(weakSlot, strongSlot) + 1);
  return features.map((f) => {
    predict(f, predicted);
    return predicted[strongSlot]! - predicted[weakSlot]!;
  });
}

/** The figures of margins against recorded outcomes. */
export function splitReport(margins: readonly number[], weak: readonly number[], strong: readonly number[], threshold: number): SplitReport {
  const curve = costQualityCurve(margins, weak, strong);
  const strongAccuracy = strong.reduce((a, b) => a + b, 0) / strong.length;
  return {
    rows: margins.length,
    weakAccuracy: weak.reduce((a, b) => a + b, 0) / weak.length,
    strongAccuracy,
    shareAtTarget: pointAtAccuracy(curve, QUALITY_TARGET * strongAccuracy)?.strongShare,
    atThreshold: operatingPoint(margins, weak, strong, threshold),
    curve,
  };
}

/** Embeds every prompt once into selector features. */
export async function featuresOf(examples: readonly SelectorExample[], embedder: Embedder): Promise<Float32Array[]> {
  const out: Float32Array[] = [];
  for (let start = 0; start < examples.length; start += 256) {
    const batch = examples.slice(start, start + 256);
    const vectors = await embedder.embed(batch.map((example) => example.prompt));
    batch.forEach((example, i) => out.push(selectorFeatures(vectors[i]!, example.prompt)));
  }
  return out;
}

/** What `trainSelector` produced. */
export interface TrainedSelector {
  readonly file: TrainedSelectorFile;
  /** Per split ("val", "test"), per source. */
  readonly reports: Readonly<Record<string, Readonly<Record<string, SplitReport>>>>;
}

/**
 * Trains one selector kind on the `train` rows, picks the routing threshold on `val` (the largest
 * margin at which val accuracy still reaches 95% of the strong model's), and reports val and test
 * per source. `models` is cheapest first; the curve compares the first (weak) and last (strong).
 */
export function trainSelector(
  examples: readonly SelectorExample[],
  kindName: string,
  parameters: TrainedParameters,
  seed: number,
  /** The name of the embedder the features come from, and the features of every example (`featuresOf`). */
  embedded: { readonly embedder: string; readonly features: readonly Float32Array[] },
): TrainedSelector {
  const kind = TRAINED_KINDS[kindName];
  if (kind === undefined) throw new Error(`unknown selector kind "${kindName}" (known: ${Object.keys(TRAINED_KINDS).join(', ')})`);
  const models = Object.keys(examples[0]?.outcomes ?? {});
  if (models.length < 2) throw new Error('each example needs the outcomes of at least two models');
  const { features } = embedded;
  const rows = (split: string): number[] => examples.flatMap((example, i) => (example.split === split ? [i] : []));
  const train = rows('train');
  if (train.length === 0) throw new Error('no rows with split "train"');
  const setOf = (indices: readonly number[]): TrainingSet => ({
    models,
    features: indices.map((i) => features[i]!),
    outcomes: indices.map((i) => Float64Array.from(models, (model) => examples[i]!.outcomes[model] ?? 0)),
  });
  const val = rows('val');
  const { payload, training } = kind.train(setOf(train), { ...kind.defaults, ...parameters }, seededRandom(seed), val.length === 0 ? undefined : setOf(val));
  const predict = kind.predictor(payload, { ...kind.defaults, ...parameters });
  const [weakModel, strongModel] = [models[0]!, models[models.length - 1]!];
  const evaluate = (indices: readonly number[], threshold: number): Record<string, SplitReport> => {
    const bySource = new Map<string, number[]>();
    for (const i of indices) bySource.set(examples[i]!.source, [...(bySource.get(examples[i]!.source) ?? []), i]);
    const reports: Record<string, SplitReport> = {};
    for (const [source, list] of [['all', [...indices]] as const, ...bySource]) {
      const margins = marginsOf(predict, list.map((i) => features[i]!), 0, models.length - 1);
      reports[source] = splitReport(margins, list.map((i) => examples[i]!.outcomes[weakModel] ?? 0), list.map((i) => examples[i]!.outcomes[strongModel] ?? 0), threshold);
    }
    return reports;
  };
  const valAll = evaluate(val, 0).all!;
  const threshold = val.length === 0 ? 0 : Math.max(-1, Math.min(1, pointAtAccuracy(valAll.curve, QUALITY_TARGET * valAll.strongAccuracy)?.threshold ?? 0));
  const file: TrainedSelectorFile = {
    format: 'switchyard-selector',
    version: 1,
    kind: kindName,
    models,
    feature_length: features[0]!.length,
    embedder: embedded.embedder,
    threshold,
    training: { ...training, seed, train_rows: train.length },
    payload,
  };
  return { file, reports: { val: evaluate(val, threshold), test: evaluate(rows('test'), threshold) } };
}
