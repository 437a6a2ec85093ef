import { scoringSelector, short } from './candidate-scores.js';
import type { Feedback } from './feedback.js';
import type { InertParameter, SelectionAlgorithm, SelectionCandidate, SelectionRequest } from './selection-algorithm.js';
import { gamesField, type SelectionState, type StateUpdate } from './selection-state.js';

export interface EloParameters {
  readonly initial_rating: number;
  readonly k_factor: number;
  readonly category_weighted: boolean;
  readonly decay_factor: number;
  readonly min_comparisons: number;
  readonly cost_scaling_factor: number;
  readonly storage_path?: string;
  readonly auto_save_interval?: string;
}

/** Table of the ratings every category shares. */
export const GLOBAL_ELO_TABLE = 'elo:global';

/** Table of one category's ratings. */
export function categoryEloTable(category: string): string {
  return `elo:cat:${category}`;
}

/** A model's rating for a category: the category's own once it has `min_comparisons` games, blended with the global one by games played. */
export function effectiveRating(state: SelectionState, parameters: EloParameters, model: string, category: string): { rating: number; games: number } {
  const global = state.get(GLOBAL_ELO_TABLE, model) ?? 0;
  const globalGames = state.get(GLOBAL_ELO_TABLE, gamesField(model)) ?? 0;
  if (!parameters.category_weighted) return { rating: parameters.initial_rating + global, games: globalGames };
  const table = categoryEloTable(category);
  const games = state.get(table, gamesField(model)) ?? 0;
  if (games < parameters.min_comparisons) return { rating: parameters.initial_rating + global, games: globalGames };
  const weight = games / (games + parameters.min_comparisons);
  return { rating: parameters.initial_rating + weight * (state.get(table, model) ?? 0) + (1 - weight) * global, games };
}

/** Rating minus its cost penalty: `cost_scaling_factor` is in units of 400 rating points (one factor of 10 in odds) per full relative cost. */
function eloScores(state: SelectionState, parameters: EloParameters, request: SelectionRequest, candidates: readonly SelectionCandidate[]): number[] {
  return candidates.map(
    (candidate) => effectiveRating(state, parameters, candidate.target.name, request.category).rating - parameters.cost_scaling_factor * 400 * candidate.relativeCost,
  );
}

/**
 * Bradley-Terry ratings learnt from pairwise feedback (Elo updates), per category and globally;
 * the highest rating, less its cost penalty, wins. Single-model feedback moves a rating by
 * ±0.1·K as Athena's implicit feedback does.
 */
export const eloSelection: SelectionAlgorithm<EloParameters> = {
  type: 'elo',
  aliases: ['bradley_terry'],
  parameterSchema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      initial_rating: { type: 'number', minimum: 0 },
      k_factor: { type: 'number', exclusiveMinimum: 0, maximum: 400 },
      category_weighted: { type: 'boolean' },
      decay_factor: { type: 'number', minimum: 0, maximum: 1 },
      min_comparisons: { type: 'integer', minimum: 0 },
      cost_scaling_factor: { type: 'number', minimum: 0 },
      storage_path: { type: 'string' },
      auto_save_interval: { type: 'string' },
    },
  },
  defaults: { initial_rating: 1500, k_factor: 32, category_weighted: true, decay_factor: 0, min_comparisons: 5, cost_scaling_factor: 0 },
  globalKey: ['elo'],
  inertParameters(written): InertParameter[] {
    return ['storage_path', 'auto_save_interval']
      .filter((name) => written[name] !== undefined)
      .map((name) => ({ name, reason: 'ratings persist through model_selection.store: redis, not a JSON file' }));
  },
  create(parameters, { state }) {
    return scoringSelector(false, (request, candidates) => eloScores(state, parameters, request, candidates), (score) => `elo ${short(score)}`);
  },
  learn(parameters, feedback: Feedback): StateUpdate[] {
    const tables = [GLOBAL_ELO_TABLE, categoryEloTable(feedback.category)];
    const { k_factor: k, decay_factor: decay } = parameters;
    if (feedback.pair !== undefined) {
      const { winner, loser, tie } = feedback.pair;
      return tables.map((table) => ({ kind: 'elo', table, winner, loser, score: tie ? 0.5 : 1, k, decay }));
    }
    return tables.flatMap((table) =>
      feedback.rewards.map(({ model, reward }): StateUpdate => ({ kind: 'add', table, deltas: { [model]: 0.1 * k * (2 * reward - 1), [gamesField(model)]: 1 } })),
    );
  },
};
