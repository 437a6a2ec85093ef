import { BUNDLED_DIFFICULTY_DIR } from '../classifiers/bundled-models.js';
import type { TextClassifier } from '../classifiers/text-classifier.js';
import type { ClosableSignalExtractor } from './closable-extractor.js';
import { compileClassifierRules } from './rule-classifiers.js';
import { ruleError } from './rule-error.js';
import type { RequestView, SignalBuildContext, SignalPlugin, SignalResult } from './signal.js';
import { SIGNAL_POLICY_PROPERTIES, type SignalPolicyFields } from './signal-policy.js';
import { MODEL_TEXT_BUDGET } from './bounded-text.js';
import { lastUserTextKey } from './signal-memo.js';

/** One `signals.difficulty[]` rule. */
export interface DifficultyRule extends SignalPolicyFields {
  readonly name: string;
  readonly description?: string;
  /** P(hard) at or above which the rule matches: the probability that the prompt needs the strong model. */
  readonly threshold: number;
  /** A classifier folder with a `hard` label (Hugging Face export or bundled layout), relative to the config file; defaults to models/difficulty. */
  readonly model_path?: string;
}

const DIFFICULTY_RULE_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'threshold'],
  properties: {
    name: { type: 'string', minLength: 1 },
    description: { type: 'string' },
    threshold: { type: 'number', minimum: 0, maximum: 1 },
    model_path: { type: 'string', minLength: 1 },
    ...SIGNAL_POLICY_PROPERTIES,
  },
} as const;

/** The classifier label whose probability the signal reports. */
export const HARD_LABEL = 'hard';

interface CompiledDifficultyRule {
  readonly name: string;
  readonly threshold: number;
  readonly classifier: TextClassifier;
}

/**
 * Difficulty signal: a trained classifier's probability that the last user message needs the
 * strong model. Unlike `complexity` (similarity margin to hand-written hard and easy examples)
 * it needs no candidates. A rule matches when P(hard) reaches its threshold; `value` is P(hard),
 * and so is the confidence of a match.
 */
export const difficultySignalPlugin: SignalPlugin<DifficultyRule> = {
  type: 'difficulty',
  configKey: 'difficulty',
  ruleSchema: DIFFICULTY_RULE_SCHEMA,
  emittedNames: (rule) => [rule.name],
  async create(rules, context: SignalBuildContext): Promise<ClosableSignalExtractor> {
    const { compiled, classifiers, release } = await compileClassifierRules(
      'difficulty',
      rules,
      context.configDir,
      BUNDLED_DIFFICULTY_DIR,
      (rule, classifier): CompiledDifficultyRule => {
        if (!classifier.labels.includes(HARD_LABEL)) {
          throw ruleError('difficulty', rule.name, new Error(`the classifier has no "${HARD_LABEL}" label (labels: ${classifier.labels.join(', ')})`));
        }
        return { name: rule.name, threshold: rule.threshold, classifier };
      },
    );
    return {
      type: 'difficulty',
      textBudget: MODEL_TEXT_BUDGET,
      memoKey: lastUserTextKey,
      async extract(request: RequestView): Promise<readonly SignalResult[]> {
        const text = request.lastUserText;
        const hardProbability = new Map<TextClassifier, number>(
          await Promise.all(
            classifiers.map(async (classifier) => {
              const scores = await classifier.classify(text);
              return [classifier, scores.find((score) => score.label === HARD_LABEL)?.score ?? 0] as const;
            }),
          ),
        );
        return compiled.map((rule) => {
          const probability = hardProbability.get(rule.classifier) ?? 0;
          const matched = probability >= rule.threshold;
          return { type: 'difficulty', name: rule.name, matched, confidence: matched ? probability : 0, value: probability, threshold: rule.threshold };
        });
      },
      close: release,
    };
  },
};
