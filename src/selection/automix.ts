import { scoringSelector, short } from './candidate-scores.js';
import type { InertParameter, SelectionAlgorithm, SelectionCandidate } from './selection-algorithm.js';
import type { SelectionState, StateUpdate } from './selection-state.js';

export interface AutomixParameters {
  readonly verification_threshold: number;
  readonly cost_aware_routing: boolean;
  readonly cost_quality_tradeoff: number;
  readonly max_escalations?: number;
  readonly discount_factor?: number;
  readonly use_logprob_verification?: boolean;
  readonly enable_self_verification?: boolean;
  readonly self_verification_samples?: number;
  readonly num_belief_particles?: number;
  readonly cost_lambda?: number;
}

/** Observed outcomes per model of a decision: `<model>#s` (reward sum) and `<model>#t` (trials). */
export function outcomeTable(decision: string): string {
  return `automix:${decision}`;
}

/** How many observations the configured `quality_score` is worth against observed outcomes. */
const PRIOR_WEIGHT = 10;
/** Quality assumed for a model without `quality_score`. */
const UNKNOWN_QUALITY = 0.5;

/** Cascade parameters: they need the answer of a first model, which single-shot routing does not have. */
const CASCADE_ONLY = [
  'max_escalations',
  'discount_factor',
  'use_logprob_verification',
  'enable_self_verification',
  'self_verification_samples',
  'num_belief_particles',
  'cost_lambda',
] as const;

/** A model's expected quality: its `quality_score` updated by the feedback seen for the decision. */
export function expectedQuality(state: SelectionState, decision: string, candidate: SelectionCandidate): number {
  const table = outcomeTable(decision);
  const model = candidate.target.name;
  const prior = candidate.target.qualityScore ?? UNKNOWN_QUALITY;
  return (prior * PRIOR_WEIGHT + (state.get(table, `${model}#s`) ?? 0)) / (PRIOR_WEIGHT + (state.get(table, `${model}#t`) ?? 0));
}

/**
 * AutoMix's cost/quality choice made once, before any answer exists: expected quality less
 * `cost_quality_tradeoff` × relative price (with `cost_aware_routing`), among the candidates whose
 * expected quality reaches `verification_threshold` (all of them when none does). The cascade
 * knobs (escalations, verification by log-probability or self-check) need a first answer and are
 * reported as not acting.
 */
export const automixSelection: SelectionAlgorithm<AutomixParameters> = {
  type: 'automix',
  aliases: [],
  parameterSchema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      verification_threshold: { type: 'number', minimum: 0, maximum: 1 },
      cost_aware_routing: { type: 'boolean' },
      cost_quality_tradeoff: { type: 'number', minimum: 0 },
      max_escalations: { type: 'integer', minimum: 0 },
      discount_factor: { type: 'number', minimum: 0, maximum: 1 },
      use_logprob_verification: { type: 'boolean' },
      enable_self_verification: { type: 'boolean' },
      self_verification_samples: { type: 'integer', minimum: 1 },
      num_belief_particles: { type: 'integer', minimum: 1 },
      cost_lambda: { type: 'number', minimum: 0 },
    },
  },
  defaults: { verification_threshold: 0.7, cost_aware_routing: true, cost_quality_tradeoff: 0.3 },
  globalKey: ['automix'],
  inertParameters(written): InertParameter[] {
    return CASCADE_ONLY.filter((name) => written[name] !== undefined).map((name) => ({
      name,
      reason: 'acts only in a cascade that sees a first answer; for one, use algorithm type "confidence" (the confidence looper)',
    }));
  },
  create(parameters, { state, decision }) {
    const tradeoff = parameters.cost_aware_routing ? parameters.cost_quality_tradeoff : 0;
    return scoringSelector(
      false,
      (_request, candidates) => {
        const qualities = candidates.map((candidate) => expectedQuality(state, decision, candidate));
        const anyVerified = qualities.some((quality) => quality >= parameters.verification_threshold);
        return candidates.map((candidate, i) =>
          anyVerified && qualities[i]! < parameters.verification_threshold ? -Infinity : qualities[i]! - tradeoff * candidate.relativeCost,
        );
      },
      (score) => `quality less cost ${short(score)}`,
    );
  },
  learn(_parameters, feedback): StateUpdate[] {
    const deltas: Record<string, number> = {};
    for (const { model, reward } of feedback.rewards) {
      deltas[`${model}#s`] = (deltas[`${model}#s`] ?? 0) + reward;
      deltas[`${model}#t`] = (deltas[`${model}#t`] ?? 0) + 1;
    }
    return [{ kind: 'add', table: outcomeTable(feedback.decision), deltas }];
  },
};
