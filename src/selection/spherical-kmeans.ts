import { dot, normalise } from './training-set.js';

/** Unit-length centroids, one after another, and the centroid of every point. */
export interface Clustering {
  readonly centroids: Float32Array;
  readonly assignment: Int32Array;
}

/**
 * Spherical k-means (cosine similarity) of unit-length points, seeded by k-means++: the clusters of
 * the kmeans selector and the prototypes of the knn selector.
 */
export function sphericalKMeans(points: readonly Float32Array[], clusters: number, iterations: number, random: () => number): Clustering {
  const length = points[0]!.length;
  const centroids = new Float32Array(clusters * length);
  centroids.set(points[Math.floor(random() * points.length)]!, 0);
  const distance = new Float64Array(points.length).fill(Infinity);
  for (let c = 1; c < clusters; c++) {
    let total = 0;
    points.forEach((point, i) => {
      distance[i] = Math.min(distance[i]!, 1 - dot(point, 0, centroids, (c - 1) * length, length));
      total += Math.max(distance[i]!, 0);
    });
    let target = random() * total;
    let chosen = points.length - 1;
    for (let i = 0; i < points.length; i++) {
      if ((target -= Math.max(distance[i]!, 0)) <= 0) {
        chosen = i;
        break;
      }
    }
    centroids.set(points[chosen]!, c * length);
  }
  const assignment = new Int32Array(points.length);
  for (let iteration = 0; iteration < iterations; iteration++) {
    points.forEach((point, i) => (assignment[i] = nearestCentroid(centroids, clusters, length, point)));
    const sums = new Float32Array(clusters * length);
    points.forEach((point, i) => {
      for (let j = 0; j < length; j++) sums[assignment[i]! * length + j]! += point[j]!;
    });
    for (let c = 0; c < clusters; c++) {
      const centroid = normalise(sums.subarray(c * length, (c + 1) * length));
      if (centroid.some((value) => value !== 0)) centroids.set(centroid, c * length);
    }
  }
  points.forEach((point, i) => (assignment[i] = nearestCentroid(centroids, clusters, length, point)));
  return { centroids, assignment };
}

/** The centroid with the largest dot product with `point`. */
function nearestCentroid(centroids: Float32Array, clusters: number, length: number, point: Float32Array): number {
  let best = 0;
  let bestSimilarity = -Infinity;
  for (let c = 0; c < clusters; c++) {
    const similarity = dot(point, 0, centroids, c * length, length);
    if (similarity > bestSimilarity) {
      bestSimilarity = similarity;
      best = c;
    }
  }
  return best;
}
