import { cosineSimilarity } from '../classifiers/embedder.js';
import { bestIndex, scoringSelector, short } from './candidate-scores.js';
import type { InertParameter, SelectionAlgorithm } from './selection-algorithm.js';
import type { StateUpdate } from './selection-state.js';

export interface RouterDcParameters {
  readonly temperature: number;
  readonly dimension_size?: number;
  readonly min_similarity: number;
  readonly use_query_contrastive?: boolean;
  readonly use_model_contrastive?: boolean;
  readonly require_descriptions: boolean;
  readonly use_capabilities: boolean;
}

/** Learned affinity of a decision's models (field `<model>`), added to the similarity. */
export function affinityTable(decision: string): string {
  return `dc:${decision}`;
}

/** How far one piece of feedback moves an affinity (similarities live in −1..1). */
const AFFINITY_STEP = 0.05;

/**
 * RouterDC's scoring without its trained encoder: the request embedding (the signals' embedder,
 * the same vector the embedding signal computed) against each model's `description` and
 * `capabilities`, plus an affinity learnt from feedback. The best candidate wins unless even it
 * is under `min_similarity`, when the first modelRef does.
 */
export const routerDcSelection: SelectionAlgorithm<RouterDcParameters> = {
  type: 'router_dc',
  aliases: ['routerdc'],
  parameterSchema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      temperature: { type: 'number', exclusiveMinimum: 0 },
      dimension_size: { type: 'integer', minimum: 1 },
      min_similarity: { type: 'number', minimum: -1, maximum: 1 },
      use_query_contrastive: { type: 'boolean' },
      use_model_contrastive: { type: 'boolean' },
      require_descriptions: { type: 'boolean' },
      use_capabilities: { type: 'boolean' },
    },
  },
  defaults: { temperature: 0.07, min_similarity: 0.3, require_descriptions: false, use_capabilities: true },
  globalKey: ['router_dc'],
  inertParameters(written): InertParameter[] {
    return ['use_query_contrastive', 'use_model_contrastive', 'dimension_size']
      .filter((name) => written[name] !== undefined)
      .map((name) => ({
        name,
        reason: name === 'dimension_size' ? "vectors have the shared embedder's size" : 'a RouterDC training objective; Switchyard scores with the shared embedder and learns affinities from feedback',
      }));
  },
  async create(parameters, { candidates, embed, state, decision }) {
    const texts = candidates.map(({ target }) => {
      if (parameters.require_descriptions && (target.description ?? '').trim() === '') {
        throw new Error(`router_dc.require_descriptions is set but model "${target.name}" has no description`);
      }
      const parts = [target.description ?? '', ...(parameters.use_capabilities ? target.capabilities : [])].filter((part) => part.trim() !== '');
      return parts.length === 0 ? target.name : parts.join('. ');
    });
    const vectors = await embed(texts);
    const table = affinityTable(decision);
    const similarities = (embedding: Float32Array | undefined): number[] =>
      vectors.map((vector) => (embedding === undefined ? 0 : cosineSimilarity(embedding, vector)));
    const scorer = scoringSelector(
      true,
      (request, list) => similarities(request.embedding).map((similarity, i) => similarity + (state.get(table, list[i]!.target.name) ?? 0)),
      () => '',
    );
    return {
      ...scorer,
      select(request, list) {
        const raw = similarities(request.embedding);
        const scores = scorer.scores(request, list);
        const index = bestIndex(scores);
        if (raw[index]! < parameters.min_similarity) return { index: 0, reason: `best similarity ${short(raw[index]!)} under min_similarity` };
        const exps = scores.map((score) => Math.exp((score - scores[index]!) / parameters.temperature));
        const probability = 1 / exps.reduce((a, b) => a + b, 0);
        return { index, reason: `similarity ${short(raw[index]!)} p ${short(probability)}` };
      },
    };
  },
  learn(_parameters, feedback): StateUpdate[] {
    const deltas: Record<string, number> = {};
    for (const { model, reward } of feedback.rewards) deltas[model] = (deltas[model] ?? 0) + AFFINITY_STEP * (2 * reward - 1);
    return [{ kind: 'add', table: affinityTable(feedback.decision), deltas }];
  },
};
