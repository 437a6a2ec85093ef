import { BUNDLED_DOMAIN_HEAD_DIR } from '../classifiers/bundled-models.js';
import type { LabelScore, TextClassifier } from '../classifiers/text-classifier.js';
import type { ClosableSignalExtractor } from './closable-extractor.js';
import { compileClassifierRules } from './rule-classifiers.js';
import type { RequestView, SignalBuildContext, SignalPlugin, SignalResult } from './signal.js';
import { SIGNAL_POLICY_PROPERTIES, type SignalPolicyFields } from './signal-policy.js';
import { MODEL_TEXT_BUDGET } from './bounded-text.js';
import { lastUserTextKey } from './signal-memo.js';

/** One `signals.domains[]` rule (Athena §1.3 field names). */
export interface DomainRule extends SignalPolicyFields {
  readonly name: string;
  readonly description?: string;
  /** Classifier labels that count as this domain, besides the rule's own name. */
  readonly mmlu_categories?: readonly string[];
  /** Top-1 probability at or above which the rule matches. */
  readonly threshold?: number;
  /** A classifier folder (Hugging Face export or bundled layout), relative to the config file; defaults to models/domain-head (encoder head blended with models/domain). */
  readonly model_path?: string;
}

const DOMAIN_RULE_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['name'],
  properties: {
    name: { type: 'string', minLength: 1 },
    description: { type: 'string' },
    mmlu_categories: { type: 'array', items: { type: 'string', minLength: 1 } },
    threshold: { type: 'number', minimum: 0, maximum: 1 },
    model_path: { type: 'string', minLength: 1 },
    ...SIGNAL_POLICY_PROPERTIES,
  },
} as const;

/** How many of the classifier's best labels a result carries, so an explanation can show near misses. */
const EXPLAINED_LABELS = 3;

/** Athena's category-model threshold: a guess below it is too unsure to route on. */
export const DEFAULT_DOMAIN_THRESHOLD = 0.5;

interface CompiledDomainRule {
  readonly name: string;
  readonly labels: ReadonlySet<string>;
  readonly threshold: number;
  readonly classifier: TextClassifier;
}

function compileRule(rule: DomainRule, classifier: TextClassifier): CompiledDomainRule {
  const labels = new Set([rule.name, ...(rule.mmlu_categories ?? [])]);
  // A rule no label of its classifier can satisfy never matches: almost surely a typo.
  if (![...labels].some((label) => classifier.labels.includes(label))) {
    throw new Error(
      `domain rule "${rule.name}": neither its name nor its mmlu_categories is a label of the classifier (labels: ${classifier.labels.join(', ')})`,
    );
  }
  return { name: rule.name, labels, threshold: rule.threshold ?? DEFAULT_DOMAIN_THRESHOLD, classifier };
}

/**
 * Domain signal: the classifier's top-1 label for the last user message. A rule matches when
 * that label is its name or one of its `mmlu_categories` and the label's probability reaches
 * its threshold; confidence and `value` carry that probability.
 */
export const domainSignalPlugin: SignalPlugin<DomainRule> = {
  type: 'domain',
  configKey: 'domains',
  ruleSchema: DOMAIN_RULE_SCHEMA,
  emittedNames: (rule) => [rule.name],
  async create(rules, context: SignalBuildContext): Promise<ClosableSignalExtractor> {
    const { compiled, classifiers, release } = await compileClassifierRules('domain', rules, context.configDir, BUNDLED_DOMAIN_HEAD_DIR, compileRule);
    return {
      type: 'domain',
      textBudget: MODEL_TEXT_BUDGET,
      memoKey: lastUserTextKey,
      async extract(request: RequestView): Promise<readonly SignalResult[]> {
        const text = request.lastUserText;
        const ranked = new Map<TextClassifier, readonly LabelScore[]>(
          await Promise.all(classifiers.map(async (classifier) => [classifier, (await classifier.classify(text)).slice(0, EXPLAINED_LABELS)] as const)),
        );
        return compiled.map((rule) => {
          const topLabels = ranked.get(rule.classifier) ?? [];
          const top = topLabels[0];
          const matched = top !== undefined && rule.labels.has(top.label) && top.score >= rule.threshold;
          const score = top !== undefined && rule.labels.has(top.label) ? top.score : 0;
          return { type: 'domain', name: rule.name, matched, confidence: score, value: score, threshold: rule.threshold, topLabels };
        });
      },
      close: release,
    };
  },
};
