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

/**
 * out[r] = rows[r] · x for `out.length` rows of x's length, one after another in `rows`. Four rows
 * at a time, so each value of x is read once per four products: 1.7 times faster than a dot
 * product per row on the selectors' 522-value features.
 */
export function multiply(rows: Float32Array, x: Float32Array, out: Float32Array | Float64Array): void {
  const n = x.length;
  let r = 0;
  for (; r + 4 <= out.length; r += 4) {
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    const b0 = r * n;
    const b1 = b0 + n;
    const b2 = b1 + n;
    const b3 = b2 + n;
    for (let k = 0; k < n; k++) {
      const v = x[k]!;
      s0 += rows[b0 + k]! * v;
      s1 += rows[b1 + k]! * v;
      s2 += rows[b2 + k]! * v;
      s3 += rows[b3 + k]! * v;
    }
    out[r] = s0;
    out[r + 1] = s1;
    out[r + 2] = s2;
    out[r + 3] = s3;
  }
  for (; r < out.length; r++) out[r] = dot(rows, r * n, x, 0, n);
}

/** Scales a vector to unit length in place (a zero vector stays zero). */
export function normalise(vector: Float32Array): Float32Array {
  let norm = 0;
  for (const value of vector) norm += value * value;
  norm = Math.sqrt(norm);
  if (norm > 0) for (let i = 0; i < vector.length; i++) vector[i]! /= norm;
  return vector;
}
