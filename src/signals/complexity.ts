import { maxSimilarity, type Embedder } from '../classifiers/embedder.js';
import type { ClosableSignalExtractor } from './closable-extractor.js';
import { leaseRuleEmbedders, promptVectors, type EmbedderRule } from './rule-embedders.js';
import type { RequestView, SignalBuildContext, SignalPlugin, SignalResult } from './signal.js';
import { SIGNAL_POLICY_PROPERTIES, type SignalPolicyFields } from './signal-policy.js';
import { MODEL_TEXT_BUDGET } from './bounded-text.js';
import { lastUserTextKey } from './signal-memo.js';

/** Example prompts of one side of a complexity rule. */
export interface ComplexityExamples {
  readonly candidates: readonly string[];
  /** Athena's image channel; accepted so its configs load, not scored (no image encoder ships). */
  readonly image_candidates?: readonly string[];
}

/** One `signals.complexity[]` rule (Athena §1.3 field names). */
export interface ComplexityRule extends SignalPolicyFields, EmbedderRule {
  readonly description?: string;
  /** Margin beyond which a prompt is hard (score > t) or easy (score < −t); default 0.1. */
  readonly threshold?: number;
  readonly hard: ComplexityExamples;
  readonly easy: ComplexityExamples;
  /** A rule tree over other signals that must hold for this rule's level to stand (applied by the pipeline). */
  readonly composer?: unknown;
}

const EXAMPLES_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['candidates'],
  properties: {
    candidates: { type: 'array', minItems: 1, items: { type: 'string', minLength: 1, pattern: '\\S' } },
    image_candidates: { type: 'array', items: { type: 'string', minLength: 1 } },
  },
} as const;

const COMPLEXITY_RULE_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'hard', 'easy'],
  properties: {
    name: { type: 'string', minLength: 1 },
    description: { type: 'string' },
    threshold: { type: 'number', minimum: 0, maximum: 2 },
    hard: EXAMPLES_SCHEMA,
    easy: EXAMPLES_SCHEMA,
    composer: { $ref: '#/$defs/rule' },
    model_path: { type: 'string', minLength: 1 },
    ...SIGNAL_POLICY_PROPERTIES,
  },
} as const;

/** Athena's CLI default margin. */
export const DEFAULT_COMPLEXITY_THRESHOLD = 0.1;

/** The three levels a complexity rule emits, as `name:level`. */
export const COMPLEXITY_LEVELS = ['hard', 'easy', 'medium'] as const;

/** A complexity level. */
export type ComplexityLevel = (typeof COMPLEXITY_LEVELS)[number];

/** The level of a similarity margin (hard minus easy) under a threshold. */
export function complexityLevel(margin: number, threshold: number): ComplexityLevel {
  if (margin > threshold) return 'hard';
  if (margin < -threshold) return 'easy';
  return 'medium';
}

interface CompiledComplexityRule {
  readonly name: string;
  readonly threshold: number;
  readonly embedder: Embedder;
  readonly hard: readonly Float32Array[];
  readonly easy: readonly Float32Array[];
}

/**
 * Complexity signal: the last user message's best similarity to the rule's hard examples minus
 * its best similarity to the easy ones. Each rule emits `name:hard`, `name:easy` and
 * `name:medium`, exactly one matching; `value` is the margin and confidence the similarity to
 * the winning side (the closer side for medium).
 */
export const complexitySignalPlugin: SignalPlugin<ComplexityRule> = {
  type: 'complexity',
  configKey: 'complexity',
  ruleSchema: COMPLEXITY_RULE_SCHEMA,
  emittedNames: (rule) => COMPLEXITY_LEVELS.map((level) => `${rule.name}:${level}`),
  unsupportedFields: (rule) =>
    (['hard', 'easy'] as const)
      .filter((side) => (rule[side].image_candidates?.length ?? 0) > 0)
      .map((side) => ({ path: [side, 'image_candidates'], reason: `${side}.image_candidates are not scored: no image encoder is bundled, so this rule scores the text of the prompt only` })),
  async create(rules, context: SignalBuildContext): Promise<ClosableSignalExtractor> {
    const leases = await leaseRuleEmbedders('complexity', rules, context.configDir);
    const compiled = await Promise.all(
      rules.map(async (rule, i): Promise<CompiledComplexityRule> => {
        const embedder = leases[i]!.model;
        return {
          name: rule.name,
          threshold: rule.threshold ?? DEFAULT_COMPLEXITY_THRESHOLD,
          embedder,
          hard: await embedder.embed(rule.hard.candidates),
          easy: await embedder.embed(rule.easy.candidates),
        };
      }),
    );
    return {
      type: 'complexity',
      textBudget: MODEL_TEXT_BUDGET,
      memoKey: lastUserTextKey,
      async extract(request: RequestView): Promise<readonly SignalResult[]> {
        const vectors = await promptVectors(compiled, request.lastUserText);
        const results: SignalResult[] = [];
        for (const rule of compiled) {
          const query = vectors.get(rule.embedder)!;
          const hard = maxSimilarity(query, rule.hard);
          const easy = maxSimilarity(query, rule.easy);
          const margin = hard - easy;
          const level = complexityLevel(margin, rule.threshold);
          const confidence = Math.max(0, level === 'hard' ? hard : level === 'easy' ? easy : Math.max(hard, easy));
          for (const candidate of COMPLEXITY_LEVELS) {
            const matched = candidate === level;
            results.push({ type: 'complexity', name: `${rule.name}:${candidate}`, matched, confidence: matched ? confidence : 0, value: margin });
          }
        }
        return results;
      },
      close(): void {
        for (const lease of leases) lease.release();
      },
    };
  },
};
