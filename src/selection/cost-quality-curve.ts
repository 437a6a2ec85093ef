/** The quality target RouteLLM's figures are quoted at: 95% of the strong model's accuracy. */
export const QUALITY_TARGET = 0.95;

/** One operating point: the share of prompts sent to the strong model and the accuracy it gives. */
export interface CurvePoint {
  readonly strongShare: number;
  readonly accuracy: number;
  /** Route to the strong model when the predicted margin is above this. */
  readonly threshold: number;
}

/**
 * Every operating point of a router that sends a prompt to the strong model when its predicted
 * margin (strong quality − weak quality) exceeds a threshold: prompts sorted by margin, the first
 * k go strong, k = 0..n. Ties in margin move together, as one threshold cannot split them.
 */
export function costQualityCurve(margins: readonly number[], weak: readonly number[], strong: readonly number[]): CurvePoint[] {
  const n = margins.length;
  const order = margins.map((_, i) => i).sort((a, b) => margins[b]! - margins[a]!);
  let correct = weak.reduce((sum, value) => sum + value, 0);
  const points: CurvePoint[] = [{ strongShare: 0, accuracy: correct / n, threshold: Infinity }];
  for (let k = 0; k < n; k++) {
    const i = order[k]!;
    correct += strong[i]! - weak[i]!;
    const next = order[k + 1];
    if (next !== undefined && margins[next] === margins[i]) continue;
    points.push({ strongShare: (k + 1) / n, accuracy: correct / n, threshold: next === undefined ? -Infinity : (margins[i]! + margins[next]!) / 2 });
  }
  return points;
}

/** The smallest strong share whose accuracy reaches `target`, with its point; undefined when none does. */
export function pointAtAccuracy(curve: readonly CurvePoint[], target: number): CurvePoint | undefined {
  return curve.find((point) => point.accuracy >= target - 1e-12);
}

/** Accuracy at a strong share, interpolated between operating points (for tables at fixed shares). */
export function accuracyAtShare(curve: readonly CurvePoint[], share: number): number {
  const after = curve.findIndex((point) => point.strongShare >= share);
  if (after <= 0) return curve[Math.max(after, 0)]!.accuracy;
  const a = curve[after - 1]!;
  const b = curve[after]!;
  return a.accuracy + ((b.accuracy - a.accuracy) * (share - a.strongShare)) / (b.strongShare - a.strongShare);
}

/** Share of prompts a threshold sends to the strong model and the accuracy it gives. */
export function operatingPoint(margins: readonly number[], weak: readonly number[], strong: readonly number[], threshold: number): CurvePoint {
  let correct = 0;
  let strongCount = 0;
  margins.forEach((margin, i) => {
    const toStrong = margin > threshold;
    if (toStrong) strongCount += 1;
    correct += toStrong ? strong[i]! : weak[i]!;
  });
  return { strongShare: strongCount / margins.length, accuracy: correct / margins.length, threshold };
}

/** The operating point with the smallest strong share whose accuracy reaches 95% of always-strong's. */
export function pointAtQualityTarget(curve: readonly CurvePoint[], strong: readonly number[]): CurvePoint | undefined {
  const strongAccuracy = strong.reduce((a, b) => a + b, 0) / strong.length;
  return pointAtAccuracy(curve, QUALITY_TARGET * strongAccuracy);
}

/** Area under a curve over shares 0..1 (trapezoids): its accuracy averaged over every cost. */
export function curveArea(curve: readonly CurvePoint[]): number {
  let area = 0;
  for (let i = 1; i < curve.length; i++) area += ((curve[i]!.strongShare - curve[i - 1]!.strongShare) * (curve[i]!.accuracy + curve[i - 1]!.accuracy)) / 2;
  return area;
}
