/** Rows for training a selector: one feature vector and one outcome (0..1) per model each. */
export interface TrainingSet {
  readonly models: readonly string[];
  readonly features: readonly Float32Array[];
  /** outcomes[row][model] */
  readonly outcomes: readonly Float64Array[];
}

/** A Gaussian draw from a uniform generator. */
export function gaussian(random: () => number): number {
  return Math.sqrt(-2 * Math.log(Math.max(random(), Number.MIN_VALUE))) * Math.cos(2 * Math.PI * random());
}

/**
 * Dot product of a[aOffset..] and b over `length` values. Four running sums: one sum waits on the
 * previous addition every step, which made selection three times slower than the multiplies allow.
 */
export function dot(a: Float32Array, aOffset: number, b: Float32Array, bOffset: number, length: number): number {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  const end = length - (length % 4);
  let i = 0;
  for (; i < end; i += 4) {
    s0 += a[aOffset + i]! * b[bOffset + i]!;
    s1 += a[aOffset + i + 1]! * b[bOffset + i + 1]!;
    s2 += a[aOffset + i + 2]! * b[bOffset + i + 2]!;
    s3 += a[aOffset + i + 3]! * b[bOffset + i + 3]!;
  }
  for (; i < length; i++) s0 += a[aOffset + i]! * b[bOffset + i]!;
  return s0 + s1 + s2 + s3;
}

/** out[r] = rows[r] · x for `out.length` rows of x's length, one after another in `rows`. */
export function multiply(rows: Float32Array, x: Float32Array, out: Float32Array | Float64Array): void {
  for (let r = 0; r < out.length; r++) out[r] = dot(rows, r * x.length, x, 0, x.length);
}

/** Scales a vector to unit length in place (a zero vector stays zero). */
export function normalise(vector: Float32Array): Float32Array {
  let norm = 0;
  for (const value of vector) norm += value * value;
  norm = Math.sqrt(norm);
  if (norm > 0) for (let i = 0; i < vector.length; i++) vector[i]! /= norm;
  return vector;
}
