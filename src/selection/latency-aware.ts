import type { SelectionAlgorithm } from './selection-algorithm.js';

interface LatencyAwareParameters {
  readonly tpot_percentile?: number;
  readonly ttft_percentile?: number;
}

const PERCENTILE = { type: 'integer', minimum: 1, maximum: 100 } as const;

/**
 * The candidate with the lowest latency over the sliding window of recent responses: each
 * configured percentile (TTFT and/or TPOT) is divided by the best candidate's, and the sums
 * compared, so neither quantity dominates by its unit. Candidates without observations are tried
 * first (in modelRef order), so every candidate gets measured; with no data at all, the first.
 */
export const latencyAwareSelection: SelectionAlgorithm<LatencyAwareParameters> = {
  type: 'latency_aware',
  aliases: ['latency'],
  parameterSchema: {
    type: 'object',
    additionalProperties: false,
    properties: { tpot_percentile: PERCENTILE, ttft_percentile: PERCENTILE },
  },
  defaults: {},
  globalKey: ['latency_aware'],
  create(parameters, { latency }) {
    const kinds = (
      [
        ['ttft', parameters.ttft_percentile],
        ['tpot', parameters.tpot_percentile],
      ] as const
    ).filter((entry): entry is readonly ['ttft' | 'tpot', number] => entry[1] !== undefined);
    if (kinds.length === 0) throw new Error('latency_aware needs tpot_percentile or ttft_percentile (1-100)');
    return {
      needsEmbedding: false,
      select(_request, candidates) {
        const totals = candidates.map(() => 0);
        for (const [kind, p] of kinds) {
          const values = candidates.map((candidate) => latency.percentile(kind, candidate.target.name, p));
          const unmeasured = values.findIndex((value) => value === undefined);
          if (unmeasured !== -1) return { index: unmeasured, reason: `no ${kind} observations yet` };
          const best = Math.max(Math.min(...(values as number[])), 1e-9);
          values.forEach((value, i) => (totals[i]! += value! / best));
        }
        let index = 0;
        for (let i = 1; i < totals.length; i++) if (totals[i]! < totals[index]!) index = i;
        const detail = kinds.map(([kind, p]) => `${kind} p${p} ${latency.percentile(kind, candidates[index]!.target.name, p)!.toFixed(1)}ms`).join(', ');
        return { index, reason: `lowest latency (${detail})` };
      },
    };
  },
};
