import { cosineSimilarity, type Embedder } from '../classifiers/embedder.js';
import type { ClosableSignalExtractor } from './closable-extractor.js';
import { leaseRuleEmbedders, promptVectors, type EmbedderRule } from './rule-embedders.js';
import type { RequestView, SignalBuildContext, SignalPlugin, SignalResult } from './signal.js';
import { SIGNAL_POLICY_PROPERTIES, type SignalPolicyFields } from './signal-policy.js';
import { MODEL_TEXT_BUDGET } from './bounded-text.js';
import { lastUserTextKey } from './signal-memo.js';

/** How a rule folds the similarities to its candidates into one score. */
export type AggregationMethod = 'mean' | 'max' | 'any';

/** One `signals.embeddings[]` rule (Athena §1.3 field names). */
export interface EmbeddingRule extends SignalPolicyFields, EmbedderRule {
  readonly description?: string;
  readonly candidates: readonly string[];
  /** Cosine similarity at or above which the rule matches. */
  readonly threshold: number;
  /** Default `max`, as in Athena's CLI. */
  readonly aggregation_method?: AggregationMethod;
}

const EMBEDDING_RULE_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'candidates', 'threshold'],
  properties: {
    name: { type: 'string', minLength: 1 },
    description: { type: 'string' },
    candidates: { type: 'array', minItems: 1, items: { type: 'string', minLength: 1, pattern: '\\S' } },
    threshold: { type: 'number', minimum: -1, maximum: 1 },
    aggregation_method: { enum: ['mean', 'max', 'any'] },
    model_path: { type: 'string', minLength: 1 },
    ...SIGNAL_POLICY_PROPERTIES,
  },
} as const;

/**
 * Folds a prompt's similarities to the candidates: `mean` averages them, `max` and `any` take
 * the best (with one threshold, "any candidate reaches it" and "the best reaches it" agree;
 * `any` is kept so Athena configs load unchanged).
 */
export function aggregateSimilarity(similarities: readonly number[], method: AggregationMethod): number {
  if (similarities.length === 0) return 0;
  if (method === 'mean') return similarities.reduce((sum, s) => sum + s, 0) / similarities.length;
  return Math.max(...similarities);
}

interface CompiledEmbeddingRule {
  readonly name: string;
  readonly threshold: number;
  readonly method: AggregationMethod;
  readonly embedder: Embedder;
  readonly candidates: readonly Float32Array[];
}

/**
 * Embedding-similarity signal: the last user message against each rule's candidate prompts,
 * whose vectors are computed once when the config loads. Confidence and `value` carry the
 * aggregated similarity.
 */
export const embeddingSignalPlugin: SignalPlugin<EmbeddingRule> = {
  type: 'embedding',
  configKey: 'embeddings',
  ruleSchema: EMBEDDING_RULE_SCHEMA,
  emittedNames: (rule) => [rule.name],
  async create(rules, context: SignalBuildContext): Promise<ClosableSignalExtractor> {
    const leases = await leaseRuleEmbedders('embedding', rules, context.configDir);
    const compiled = await Promise.all(
      rules.map(async (rule, i): Promise<CompiledEmbeddingRule> => {
        const embedder = leases[i]!.model;
        return {
          name: rule.name,
          threshold: rule.threshold,
          method: rule.aggregation_method ?? 'max',
          embedder,
          candidates: await embedder.embed(rule.candidates),
        };
      }),
    );
    return {
      type: 'embedding',
      textBudget: MODEL_TEXT_BUDGET,
      memoKey: lastUserTextKey,
      async extract(request: RequestView): Promise<readonly SignalResult[]> {
        const vectors = await promptVectors(compiled, request.lastUserText);
        return compiled.map((rule) => {
          const query = vectors.get(rule.embedder)!;
          const similarity = aggregateSimilarity(rule.candidates.map((c) => cosineSimilarity(query, c)), rule.method);
          const matched = similarity >= rule.threshold;
          return { type: 'embedding', name: rule.name, matched, confidence: Math.max(0, similarity), value: similarity, threshold: rule.threshold };
        });
      },
      close(): void {
        for (const lease of leases) lease.release();
      },
    };
  },
};
