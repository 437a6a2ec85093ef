import { decodeFloats, encodeFloats } from './float-codec.js';
import { sphericalKMeans } from './spherical-kmeans.js';
import { trainedSelection, type TrainedKind, type TrainedParameters } from './trained-selector.js';
import { gaussian, multiply, normalise } from './training-set.js';

interface KnnParameters extends TrainedParameters {
  readonly k?: number;
  /** Training only (`switchyard train-selector --prototypes`): how many prototypes stand for the training prompts. */
  readonly prototypes?: number;
}

interface KnnPayload {
  /** Random projection (projected × feature length), so a search touches 32 numbers per prototype. */
  readonly projected: number;
  readonly projection: string;
  /** Unit-length prototypes in the projected space, row after row. */
  readonly vectors: string;
  /** How many training prompts each prototype stands for. */
  readonly counts: string;
  /** Summed outcomes of those prompts, `models` per prototype. */
  readonly outcomes: string;
  readonly models: number;
  /** Prototypes that vote when the config sets no `k`. */
  readonly k: number;
}

/**
 * Dimensions of the random projection: 32 halve the request's cost against 64, and on MMLU's val
 * split the ensemble built on them sent fewer prompts to the strong model (42.2% against 43.7%),
 * though knn alone sent more (50.1% against 47.6%).
 */
const PROJECTED_DIMENSIONS = 32;
/**
 * Prototypes standing for the training prompts. A scan of all 9,188 MMLU training prompts took
 * 0.8 ms of CPU per request; 256 prototypes keep the search within the 0.1 ms selection budget.
 */
const DEFAULT_PROTOTYPES = 256;
/** Prototypes that vote by default (about 430 training prompts), chosen on val among 6, 12 and 24. */
const DEFAULT_K = 12;
const ITERATIONS = 20;

/**
 * k nearest neighbours over prototypes: the training prompts (a random projection of their
 * features, unit length) are grouped by spherical k-means into prototypes that keep their prompts'
 * count and summed outcomes. A request's k most similar prototypes vote with those outcomes,
 * weighted by similarity and by how many prompts each stands for. `k` in the config counts
 * prototypes (training default 12, several hundred prompts: with 0/1 outcomes Athena's 5 prompts
 * can only say 0, 0.2, … 1 and cannot rank prompts).
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
    const points = set.features.map((features) => project(projection, features, new Float32Array(PROJECTED_DIMENSIONS)));
    const clusters = Math.min(parameters.prototypes ?? DEFAULT_PROTOTYPES, points.length);
    const { centroids, assignment } = sphericalKMeans(points, clusters, ITERATIONS, random);
    // Prototypes that kept no prompt are dropped: they would vote with nothing.
    const kept = [...new Set(assignment)].sort((a, b) => a - b);
    const slot = new Map(kept.map((cluster, i) => [cluster, i]));
    const models = set.models.length;
    const vectors = new Float32Array(kept.length * PROJECTED_DIMENSIONS);
    kept.forEach((cluster, i) => vectors.set(centroids.subarray(cluster * PROJECTED_DIMENSIONS, (cluster + 1) * PROJECTED_DIMENSIONS), i * PROJECTED_DIMENSIONS));
    const counts = new Float32Array(kept.length);
    const outcomes = new Float32Array(kept.length * models);
    set.outcomes.forEach((row, i) => {
      const at = slot.get(assignment[i]!)!;
      counts[at]! += 1;
      row.forEach((value, m) => (outcomes[at * models + m]! += value));
    });
    return {
      payload: { projected: PROJECTED_DIMENSIONS, projection: encodeFloats(projection), vectors: encodeFloats(vectors), counts: encodeFloats(counts), outcomes: encodeFloats(outcomes), models, k },
      training: { projected_dimensions: PROJECTED_DIMENSIONS, prototypes: kept.length, iterations: ITERATIONS, rows: set.features.length, k },
    };
  },
  predictor(payload, parameters) {
    const projection = decodeFloats(payload.projection);
    const vectors = decodeFloats(payload.vectors);
    const counts = decodeFloats(payload.counts);
    const outcomes = decodeFloats(payload.outcomes);
    const rows = counts.length;
    const k = Math.min(parameters.k ?? payload.k, rows);
    const query = new Float32Array(payload.projected);
    const similarities = new Float32Array(rows);
    // The k best similarities so far, kept sorted descending: a partial top-k, no sort of all rows.
    const best = new Float64Array(k);
    const bestRow = new Int32Array(k);
    return (features, out) => {
      project(projection, features, query);
      multiply(vectors, query, similarities);
      best.fill(-Infinity);
      bestRow.fill(-1);
      for (let row = 0; row < rows; row++) {
        const similarity = similarities[row]!;
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
      out.fill(0);
      let total = 0;
      for (let rank = 0; rank < k; rank++) {
        const row = bestRow[rank]!;
        if (row === -1) break;
        const weight = Math.max(best[rank]!, 0) + 1e-6;
        total += weight * counts[row]!;
        for (let m = 0; m < payload.models; m++) out[m]! += weight * outcomes[row * payload.models + m]!;
      }
      for (let m = 0; m < payload.models; m++) out[m]! /= total;
    };
  },
};

/** The unit-length random projection of `features`, written into `out`. */
function project(projection: Float32Array, features: Float32Array, out: Float32Array): Float32Array {
  multiply(projection, features, out);
  return normalise(out);
}

export const knnSelection = trainedSelection(knnKind);
