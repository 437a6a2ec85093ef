import { ensembleKind } from '../../../src/selection/ensemble.js';
import { knnKind } from '../../../src/selection/knn.js';
import { mlpKind } from '../../../src/selection/mlp.js';
import { seededRandom } from '../../../src/seeded-random.js';
import { dot, type TrainingSet } from '../../../src/selection/training-set.js';

/** Rows whose outcome depends on the sign of their first feature, so learners have something to find. */
function trainingSet(rows: number, length: number, random: () => number): TrainingSet {
  const features = Array.from({ length: rows }, () => Float32Array.from({ length }, () => random() * 2 - 1));
  return { models: ['weak', 'strong'], features, outcomes: features.map((f) => Float64Array.of(f[0]! > 0 ? 1 : 0, 1)) };
}

describe('trained selector predictors', () => {
  it('dot with four running sums equals the plain sum at every length and offset', () => {
    const random = seededRandom(3);
    const a = Float32Array.from({ length: 40 }, () => random() - 0.5);
    const b = Float32Array.from({ length: 40 }, () => random() - 0.5);
    for (const length of [0, 1, 3, 4, 7, 17, 33]) {
      let plain = 0;
      for (let i = 0; i < length; i++) plain += a[2 + i]! * b[5 + i]!;
      expect(dot(a, 2, b, 5, length)).toBeCloseTo(plain, 10);
    }
  });

  it('knn votes with exactly the k most similar prototypes (partial top-k against a full sort)', () => {
    const random = seededRandom(5);
    const set = trainingSet(400, 12, random);
    const { payload } = knnKind.train(set, { prototypes: 40, k: 7 }, random, undefined);
    const predict = knnKind.predictor(payload, {});
    // Brute force from the payload: project, rank every prototype, vote with the first 7.
    const decode = (text: string): Float32Array => {
      const bytes = Buffer.from(text, 'base64');
      return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
    };
    const projection = decode(payload.projection);
    const vectors = decode(payload.vectors);
    const counts = decode(payload.counts);
    const outcomes = decode(payload.outcomes);
    const out = new Float64Array(2);
    for (let trial = 0; trial < 20; trial++) {
      const features = Float32Array.from({ length: 12 }, () => random() * 2 - 1);
      const query = Float64Array.from({ length: payload.projected }, (_, i) => dot(projection, i * 12, features, 0, 12));
      const norm = Math.hypot(...query);
      const ranked = Array.from(counts, (_, row) => ({ row, similarity: query.reduce((sum, value, i) => sum + (value / norm) * vectors[row * payload.projected + i]!, 0) })).sort((x, y) => y.similarity - x.similarity);
      let total = 0;
      const expected = [0, 0];
      for (const { row, similarity } of ranked.slice(0, 7)) {
        const weight = Math.max(similarity, 0) + 1e-6;
        total += weight * counts[row]!;
        for (let m = 0; m < 2; m++) expected[m]! += weight * outcomes[row * 2 + m]!;
      }
      predict(features, out);
      expect(out[0]).toBeCloseTo(expected[0]! / total, 4);
      expect(out[1]).toBeCloseTo(expected[1]! / total, 4);
    }
  });

  it('an ensemble predicts the weighted mean of its members', () => {
    const random = seededRandom(9);
    const set = trainingSet(300, 8, random);
    const validation = trainingSet(120, 8, random);
    const { payload, training } = ensembleKind.train(set, { members: ['knn', 'mlp'], prototypes: 30, k: 5 }, seededRandom(1), validation);
    expect(Object.values(training.weights as Record<string, number>).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 9);
    const predict = ensembleKind.predictor(payload, {});
    const members = payload.members.map((member) => ({ weight: member.weight, predict: (member.kind === 'knn' ? knnKind : mlpKind).predictor(member.payload as never, {}) }));
    const out = new Float64Array(2);
    const part = new Float64Array(2);
    for (const features of validation.features.slice(0, 10)) {
      predict(features, out);
      const expected = [0, 0];
      for (const member of members) {
        member.predict(features, part);
        expected[0]! += member.weight * part[0]!;
        expected[1]! += member.weight * part[1]!;
      }
      expect(out[0]).toBeCloseTo(expected[0]!, 9);
      expect(out[1]).toBeCloseTo(expected[1]!, 9);
    }
    // The weak model's outcome follows the first feature: the fitted margin must rank by it.
    const margin = (first: number): number => {
      predict(Float32Array.of(first, 0, 0, 0, 0, 0, 0, 0), out);
      return out[1]! - out[0]!;
    };
    expect(margin(-0.9)).toBeGreaterThan(margin(0.9));
  });
});
