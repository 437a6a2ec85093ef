import { RouterError } from '../../errors.js';
import { short } from '../candidate-scores.js';
import type { InertParameter, SelectionAlgorithm, SelectionCandidate } from '../selection-algorithm.js';
import { answerConfidence, type ConfidenceMethod, type HybridWeights } from './answer-confidence.js';
import type { Looper, LooperTry } from './looper.js';
import { unstreamed } from './looper-answers.js';

export interface ConfidenceParameters {
  readonly confidence_method: ConfidenceMethod;
  /** Escalate when the answer's confidence is under this; the method's default when unset. */
  readonly threshold?: number;
  readonly hybrid_weights: HybridWeights;
  readonly escalation_order: 'size' | 'cost' | 'automix';
  /** Overrides the decision's `algorithm.on_error` for failed calls (Athena's place for it). */
  readonly on_error?: 'skip' | 'fail';
  readonly cost_quality_tradeoff?: number;
  readonly token_filter?: unknown;
}

/** Athena's thresholds per method. */
const DEFAULT_THRESHOLD: Readonly<Record<ConfidenceMethod, number>> = { avg_logprob: -1, margin: 0.5, hybrid: 0.5 };

const SIZE_UNITS: Readonly<Record<string, number>> = { '': 1, k: 1e3, m: 1e6, b: 1e9, t: 1e12 };

/** `param_size` in parameters ("7b", "1.5B", "8x7b", "400m"); undefined when it is not a size. */
export function parameterCount(size: string | undefined): number | undefined {
  const match = /^\s*(?:(\d+)\s*x\s*)?(\d+(?:\.\d+)?)\s*([kmbt]?)\s*$/i.exec(size ?? '');
  if (match === null) return undefined;
  return Number(match[1] ?? 1) * Number(match[2]) * SIZE_UNITS[match[3]!.toLowerCase()]!;
}

/**
 * The order candidates are tried in. `size`: smallest `param_size` first (models without one
 * after those with one); `cost`: cheapest configured price first; `automix`: lowest
 * `quality_score` first (AutoMix climbs from the weakest model). Ties keep modelRef order.
 */
function escalationOrder(candidates: readonly SelectionCandidate[], order: ConfidenceParameters['escalation_order']): number[] {
  const key = (candidate: SelectionCandidate): number => {
    switch (order) {
      case 'size':
        return parameterCount(candidate.target.paramSize) ?? Infinity;
      case 'cost':
        return candidate.relativeCost;
      case 'automix':
        return candidate.target.qualityScore ?? Infinity;
    }
  };
  return candidates.map((_, i) => i).sort((a, b) => key(candidates[a]!) - key(candidates[b]!) || a - b);
}

function checkThreshold(method: ConfidenceMethod, threshold: number): void {
  if (method === 'avg_logprob' && threshold > 0) throw new Error(`threshold ${threshold} can never be reached: an average log-probability is at most 0`);
  if (method !== 'avg_logprob' && (threshold < 0 || threshold > 1)) throw new Error(`threshold ${threshold} is outside 0..1, the range of the ${method} confidence`);
}

/** The `logprobs` request fields a method needs; a client's own larger `top_logprobs` is kept. */
function withLogprobs(json: Readonly<Record<string, unknown>>, method: ConfidenceMethod): Record<string, unknown> {
  const asked = typeof json.top_logprobs === 'number' ? json.top_logprobs : 0;
  return { ...unstreamed(json), logprobs: true, ...(method === 'avg_logprob' ? {} : { top_logprobs: Math.max(2, asked) }) };
}

function describe(attempt: LooperTry, method: ConfidenceMethod, threshold: number): string {
  if (attempt.outcome === 'failed') return `${attempt.model} failed (${attempt.error ?? 'error'})`;
  if (attempt.confidence === undefined) return `${attempt.model} gave no logprobs`;
  return `${attempt.model} ${method} ${short(attempt.confidence)} ${attempt.outcome === 'answered' ? '>=' : '<'} ${short(threshold)}`;
}

/**
 * Athena's `confidence` looper: a cascade. The cheapest (smallest) candidate answers first, asked
 * for its token log-probabilities; an answer whose confidence reaches the threshold is the reply,
 * otherwise the next candidate is tried. The last candidate is not called by the cascade: the
 * request is routed to it, so its answer streams from the upstream as any routed answer does.
 * A failed call escalates under `on_error: skip` and fails the request (502) under `fail`.
 */
export const confidenceLooper: SelectionAlgorithm<ConfidenceParameters> = {
  type: 'confidence',
  aliases: [],
  parameterSchema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      confidence_method: { enum: ['avg_logprob', 'margin', 'hybrid'] },
      threshold: { type: 'number' },
      hybrid_weights: {
        type: 'object',
        additionalProperties: false,
        properties: { logprob: { type: 'number', minimum: 0 }, margin: { type: 'number', minimum: 0 } },
      },
      escalation_order: { enum: ['size', 'cost', 'automix'] },
      on_error: { enum: ['skip', 'fail'] },
      cost_quality_tradeoff: { type: 'number', minimum: 0, maximum: 1 },
      token_filter: {},
    },
  },
  defaults: { confidence_method: 'avg_logprob', hybrid_weights: { logprob: 0.5, margin: 0.5 }, escalation_order: 'size' },
  globalKey: undefined,
  inertParameters(written): InertParameter[] {
    const inert: InertParameter[] = [];
    if (written.cost_quality_tradeoff !== undefined) inert.push({ name: 'cost_quality_tradeoff', reason: 'the cascade escalates on confidence alone; order candidates by cost with escalation_order: cost' });
    if (written.token_filter !== undefined) inert.push({ name: 'token_filter', reason: 'confidence is measured over every answer token' });
    return inert;
  },
  create(parameters, context) {
    const method = parameters.confidence_method;
    const threshold = parameters.threshold ?? DEFAULT_THRESHOLD[method];
    checkThreshold(method, threshold);
    const weights = { ...confidenceLooper.defaults.hybrid_weights, ...parameters.hybrid_weights };
    if (weights.logprob + weights.margin <= 0) throw new Error('hybrid_weights must not both be 0');
    const candidates = context.candidates;
    if (candidates.length < 2) throw new Error('a confidence cascade needs at least two modelRefs');
    const order = escalationOrder(candidates, parameters.escalation_order);
    const onError = parameters.on_error ?? context.onError;
    const names = order.map((i) => candidates[i]!.target.name);
    const plan = `cascade ${names.join(' -> ')}, escalating when ${method} < ${short(threshold)}`;
    const looper: Looper = {
      async run(calls) {
        const tries: LooperTry[] = [];
        const reason = (): string => tries.map((attempt) => describe(attempt, method, threshold)).join('; ');
        for (let step = 0; step < order.length - 1; step++) {
          const index = order[step]!;
          const model = candidates[index]!.target.name;
          let completion;
          try {
            completion = await calls.call(index, step + 1, (json) => withLogprobs(json, method));
          } catch (error) {
            // The client went away: nothing more to try for it.
            if (calls.signal.aborted) throw error;
            tries.push({ model, outcome: 'failed', error: (error as Error).message });
            if (onError === 'fail') throw new RouterError('SY_ERR_UPSTREAM_FAILED', `confidence cascade: ${model} failed: ${(error as Error).message}`);
            continue;
          }
          const confidence = answerConfidence(completion, method, weights);
          const answered = confidence !== undefined && confidence >= threshold;
          tries.push({ model, outcome: answered ? 'answered' : 'escalated', ...(confidence === undefined ? {} : { confidence }) });
          if (answered) return { kind: 'answer', candidate: index, completion, tries, reason: reason() };
        }
        const last = order[order.length - 1]!;
        return { kind: 'route', candidate: last, tries, reason: `escalated to ${candidates[last]!.target.name}: ${reason()}` };
      },
    };
    return { needsEmbedding: false, select: () => ({ index: order[0]!, reason: plan }), looper };
  },
};
