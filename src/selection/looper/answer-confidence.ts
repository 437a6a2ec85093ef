/** How a cascade measures its confidence in an answer, from the answer's token log-probabilities. */
export type ConfidenceMethod = 'avg_logprob' | 'margin' | 'hybrid';

/** Weights of `hybrid`: the answer's mean token probability and its mean top-two margin. */
export interface HybridWeights {
  readonly logprob: number;
  readonly margin: number;
}

interface TokenEntry {
  readonly logprob?: unknown;
  readonly top_logprobs?: readonly { readonly logprob?: unknown }[] | null;
}

/** The first choice's `logprobs.content` entries; undefined when the answer carries none. */
function tokenEntries(completion: Readonly<Record<string, unknown>>): TokenEntry[] | undefined {
  const choices = completion.choices;
  if (!Array.isArray(choices)) return undefined;
  const content = (choices[0] as { logprobs?: { content?: unknown } | null } | undefined)?.logprobs?.content;
  if (!Array.isArray(content) || content.length === 0) return undefined;
  return content as TokenEntry[];
}

function averageLogprob(tokens: readonly TokenEntry[]): number | undefined {
  let sum = 0;
  for (const token of tokens) {
    if (typeof token.logprob !== 'number' || !Number.isFinite(token.logprob)) return undefined;
    sum += token.logprob;
  }
  return sum / tokens.length;
}

/** Mean over tokens of p(best) − p(runner-up); undefined without two alternatives per token. */
function averageMargin(tokens: readonly TokenEntry[]): number | undefined {
  let sum = 0;
  for (const token of tokens) {
    const probabilities = (token.top_logprobs ?? []).flatMap((entry) => (typeof entry.logprob === 'number' ? [Math.exp(entry.logprob)] : [])).sort((a, b) => b - a);
    if (probabilities.length < 2) return undefined;
    sum += probabilities[0]! - probabilities[1]!;
  }
  return sum / tokens.length;
}

/**
 * The confidence of an answer under a method, or undefined when the answer has no usable
 * log-probabilities (an upstream that ignores `logprobs`, an answer that is only a tool call):
 * the cascade then cannot trust the answer and escalates.
 * - `avg_logprob`: mean token log-probability (≤ 0; Athena's threshold −1.0);
 * - `margin`: mean difference between the two likeliest tokens' probabilities (0..1);
 * - `hybrid`: weighted mean of the mean token probability exp(avg_logprob) and the margin (0..1).
 */
export function answerConfidence(completion: Readonly<Record<string, unknown>>, method: ConfidenceMethod, weights: HybridWeights): number | undefined {
  const tokens = tokenEntries(completion);
  if (tokens === undefined) return undefined;
  const logprob = averageLogprob(tokens);
  if (method === 'avg_logprob') return logprob;
  const margin = averageMargin(tokens);
  if (method === 'margin' || margin === undefined || logprob === undefined) return method === 'margin' ? margin : undefined;
  return (weights.logprob * Math.exp(logprob) + weights.margin * margin) / (weights.logprob + weights.margin);
}
