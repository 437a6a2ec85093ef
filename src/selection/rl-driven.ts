import { bestIndex, short } from './candidate-scores.js';
import { betaSample } from './beta-sample.js';
import type { InertParameter, SelectionAlgorithm, SelectionCandidate, SelectionRequest } from './selection-algorithm.js';
import type { SelectionState, StateUpdate } from './selection-state.js';

export interface RlDrivenParameters {
  readonly exploration_rate: number;
  readonly use_thompson_sampling: boolean;
  readonly enable_personalization: boolean;
  readonly personalization_blend: number;
  readonly cost_awareness: boolean;
  readonly cost_weight: number;
  readonly use_router_r1_rewards: boolean;
  readonly enable_llm_routing: boolean;
  readonly router_r1_server_url?: string;
}

/** Router-R1's cost share α in R = (1−α)·R_outcome + α·R_cost (Athena's internal value). */
const ROUTER_R1_COST_SHARE = 0.3;
/** ε-greedy: ε decays by this factor every 100 selections, down to the floor. */
const EXPLORATION_DECAY = 0.99;
const EXPLORATION_FLOOR = 0.05;

/** Posterior table of a decision's models (fields `<model>#a`, `<model>#b`: successes and failures seen). */
export function banditTable(decision: string): string {
  return `rl:${decision}`;
}

/** Posterior table of one user's feedback on a decision. */
export function userBanditTable(decision: string, userId: string): string {
  return `rl:${decision}:user:${userId}`;
}

/** Beta(1 + successes, 1 + failures) of a model in a table. */
export function posterior(state: SelectionState, table: string, model: string): { a: number; b: number } {
  return { a: 1 + (state.get(table, `${model}#a`) ?? 0), b: 1 + (state.get(table, `${model}#b`) ?? 0) };
}

/**
 * A Beta-Bernoulli bandit per model and decision: Thompson sampling draws a success rate from
 * each posterior and takes the best draw less its cost penalty (or ε-greedy on the posterior
 * means with `use_thompson_sampling: false`). With personalisation, a user's own posterior is
 * blended in (`personalization_blend` is the user's share) once that user has given feedback.
 */
export const rlDrivenSelection: SelectionAlgorithm<RlDrivenParameters> = {
  type: 'rl_driven',
  aliases: ['thompson', 'thompson_sampling', 'router_r1'],
  parameterSchema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      exploration_rate: { type: 'number', minimum: 0, maximum: 1 },
      use_thompson_sampling: { type: 'boolean' },
      enable_personalization: { type: 'boolean' },
      personalization_blend: { type: 'number', minimum: 0, maximum: 1 },
      cost_awareness: { type: 'boolean' },
      cost_weight: { type: 'number', minimum: 0 },
      use_router_r1_rewards: { type: 'boolean' },
      enable_llm_routing: { type: 'boolean' },
      router_r1_server_url: { type: 'string' },
    },
  },
  defaults: {
    exploration_rate: 0.3,
    use_thompson_sampling: true,
    enable_personalization: true,
    personalization_blend: 0.7,
    cost_awareness: true,
    cost_weight: 0.2,
    use_router_r1_rewards: true,
    enable_llm_routing: false,
  },
  globalKey: ['rl_driven'],
  inertParameters(written): InertParameter[] {
    const inert: InertParameter[] = [];
    if (written.exploration_rate !== undefined && written.use_thompson_sampling !== false) {
      inert.push({ name: 'exploration_rate', reason: 'Thompson sampling explores through its posteriors; exploration_rate applies with use_thompson_sampling: false' });
    }
    if (written.router_r1_server_url !== undefined) inert.push({ name: 'router_r1_server_url', reason: 'LLM-as-router (Router-R1 server) routing is not supported' });
    return inert;
  },
  create(parameters, { state, decision }) {
    if (parameters.enable_llm_routing) throw new Error('rl_driven.enable_llm_routing (a Router-R1 LLM server choosing the model) is not supported; remove it or set it to false');
    let selections = 0;
    const draw = (request: SelectionRequest, model: string, sample: boolean): number => {
      const shared = posterior(state, banditTable(decision), model);
      const value = (p: { a: number; b: number }): number => (sample ? betaSample(p.a, p.b, request.random) : p.a / (p.a + p.b));
      const global = value(shared);
      if (!parameters.enable_personalization || request.userId === undefined) return global;
      const own = posterior(state, userBanditTable(decision, request.userId), model);
      if (own.a + own.b <= 2) return global;
      return parameters.personalization_blend * value(own) + (1 - parameters.personalization_blend) * global;
    };
    const penalty = (candidate: SelectionCandidate): number => (parameters.cost_awareness ? parameters.cost_weight * candidate.relativeCost : 0);
    return {
      needsEmbedding: false,
      select(request, candidates) {
        selections += 1;
        if (!parameters.use_thompson_sampling) {
          const epsilon = Math.max(EXPLORATION_FLOOR, parameters.exploration_rate * EXPLORATION_DECAY ** Math.floor(selections / 100));
          if (request.random() < epsilon) {
            const index = Math.min(candidates.length - 1, Math.floor(request.random() * candidates.length));
            return { index, reason: `exploring (epsilon ${short(epsilon)})` };
          }
        }
        const scores = candidates.map((candidate) => draw(request, candidate.target.name, parameters.use_thompson_sampling) - penalty(candidate));
        const index = bestIndex(scores);
        return { index, reason: `${parameters.use_thompson_sampling ? 'thompson draw' : 'posterior mean'} ${short(scores[index]!)}` };
      },
    };
  },
  learn(parameters, feedback, relativeCost): StateUpdate[] {
    const tables = [banditTable(feedback.decision)];
    if (parameters.enable_personalization && feedback.userId !== undefined) tables.push(userBanditTable(feedback.decision, feedback.userId));
    const deltas: Record<string, number> = {};
    for (const { model, reward } of feedback.rewards) {
      const shaped = parameters.use_router_r1_rewards ? (1 - ROUTER_R1_COST_SHARE) * reward + ROUTER_R1_COST_SHARE * (1 - relativeCost(model)) : reward;
      deltas[`${model}#a`] = (deltas[`${model}#a`] ?? 0) + shaped;
      deltas[`${model}#b`] = (deltas[`${model}#b`] ?? 0) + 1 - shaped;
    }
    return tables.map((table) => ({ kind: 'add', table, deltas }));
  },
};
