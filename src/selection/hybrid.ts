import { minMaxNormalised, short } from './candidate-scores.js';
import type { SelectionAlgorithm } from './selection-algorithm.js';

export interface HybridParameters {
  readonly elo_weight: number;
  readonly router_dc_weight: number;
  readonly automix_weight: number;
  readonly cost_weight: number;
  readonly quality_gap_threshold: number;
  readonly normalize_scores: boolean;
}

const WEIGHT = { type: 'number', minimum: 0, maximum: 1 } as const;

/**
 * A weighted blend of the Elo, RouterDC and AutoMix scores and cheapness (1 − relative price),
 * each min-max normalised over the candidates when `normalize_scores` is on. When the best two
 * blends are within `quality_gap_threshold`, the cheaper of the two wins.
 */
export const hybridSelection: SelectionAlgorithm<HybridParameters> = {
  type: 'hybrid',
  aliases: [],
  parameterSchema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      elo_weight: WEIGHT,
      router_dc_weight: WEIGHT,
      automix_weight: WEIGHT,
      cost_weight: WEIGHT,
      quality_gap_threshold: { type: 'number', minimum: 0 },
      normalize_scores: { type: 'boolean' },
    },
  },
  defaults: { elo_weight: 0.3, router_dc_weight: 0.3, automix_weight: 0.2, cost_weight: 0.2, quality_gap_threshold: 0.1, normalize_scores: true },
  globalKey: ['hybrid'],
  async create(parameters, { component }) {
    const sum = parameters.elo_weight + parameters.router_dc_weight + parameters.automix_weight + parameters.cost_weight;
    if (Math.abs(sum - 1) > 0.01) throw new Error(`hybrid weights must sum to 1 (elo + router_dc + automix + cost = ${short(sum)})`);
    const parts = [
      { weight: parameters.elo_weight, selector: await component('elo', {}) },
      { weight: parameters.router_dc_weight, selector: parameters.router_dc_weight > 0 ? await component('router_dc', {}) : undefined },
      { weight: parameters.automix_weight, selector: await component('automix', {}) },
    ].filter((part) => part.weight > 0);
    const scale = (scores: readonly number[]): readonly number[] => (parameters.normalize_scores ? minMaxNormalised(scores) : scores);
    return {
      needsEmbedding: parts.some((part) => part.selector?.needsEmbedding === true),
      select(request, candidates) {
        const blend = candidates.map((candidate) => parameters.cost_weight * (1 - candidate.relativeCost));
        for (const { weight, selector } of parts) scale(selector!.scores(request, candidates)).forEach((score, i) => (blend[i]! += weight * score));
        const order = blend.map((score, i) => [score, i] as const).sort((a, b) => b[0] - a[0] || a[1] - b[1]);
        const [first, second] = order;
        if (second !== undefined && first![0] - second[0] < parameters.quality_gap_threshold) {
          const cheaper = candidates[second[1]]!.relativeCost < candidates[first![1]]!.relativeCost ? second : first!;
          return { index: cheaper[1], reason: `blend ${short(cheaper[0])}, within quality gap: cheaper` };
        }
        return { index: first![1], reason: `blend ${short(first![0])}` };
      },
    };
  },
};
