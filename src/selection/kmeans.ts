import { decodeFloats, encodeFloats } from './float-codec.js';
import { trainedSelection, type TrainedKind, type TrainedParameters } from './trained-selector.js';
import { sphericalKMeans } from './spherical-kmeans.js';
import { multiply, normalise } from './training-set.js';

interface KmeansParameters extends TrainedParameters {
  readonly num_clusters?: number;
  readonly efficiency_weight?: number;
}

interface KmeansPayload {
  readonly clusters: number;
  /** Unit-length centroids, one after another. */
  readonly centroids: string;
  /** Smoothed mean outcome per cluster and model. */
  readonly quality: string;
  readonly models: number;
}

const ITERATIONS = 25;
/** Pseudo-count of the overall mean mixed into each cluster's mean, so a small cluster does not swing to 0 or 1. */
const SMOOTHING = 5;

/**
 * Spherical k-means over the training features; each cluster predicts the smoothed mean outcome of
 * every model in it. `efficiency_weight` (Athena's quality-vs-efficiency knob) lowers the predicted
 * quality of dearer candidates by that much per unit of relative price at run time.
 */
export const kmeansKind: TrainedKind<KmeansParameters, KmeansPayload> = {
  kind: 'kmeans',
  aliases: ['k_means'],
  parameters: { num_clusters: { type: 'integer', minimum: 1, maximum: 4096 }, efficiency_weight: { type: 'number', minimum: 0, maximum: 1 } },
  defaults: {},
  costWeight: (parameters) => parameters.efficiency_weight ?? 0,
  mismatch(parameters, training) {
    return parameters.num_clusters !== undefined && parameters.num_clusters !== training.num_clusters
      ? `num_clusters is ${parameters.num_clusters} but the file was trained with ${String(training.num_clusters)}; retrain with switchyard train-selector --clusters ${parameters.num_clusters}`
      : undefined;
  },
  train(set, parameters, random) {
    const clusters = Math.min(parameters.num_clusters ?? 8, set.features.length);
    const points = set.features.map((features) => normalise(Float32Array.from(features)));
    const { centroids, assignment } = sphericalKMeans(points, clusters, ITERATIONS, random);
    const models = set.models.length;
    const overall = new Float64Array(models);
    set.outcomes.forEach((row) => row.forEach((value, m) => (overall[m]! += value / set.outcomes.length)));
    const sums = new Float64Array(clusters * models);
    const counts = new Float64Array(clusters);
    set.outcomes.forEach((row, i) => {
      counts[assignment[i]!]! += 1;
      row.forEach((value, m) => (sums[assignment[i]! * models + m]! += value));
    });
    const quality = new Float32Array(clusters * models);
    for (let c = 0; c < clusters; c++) for (let m = 0; m < models; m++) quality[c * models + m] = (sums[c * models + m]! + SMOOTHING * overall[m]!) / (counts[c]! + SMOOTHING);
    return { payload: { clusters, centroids: encodeFloats(centroids), quality: encodeFloats(quality), models }, training: { num_clusters: clusters, iterations: ITERATIONS } };
  },
  predictor(payload) {
    const centroids = decodeFloats(payload.centroids);
    const quality = decodeFloats(payload.quality);
    const similarities = new Float32Array(payload.clusters);
    return (features, out) => {
      // The nearest unit centroid by dot product: scaling the query cannot change it, so it is not normalised.
      multiply(centroids, features, similarities);
      let cluster = 0;
      for (let c = 1; c < payload.clusters; c++) if (similarities[c]! > similarities[cluster]!) cluster = c;
      for (let m = 0; m < payload.models; m++) out[m] = quality[cluster * payload.models + m]!;
    };
  },
};

export const kmeansSelection = trainedSelection(kmeansKind);
