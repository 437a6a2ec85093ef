import type { SourcePosition } from './lexer.js';

/**
 * The DSL's syntax tree. Every node keeps the position of the token that names it, so a
 * problem found after lowering (by the config schema or the reference checks) points at
 * the exact token the user wrote.
 */

/** A value: what YAML would hold at that place. */
export type ValueNode =
  | { readonly kind: 'scalar'; readonly value: string | number | boolean | null; readonly at: SourcePosition }
  | { readonly kind: 'list'; readonly items: readonly ValueNode[]; readonly at: SourcePosition }
  | { readonly kind: 'object'; readonly fields: readonly FieldNode[]; readonly at: SourcePosition };

/** `key: value` inside a block or an object. */
export interface FieldNode {
  readonly key: string;
  readonly keyAt: SourcePosition;
  readonly value: ValueNode;
}

/** A `WHEN` expression. `TRUE` is the always-matching empty AND, `FALSE` the never-matching empty OR. */
export type ExprNode =
  | { readonly kind: 'signal'; readonly type: string; readonly name: string; readonly at: SourcePosition; readonly nameAt: SourcePosition }
  | { readonly kind: 'and' | 'or'; readonly operands: readonly ExprNode[]; readonly at: SourcePosition }
  | { readonly kind: 'not'; readonly operand: ExprNode; readonly at: SourcePosition }
  | { readonly kind: 'constant'; readonly value: boolean; readonly at: SourcePosition };

/** `"model" (reasoning = true, effort = "high", weight = 2)` in a `MODEL` line. */
export interface ModelRefNode {
  readonly model: string;
  readonly at: SourcePosition;
  readonly options: readonly FieldNode[];
}

/** `PLUGIN type { … }` inline, `PLUGIN type` with no configuration, or `PLUGIN template`. */
export interface PluginUseNode {
  readonly name: string;
  readonly at: SourcePosition;
  readonly configuration?: ValueNode & { readonly kind: 'object' };
}

/**
 * `ALGORITHM type (on_error = "skip") { … }`: the block holds the algorithm's own parameters
 * (`algorithm.<type>`); options in parentheses are algorithm-level keys such as `on_error`.
 * Athena writes `on_error` inside the block, which is accepted too.
 */
export interface AlgorithmNode {
  readonly type: string;
  readonly at: SourcePosition;
  readonly options: readonly FieldNode[];
  readonly fields?: ValueNode & { readonly kind: 'object' };
}

/** Comment lines written just above a block; `fmt` keeps them there. */
export interface Commented {
  readonly comments: readonly string[];
}

export interface SignalBlock extends Commented {
  readonly kind: 'signal';
  readonly type: string;
  readonly typeAt: SourcePosition;
  readonly name: string;
  readonly nameAt: SourcePosition;
  readonly body: ValueNode & { readonly kind: 'object' };
}

export interface RouteBlock extends Commented {
  readonly kind: 'route';
  readonly name: string;
  readonly nameAt: SourcePosition;
  /** `(description = "…")` and other header options, in order. */
  readonly options: readonly FieldNode[];
  readonly priority?: { readonly value: number; readonly at: SourcePosition };
  readonly when?: ExprNode;
  readonly models: readonly ModelRefNode[];
  readonly algorithm?: AlgorithmNode;
  readonly plugins: readonly PluginUseNode[];
  /** Any other decision field, written `key: value`. */
  readonly fields: readonly FieldNode[];
}

/** `PLUGIN name type { … }` at the top level: a template that routes use by name. */
export interface PluginTemplateBlock extends Commented {
  readonly kind: 'plugin';
  readonly name: string;
  readonly nameAt: SourcePosition;
  readonly type: string;
  readonly typeAt: SourcePosition;
  readonly configuration?: ValueNode & { readonly kind: 'object' };
}

/** `BACKEND model "name" { … }` (a `providers.models[]` entry) or `BACKEND semantic_cache name { … }`. */
export interface BackendBlock extends Commented {
  readonly kind: 'backend';
  readonly type: string;
  readonly typeAt: SourcePosition;
  readonly name: string;
  readonly nameAt: SourcePosition;
  readonly body: ValueNode & { readonly kind: 'object' };
}

/** `GLOBAL { … }`: top-level config keys. */
export interface GlobalBlock extends Commented {
  readonly kind: 'global';
  readonly at: SourcePosition;
  readonly body: ValueNode & { readonly kind: 'object' };
}

export type Block = SignalBlock | RouteBlock | PluginTemplateBlock | BackendBlock | GlobalBlock;

/** A whole DSL file. `trailingComments` are comments after the last block. */
export interface DslProgram {
  readonly blocks: readonly Block[];
  readonly trailingComments: readonly string[];
}
