/**
 * Probability calibration of a bundled classifier: temperature scaling (and, for a binary score, a bias),
 * fitted on held-out rows by training/calibrate.ts and stored in the model's config.json as
 * `calibration: {temperature, bias?}`. Without it a threshold of 0.5 need not mean "right half the time":
 * the raw domain model put its correct answers on natural questions at 0.37–0.41.
 */
export interface Calibration {
  /** Logits are divided by it: above 1 softens overconfident scores, below 1 sharpens underconfident ones. */
  readonly temperature: number;
  /** Added to a binary score's scaled logit (Platt scaling); 0 for softmax classifiers. */
  readonly bias: number;
}

export const IDENTITY_CALIBRATION: Calibration = { temperature: 1, bias: 0 };

/** The `calibration` block of a config.json; absent means identity. Throws naming `where` when malformed. */
export function parseCalibration(value: unknown, where: string): Calibration {
  if (value === undefined) return IDENTITY_CALIBRATION;
  const block = value as { temperature?: unknown; bias?: unknown };
  const { temperature, bias = 0 } = block ?? {};
  if (typeof temperature !== 'number' || !Number.isFinite(temperature) || temperature <= 0) {
    throw new Error(`${where}: calibration.temperature must be a positive number`);
  }
  if (typeof bias !== 'number' || !Number.isFinite(bias)) throw new Error(`${where}: calibration.bias must be a number`);
  return { temperature, bias };
}

/** Logits divided by the temperature (the softmax over them is the calibrated distribution). */
export function scaleLogits(logits: ArrayLike<number>, calibration: Calibration): Float32Array {
  return Float32Array.from(logits as ArrayLike<number>, (logit) => logit / calibration.temperature);
}

/** A binary probability through the calibration: sigmoid(logit(p) / temperature + bias). */
export function calibrateProbability(probability: number, calibration: Calibration): number {
  if (calibration === IDENTITY_CALIBRATION) return probability;
  const p = Math.min(1 - 1e-7, Math.max(1e-7, probability));
  return 1 / (1 + Math.exp(-(Math.log(p / (1 - p)) / calibration.temperature + calibration.bias)));
}
