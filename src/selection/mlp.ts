import { decodeFloats, encodeFloats } from './float-codec.js';
import { trainedSelection, type TrainedKind, type TrainedParameters } from './trained-selector.js';
import { dot, gaussian, multiply } from './training-set.js';

interface MlpParameters extends TrainedParameters {
  readonly device?: 'cpu' | 'cuda' | 'metal';
}

interface MlpPayload {
  readonly inputs: number;
  readonly hidden: number;
  readonly models: number;
  readonly w1: string;
  readonly b1: string;
  readonly w2: string;
  readonly b2: string;
}

const HIDDEN = 32;
const EPOCHS = 10;
const BATCH = 32;
const LEARNING_RATE = 1e-3;
const WEIGHT_DECAY = 1e-4;

/**
 * A one-hidden-layer perceptron (ReLU) with a sigmoid output per model, trained with Adam on the
 * binary cross-entropy of each model's outcome. It runs on the CPU in-process: `device` other
 * than cpu is refused rather than ignored.
 */
export const mlpKind: TrainedKind<MlpParameters, MlpPayload> = {
  kind: 'mlp',
  aliases: [],
  parameters: { device: { enum: ['cpu', 'cuda', 'metal'] } },
  defaults: {},
  mismatch(parameters) {
    return parameters.device !== undefined && parameters.device !== 'cpu' ? `device ${parameters.device} is not available: Switchyard runs the MLP in-process on the CPU (use device: cpu)` : undefined;
  },
  train(set, _parameters, random) {
    const inputs = set.features[0]!.length;
    const models = set.models.length;
    const params = [
      Float32Array.from({ length: HIDDEN * inputs }, () => gaussian(random) * Math.sqrt(2 / inputs)),
      new Float32Array(HIDDEN),
      Float32Array.from({ length: models * HIDDEN }, () => gaussian(random) * Math.sqrt(1 / HIDDEN)),
      new Float32Array(models),
    ] as const;
    const [w1, b1, w2, b2] = params;
    const grads = params.map((p) => new Float32Array(p.length));
    const moment1 = params.map((p) => new Float32Array(p.length));
    const moment2 = params.map((p) => new Float32Array(p.length));
    const hidden = new Float32Array(HIDDEN);
    const delta = new Float32Array(HIDDEN);
    const order = set.features.map((_, i) => i);
    let step = 0;
    for (let epoch = 0; epoch < EPOCHS; epoch++) {
      for (let i = order.length - 1; i > 0; i--) {
        const j = Math.floor(random() * (i + 1));
        [order[i], order[j]] = [order[j]!, order[i]!];
      }
      for (let start = 0; start < order.length; start += BATCH) {
        for (const grad of grads) grad.fill(0);
        const batch = order.slice(start, start + BATCH);
        for (const row of batch) {
          const x = set.features[row]!;
          forwardHidden(w1, b1, x, hidden);
          delta.fill(0);
          for (let m = 0; m < models; m++) {
            let z = b2[m]!;
            for (let h = 0; h < HIDDEN; h++) z += w2[m * HIDDEN + h]! * hidden[h]!;
            const error = 1 / (1 + Math.exp(-z)) - set.outcomes[row]![m]!;
            grads[3]![m]! += error;
            for (let h = 0; h < HIDDEN; h++) {
              grads[2]![m * HIDDEN + h]! += error * hidden[h]!;
              delta[h]! += error * w2[m * HIDDEN + h]!;
            }
          }
          for (let h = 0; h < HIDDEN; h++) {
            if (hidden[h]! <= 0) continue;
            grads[1]![h]! += delta[h]!;
            const g = delta[h]!;
            for (let k = 0; k < inputs; k++) grads[0]![h * inputs + k]! += g * x[k]!;
          }
        }
        step += 1;
        params.forEach((param, p) => {
          const grad = grads[p]!;
          const m1 = moment1[p]!;
          const m2 = moment2[p]!;
          for (let k = 0; k < param.length; k++) {
            const g = grad[k]! / batch.length + WEIGHT_DECAY * param[k]!;
            m1[k] = 0.9 * m1[k]! + 0.1 * g;
            m2[k] = 0.999 * m2[k]! + 0.001 * g * g;
            param[k]! -= (LEARNING_RATE * (m1[k]! / (1 - 0.9 ** step))) / (Math.sqrt(m2[k]! / (1 - 0.999 ** step)) + 1e-8);
          }
        });
      }
    }
    return {
      payload: { inputs, hidden: HIDDEN, models, w1: encodeFloats(w1), b1: encodeFloats(b1), w2: encodeFloats(w2), b2: encodeFloats(b2) },
      training: { hidden: HIDDEN, epochs: EPOCHS, batch: BATCH, learning_rate: LEARNING_RATE, weight_decay: WEIGHT_DECAY, optimiser: 'adam' },
    };
  },
  predictor(payload) {
    const w1 = decodeFloats(payload.w1);
    const b1 = decodeFloats(payload.b1);
    const w2 = decodeFloats(payload.w2);
    const b2 = decodeFloats(payload.b2);
    const hidden = new Float32Array(payload.hidden);
    return (features, out) => {
      forwardHidden(w1, b1, features, hidden);
      for (let m = 0; m < payload.models; m++) out[m] = 1 / (1 + Math.exp(-(b2[m]! + dot(w2, m * payload.hidden, hidden, 0, payload.hidden))));
    };
  },
};

function forwardHidden(w1: Float32Array, b1: Float32Array, x: Float32Array, out: Float32Array): void {
  multiply(w1, x, out);
  for (let h = 0; h < out.length; h++) {
    const z = b1[h]! + out[h]!;
    out[h] = z > 0 ? z : 0;
  }
}

export const mlpSelection = trainedSelection(mlpKind);
