import type { SignalId, SignalSet } from '../signals/signal.js';

/** A decision's rule tree, as written in YAML after validation. */
export type RuleNode =
  | { readonly kind: 'leaf'; readonly type: string; readonly name: string }
  | { readonly kind: 'and' | 'or'; readonly children: readonly RuleNode[] }
  | { readonly kind: 'not'; readonly child: RuleNode };

/** One candidate model of a decision. */
export interface ModelRef {
  readonly model: string;
  readonly useReasoning: boolean;
  readonly reasoningEffort?: string;
  readonly weight?: number;
}

/** A per-decision plug-in entry, kept as configured; plug-ins interpret `configuration`. */
export interface DecisionPluginRef {
  readonly type: string;
  readonly configuration: Readonly<Record<string, unknown>>;
}

export interface DecisionSpec {
  readonly name: string;
  readonly description?: string;
  readonly priority: number;
  readonly rule: RuleNode;
  readonly modelRefs: readonly ModelRef[];
  readonly plugins: readonly DecisionPluginRef[];
}

/** The winning decision of a request with its confidence. */
export interface DecisionOutcome {
  readonly decision: DecisionSpec;
  readonly confidence: number;
}

/**
 * Pure and synchronous: no I/O, clock, metrics or logging. Decisions are tried by priority,
 * highest first, ties in declaration order; the first whose rule matches wins.
 */
export interface DecisionEngine {
  readonly decisions: readonly DecisionSpec[];
  /** Every SignalId some rule references; only these signals are computed. */
  readonly referencedSignals: ReadonlySet<SignalId>;
  decide(signals: SignalSet): DecisionOutcome | undefined;
}
