/** One label of a classification with its probability. */
export interface LabelScore {
  readonly label: string;
  readonly score: number;
}

/** A text classifier over a fixed label set. */
export interface TextClassifier {
  readonly labels: readonly string[];
  /** Every label with its probability, highest first. */
  classify(text: string): Promise<readonly LabelScore[]>;
}

/** Softmax of `logits`, paired with `labels` and sorted by probability, highest first. */
export function rankLabels(labels: readonly string[], logits: ArrayLike<number>): LabelScore[] {
  if (logits.length !== labels.length) {
    throw new Error(`model returned ${logits.length} logits for ${labels.length} labels`);
  }
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) max = Math.max(max, logits[i]!);
  const exps = Array.from(labels, (_, i) => Math.exp(logits[i]! - max));
  const sum = exps.reduce((a, b) => a + b, 0);
  return labels.map((label, i) => ({ label, score: exps[i]! / sum })).sort((a, b) => b.score - a.score);
}
