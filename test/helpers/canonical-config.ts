import { canonicalRuleTree } from '../../src/dsl/raise.js';

/**
 * A config document in the one spelling the DSL round trip preserves: rule trees in canonical
 * form (`{}` is the empty AND, a one-child AND/OR is its child), and empty signal lists,
 * empty `signals`, empty `decisions` and empty `plugins` lists dropped. Each pair is the same
 * config to the compiler (README, "Routing DSL").
 */
export function canonicalDocument(document: Record<string, unknown>): Record<string, unknown> {
  const copy = structuredClone(document);
  const signals = copy.signals as Record<string, unknown[]> | undefined;
  if (signals !== undefined) {
    for (const [key, rules] of Object.entries(signals)) if (Array.isArray(rules) && rules.length === 0) delete signals[key];
    if (Object.keys(signals).length === 0) delete copy.signals;
  }
  const decisions = copy.decisions as Record<string, unknown>[] | undefined;
  if (Array.isArray(decisions)) {
    if (decisions.length === 0) delete copy.decisions;
    decisions.forEach((decision, index) => {
      decision.rules = canonicalRuleTree(decision.rules ?? {}, `decisions[${index}].rules`);
      if (Array.isArray(decision.plugins) && decision.plugins.length === 0) delete decision.plugins;
    });
  }
  return copy;
}
