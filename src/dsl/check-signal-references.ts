import { didYouMean } from '../config/did-you-mean.js';
import { findSignalPlugin, SIGNAL_PLUGINS } from '../signals/registry.js';
import type { DslProgram, ExprNode } from './ast.js';
import type { LoweringProblem } from './lower.js';

/**
 * Every `type("name")` in a WHEN names a known signal type and a SIGNAL block of that type,
 * with a "did you mean". The config's reference check does this too, but skips decisions when
 * the signals section has schema errors (to avoid noise in YAML, where a broken rule may have
 * no name); in the DSL every rule's name is in its header, so the check always runs.
 * Names are what each rule emits (`complexity("code:hard")`, `authz("admin")` for a role).
 */
export function checkSignalReferences(program: DslProgram, document: Record<string, unknown>): LoweringProblem[] {
  const defined = definedSignalNames(document);
  const problems: LoweringProblem[] = [];
  const knownTypes = SIGNAL_PLUGINS.map((plugin) => plugin.type);
  const visit = (expr: ExprNode, route: string): void => {
    switch (expr.kind) {
      case 'signal': {
        if (findSignalPlugin(expr.type) === undefined) {
          problems.push({ at: expr.at, code: 'SY_CFG_UNKNOWN_SIGNAL', message: `route "${route}" uses unknown signal type "${expr.type}" (known: ${knownTypes.join(', ')})${didYouMean(expr.type, knownTypes)}` });
          return;
        }
        const names = defined.get(expr.type) ?? [];
        if (!names.includes(expr.name)) {
          problems.push({
            at: expr.nameAt,
            code: 'SY_CFG_UNKNOWN_SIGNAL',
            message: `route "${route}" uses ${expr.type} signal "${expr.name}", which no SIGNAL ${expr.type} block defines (defined: ${names.length === 0 ? 'none' : names.join(', ')})${didYouMean(expr.name, names)}`,
          });
        }
        return;
      }
      case 'not':
        visit(expr.operand, route);
        return;
      case 'and':
      case 'or':
        for (const operand of expr.operands) visit(operand, route);
        return;
      case 'constant':
        return;
    }
  };
  for (const block of program.blocks) if (block.kind === 'route' && block.when !== undefined) visit(block.when, block.name);
  return problems;
}

/** The names each signal type's rules emit, by type; a rule too broken to say is skipped (the schema reports it). */
function definedSignalNames(document: Record<string, unknown>): Map<string, string[]> {
  const defined = new Map<string, string[]>();
  const signals = (document.signals ?? {}) as Record<string, unknown>;
  for (const plugin of SIGNAL_PLUGINS) {
    const rules = signals[plugin.configKey];
    if (!Array.isArray(rules)) continue;
    const names: string[] = [];
    for (const rule of rules) {
      try {
        names.push(...plugin.emittedNames(rule as { name: string }));
      } catch {
        if (typeof (rule as { name?: unknown }).name === 'string') names.push((rule as { name: string }).name);
      }
    }
    defined.set(plugin.type, names);
  }
  return defined;
}
