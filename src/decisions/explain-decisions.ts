import type { SignalSet } from '../signals/signal.js';
import { compileRule } from './compile-rule.js';
import type { DecisionEngine, RuleNode } from './decision.js';

/** Why one decision did or did not take a request. */
export interface DecisionExplanation {
  readonly name: string;
  readonly priority: number;
  /** Its rule holds for the request's signals. */
  readonly matched: boolean;
  /** It is the decision that routed the request (the first match by priority). */
  readonly chosen: boolean;
  /** The rule tree with each condition marked: `OR(keyword:reasoning_keywords ✗, domain:math ✓ 0.82)`. */
  readonly rule: string;
  readonly why: string;
}

function describeNode(node: RuleNode, signals: SignalSet): string {
  const holds = compileRule(node)(signals) !== undefined ? '✓' : '✗';
  switch (node.kind) {
    case 'leaf': {
      const result = signals.get(`${node.type}:${node.name}`);
      const detail = result?.error !== undefined ? ` (failed: ${result.error})` : result?.matched === true ? ` ${result.confidence.toFixed(2)}` : '';
      return `${node.type}:${node.name} ${holds}${detail}`;
    }
    case 'and':
      return node.children.length === 0 ? 'AND() ✓ (no conditions: always matches)' : `AND(${node.children.map((child) => describeNode(child, signals)).join(', ')})`;
    case 'or':
      return `OR(${node.children.map((child) => describeNode(child, signals)).join(', ')})`;
    case 'not':
      return `NOT(${describeNode(node.child, signals)}) ${holds}`;
  }
}

/**
 * Every decision in the order the engine tries them (priority, highest first, ties in
 * declaration order), each with its rule evaluated against the signals and a sentence on why
 * it did or did not take the request. For `switchyard route --explain`; not on the request path.
 */
export function explainDecisions(engine: DecisionEngine, signals: SignalSet): DecisionExplanation[] {
  const ordered = [...engine.decisions].sort((a, b) => b.priority - a.priority);
  const chosen = engine.decide(signals)?.decision.name;
  return ordered.map((decision) => {
    const confidence = compileRule(decision.rule)(signals);
    const matched = confidence !== undefined;
    const isChosen = decision.name === chosen;
    const why = isChosen
      ? `chosen: its rule holds (confidence ${confidence!.toFixed(2)}) and no decision of higher priority matched`
      : matched
        ? `matched, but "${chosen}" comes first (higher priority, or declared earlier at the same priority)`
        : 'not matched: its rule does not hold (conditions marked ✗)';
    return { name: decision.name, priority: decision.priority, matched, chosen: isChosen, rule: describeNode(decision.rule, signals), why };
  });
}
