import { decodeFloats, encodeFloats } from './float-codec.js';
import { trainedSelection, type TrainedKind, type TrainedParameters } from './trained-selector.js';
import { dot, gaussian, multiply } from './training-set.js';

interface SvmParameters extends TrainedParameters {
  readonly kernel?: 'rbf' | 'linear';
  readonly gamma?: number;
}

interface SvmPayload {
  readonly kernel: 'rbf' | 'linear';
  /** Random Fourier features approximating the RBF kernel (absent for linear). */
  readonly frequencies?: string;
  readonly phases?: string;
  readonly dimensions: number;
  /** One hinge-loss weight vector and bias per model, then Platt's sigmoid (a, b) per model. */
  readonly weights: string;
  readonly biases: string;
  readonly platt: string;
  readonly models: number;
}

/**
 * Random Fourier features: each costs one product with the whole feature vector at run time, and
 * 512 took 0.8 ms of CPU per request; 64 keep the SVM within the 0.1 ms selection budget.
 */
const FOURIER_FEATURES = 64;
const EPOCHS = 12;
const LAMBDA = 1e-4;

/**
 * A support-vector classifier per model ("did it answer well?"). The RBF kernel is approximated
 * with random Fourier features so prediction is one matrix-vector product; the hinge loss is
 * minimised by Pegasos, and Platt scaling turns margins into probabilities.
 */
export const svmKind: TrainedKind<SvmParameters, SvmPayload> = {
  kind: 'svm',
  aliases: [],
  parameters: { kernel: { enum: ['rbf', 'linear'] }, gamma: { type: 'number', exclusiveMinimum: 0 } },
  defaults: {},
  mismatch(parameters, training) {
    if (parameters.kernel !== undefined && parameters.kernel !== training.kernel) return `kernel is ${parameters.kernel} but the file was trained with ${String(training.kernel)}`;
    if (parameters.gamma !== undefined && parameters.gamma !== training.gamma) return `gamma is ${parameters.gamma} but the file was trained with ${String(training.gamma)}`;
    return undefined;
  },
  train(set, parameters, random) {
    const kernel = parameters.kernel ?? 'rbf';
    const gamma = parameters.gamma ?? 1;
    const length = set.features[0]!.length;
    let frequencies: Float32Array | undefined;
    let phases: Float32Array | undefined;
    if (kernel === 'rbf') {
      frequencies = new Float32Array(FOURIER_FEATURES * length);
      for (let i = 0; i < frequencies.length; i++) frequencies[i] = gaussian(random) * Math.sqrt(2 * gamma);
      phases = new Float32Array(FOURIER_FEATURES);
      for (let i = 0; i < FOURIER_FEATURES; i++) phases[i] = random() * 2 * Math.PI;
    }
    const mapped = set.features.map((features) => (frequencies === undefined || phases === undefined ? features : lift(features, frequencies, phases)));
    const dimensions = mapped[0]!.length;
    const models = set.models.length;
    const weights = new Float32Array(models * dimensions);
    const biases = new Float32Array(models);
    const platt = new Float32Array(models * 2);
    for (let m = 0; m < models; m++) {
      const w = new Float64Array(dimensions);
      let bias = 0;
      let step = 0;
      for (let epoch = 0; epoch < EPOCHS; epoch++) {
        for (let n = 0; n < mapped.length; n++) {
          const i = Math.floor(random() * mapped.length);
          step += 1;
          const rate = 1 / (LAMBDA * (step + 1000));
          const label = set.outcomes[i]![m]! >= 0.5 ? 1 : -1;
          let margin = bias;
          const x = mapped[i]!;
          for (let j = 0; j < dimensions; j++) margin += w[j]! * x[j]!;
          for (let j = 0; j < dimensions; j++) w[j]! *= 1 - rate * LAMBDA;
          if (label * margin < 1) {
            for (let j = 0; j < dimensions; j++) w[j]! += rate * label * x[j]! / 100;
            bias += (rate * label) / 100;
          }
        }
      }
      weights.set(w, m * dimensions);
      biases[m] = bias;
      const margins = mapped.map((x) => dot(weights, m * dimensions, x, 0, dimensions) + bias);
      const [a, b] = fitPlatt(margins, set.outcomes.map((row) => row[m]!));
      platt[m * 2] = a;
      platt[m * 2 + 1] = b;
    }
    return {
      payload: {
        kernel,
        ...(frequencies === undefined ? {} : { frequencies: encodeFloats(frequencies), phases: encodeFloats(phases!) }),
        dimensions,
        weights: encodeFloats(weights),
        biases: encodeFloats(biases),
        platt: encodeFloats(platt),
        models,
      },
      training: { kernel, gamma, fourier_features: kernel === 'rbf' ? FOURIER_FEATURES : 0, epochs: EPOCHS, lambda: LAMBDA },
    };
  },
  predictor(payload) {
    const frequencies = payload.frequencies === undefined ? undefined : decodeFloats(payload.frequencies);
    const phases = payload.phases === undefined ? undefined : decodeFloats(payload.phases);
    const weights = decodeFloats(payload.weights);
    const biases = decodeFloats(payload.biases);
    const platt = decodeFloats(payload.platt);
    const lifted = new Float32Array(payload.dimensions);
    return (features, out) => {
      const x = frequencies === undefined || phases === undefined ? features : lift(features, frequencies, phases, lifted);
      for (let m = 0; m < payload.models; m++) {
        const margin = dot(weights, m * payload.dimensions, x, 0, payload.dimensions) + biases[m]!;
        out[m] = 1 / (1 + Math.exp(-(platt[m * 2]! * margin + platt[m * 2 + 1]!)));
      }
    };
  },
};

/** The random Fourier features of `features` for the RBF kernel, written into `out` (one per phase). */
function lift(features: Float32Array, frequencies: Float32Array, phases: Float32Array, out: Float32Array = new Float32Array(phases.length)): Float32Array {
  const scale = Math.sqrt(2 / phases.length);
  multiply(frequencies, features, out);
  for (let i = 0; i < phases.length; i++) out[i] = scale * Math.cos(out[i]! + phases[i]!);
  return out;
}

/** Platt scaling: logistic regression of the outcome on the margin, by Newton's method. */
function fitPlatt(margins: readonly number[], outcomes: readonly number[]): [number, number] {
  let a = 1;
  let b = 0;
  for (let iteration = 0; iteration < 50; iteration++) {
    let ga = 0, gb = 0, haa = 1e-6, hab = 0, hbb = 1e-6;
    margins.forEach((margin, i) => {
      const p = 1 / (1 + Math.exp(-(a * margin + b)));
      const error = p - outcomes[i]!;
      const weight = p * (1 - p);
      ga += error * margin;
      gb += error;
      haa += weight * margin * margin;
      hab += weight * margin;
      hbb += weight;
    });
    const det = haa * hbb - hab * hab;
    if (Math.abs(det) < 1e-12) break;
    a -= (hbb * ga - hab * gb) / det;
    b -= (haa * gb - hab * ga) / det;
  }
  return [a, b];
}

export const svmSelection = trainedSelection(svmKind);
