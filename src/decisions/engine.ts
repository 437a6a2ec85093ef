import type { SignalId, SignalSet } from '../signals/signal.js';
import { collectSignalIds, compileRule, type CompiledRule } from './compile-rule.js';
import type { DecisionEngine, DecisionOutcome, DecisionSpec } from './decision.js';

interface CompiledDecision {
  readonly spec: DecisionSpec;
  readonly rule: CompiledRule;
}

/**
 * Compiles decisions into an engine. Rule trees are compiled once here; `decide` tries
 * decisions by priority (highest first, ties in declaration order) and returns the first
 * match. Throws on a malformed rule tree, naming the decision.
 */
export function createDecisionEngine(decisions: readonly DecisionSpec[]): DecisionEngine {
  const referencedSignals = new Set<SignalId>();
  const compiled: CompiledDecision[] = decisions.map((spec, index) => {
    let rule: CompiledRule;
    try {
      rule = compileRule(spec.rule);
    } catch (error) {
      throw new Error(`decisions[${index}] (${spec.name}): ${(error as Error).message}`, { cause: error });
    }
    collectSignalIds(spec.rule, referencedSignals);
    return { spec, rule };
  });
  // Array.prototype.sort is stable, so equal priorities keep declaration order.
  const ordered = [...compiled].sort((a, b) => b.spec.priority - a.spec.priority);

  return {
    decisions,
    referencedSignals,
    decide(signals: SignalSet): DecisionOutcome | undefined {
      for (const { spec, rule } of ordered) {
        const confidence = rule(signals);
        if (confidence !== undefined) return { decision: spec, confidence };
      }
      return undefined;
    },
  };
}
