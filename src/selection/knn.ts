import { decodeFloats, encodeFloats } from './float-codec.js';
import { trainedSelection, type TrainedKind, type TrainedParameters } from './trained-selector.js';
import { dot, gaussian, normalise } from './training-set.js';

interface KnnParameters extends TrainedParameters {
  readonly k?: number;
}

interface KnnPayload {
  /** Random projection (projected × feature length), so a search touches 64 numbers per neighbour. */
  readonly projected: number;
  readonly projection: string;
  /** Unit-length projected training vectors, row after row. */
  readonly vectors: string;
  /** Outcomes, `models` per row. */
  readonly outcomes: string;
  readonly models: number;
  /** Neighbours used when the config sets no `k`. */
  readonly k: number;
}

const PROJECTED_DIMENSIONS = 64;
/** Default neighbours: outcomes are 0/1, so a vote needs many neighbours to rank prompts finely. */
const DEFAULT_K = 100;

/**
 * k nearest training prompts (cosine over a random projection of the features) vote with their
 * recorded outcomes, weighted by similarity. `k` in the config overrides the file's (training
 * default 100: with 0/1 outcomes Athena's 5 can only say 0, 0.2, … 1 and cannot rank prompts).
 */
export const knnKind: TrainedKind<KnnParameters, KnnPayload> = {
  kind: 'knn',
  aliases: [],
  parameters: { k: { type: 'integer', minimum: 1, maximum: 1000 } },
  defaults: {},
  train(set, parameters, random) {
    const k = parameters.k ?? DEFAULT_K;
    const featureLength = set.features[0]!.length;
    const projection = new Float32Array(PROJECTED_DIMENSIONS * featureLength);
    for (let i = 0; i < projection.length; i++) projection[i] = gaussian(random) / Math.sqrt(PROJECTED_DIMENSIONS);
    const vectors = new Float32Array(set.features.length * PROJECTED_DIMENSIONS);
    set.features.forEach((features, row) => vectors.set(project(projection, features), row * PROJECTED_DIMENSIONS));
    const outcomes = new Float32Array(set.outcomes.length * set.models.length);
    set.outcomes.forEach((row, i) => outcomes.set(row, i * set.models.length));
    return {
      payload: { projected: PROJECTED_DIMENSIONS, projection: encodeFloats(projection), vectors: encodeFloats(vectors), outcomes: encodeFloats(outcomes), models: set.models.length, k },
      training: { projected_dimensions: PROJECTED_DIMENSIONS, rows: set.features.length, k },
    };
  },
  predictor(payload, parameters) {
    const projection = decodeFloats(payload.projection);
    const vectors = decodeFloats(payload.vectors);
    const outcomes = decodeFloats(payload.outcomes);
    const rows = vectors.length / payload.projected;
    const k = Math.min(parameters.k ?? payload.k, rows);
    return (features) => {
      const query = project(projection, features);
      // The k best similarities so far, kept sorted descending (k is small).
      const best = new Float64Array(k).fill(-Infinity);
      const bestRow = new Int32Array(k).fill(-1);
      for (let row = 0; row < rows; row++) {
        const similarity = dot(query, 0, vectors, row * payload.projected, payload.projected);
        if (similarity <= best[k - 1]!) continue;
        let slot = k - 1;
        while (slot > 0 && best[slot - 1]! < similarity) {
          best[slot] = best[slot - 1]!;
          bestRow[slot] = bestRow[slot - 1]!;
          slot -= 1;
        }
        best[slot] = similarity;
        bestRow[slot] = row;
      }
      const quality = new Float64Array(payload.models);
      let total = 0;
      for (let slot = 0; slot < k; slot++) {
        const weight = Math.max(best[slot]!, 0) + 1e-6;
        total += weight;
        for (let m = 0; m < payload.models; m++) quality[m]! += weight * outcomes[bestRow[slot]! * payload.models + m]!;
      }
      for (let m = 0; m < payload.models; m++) quality[m]! /= total;
      return quality;
    };
  },
};

function project(projection: Float32Array, features: Float32Array): Float32Array {
  const out = new Float32Array(PROJECTED_DIMENSIONS);
  for (let i = 0; i < PROJECTED_DIMENSIONS; i++) out[i] = dot(projection, i * features.length, features, 0, features.length);
  return normalise(out);
}

export const knnSelection = trainedSelection(knnKind);
