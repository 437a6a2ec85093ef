import type { TextClassifier } from '../classifiers/text-classifier.js';
import { leaseClassifier, modelFolder } from './model-cache.js';
import { ruleError } from './rule-error.js';

/** Rules compiled against their leased classifiers, and how to give the leases back. */
export interface ClassifierRules<Compiled> {
  readonly compiled: Compiled[];
  /** Every classifier the rules use, once, so a request classifies with each only once. */
  readonly classifiers: TextClassifier[];
  release(): void;
}

/**
 * Leases the classifier of every rule of a signal type (its `model_path`, else `bundledDir`) and
 * compiles each rule against it. A lease failure or a rule `compile` rejects names the rule, and
 * every lease already taken is released, so a rejected config holds no model.
 */
export async function compileClassifierRules<Rule extends { readonly name: string; readonly model_path?: string }, Compiled extends { readonly classifier: TextClassifier }>(
  type: string,
  rules: readonly Rule[],
  configDir: string,
  bundledDir: string,
  compile: (rule: Rule, classifier: TextClassifier) => Compiled,
): Promise<ClassifierRules<Compiled>> {
  const settled = await Promise.allSettled(rules.map((rule) => leaseClassifier(modelFolder(rule.model_path, configDir, bundledDir))));
  const leases = settled.flatMap((outcome) => (outcome.status === 'fulfilled' ? [outcome.value] : []));
  const release = (): void => leases.forEach((lease) => lease.release());
  try {
    const compiled = rules.map((rule, i) => {
      const outcome = settled[i]!;
      if (outcome.status === 'rejected') throw ruleError(type, rule.name, outcome.reason);
      return compile(rule, outcome.value.model);
    });
    return { compiled, classifiers: [...new Set(compiled.map((rule) => rule.classifier))], release };
  } catch (error) {
    release();
    throw error;
  }
}
