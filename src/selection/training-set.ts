/** Rows for training a selector: one feature vector and one outcome (0..1) per model each. */
export interface TrainingSet {
  readonly models: readonly string[];
  readonly features: readonly Float32Array[];
  /** outcomes[row][model] */
  readonly outcomes: readonly Float64Array[];
}

/** A seeded uniform generator (mulberry32), so training is repeatable. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A Gaussian draw from a uniform generator. */
export function gaussian(random: () => number): number {
  return Math.sqrt(-2 * Math.log(Math.max(random(), Number.MIN_VALUE))) * Math.cos(2 * Math.PI * random());
}

/** Dot product of a[aOffset..] and b over `length` values. */
export function dot(a: Float32Array, aOffset: number, b: Float32Array, bOffset: number, length: number): number {
  let sum = 0;
  for (let i = 0; i < length; i++) sum += a[aOffset + i]! * b[bOffset + i]!;
  return sum;
}

/** Scales a vector to unit length in place (a zero vector stays zero). */
export function normalise(vector: Float32Array): Float32Array {
  let norm = 0;
  for (const value of vector) norm += value * value;
  norm = Math.sqrt(norm);
  if (norm > 0) for (let i = 0; i < vector.length; i++) vector[i]! /= norm;
  return vector;
}
