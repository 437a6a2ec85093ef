import type { SelectionAlgorithm } from './selection-algorithm.js';

/**
 * Weighted random choice by `modelRefs[].weight` (a ref without one weighs 1): traffic splits for
 * canaries and A/B tests. A zero weight takes no traffic; all zero is refused when the config loads.
 */
export const weightedSelection: SelectionAlgorithm<Record<string, never>> = {
  type: 'weighted',
  aliases: ['weighted_random'],
  parameterSchema: { type: 'object', additionalProperties: false, properties: {} },
  defaults: {},
  globalKey: undefined,
  create(_parameters, { candidates }) {
    const weights = candidates.map((candidate) => candidate.ref.weight ?? 1);
    const total = weights.reduce((sum, weight) => sum + weight, 0);
    if (total <= 0) throw new Error('every modelRef weight is 0, so weighted selection has nothing to choose');
    const cumulative: number[] = [];
    let running = 0;
    for (const weight of weights) cumulative.push((running += weight / total));
    return {
      needsEmbedding: false,
      select(request) {
        const draw = request.random();
        let index = cumulative.findIndex((edge) => draw < edge);
        if (index === -1) index = weights.length - 1;
        return { index, reason: `weighted random, share ${(weights[index]! / total).toFixed(3)}` };
      },
    };
  },
};
