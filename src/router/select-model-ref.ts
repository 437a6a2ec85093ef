import type { DecisionSpec, ModelRef } from '../decisions/decision.js';

/**
 * The candidate model of a matched decision. For now the first modelRef; the selection
 * algorithms (src/selection) replace this seam. Undefined when the decision lists none.
 */
export function selectModelRef(decision: DecisionSpec): ModelRef | undefined {
  return decision.modelRefs[0];
}
