import type { DecisionSpec } from '../decisions/decision.js';
import type { CompiledDecisionPlugin } from './decision-plugin.js';
import { findDecisionPluginType } from './registry.js';

const compiled = new WeakMap<DecisionSpec, readonly CompiledDecisionPlugin[]>();

/**
 * A decision's plug-ins, compiled once per decision of a loaded config (the config loader has
 * already validated them, so this does not fail on a loaded config).
 */
export function decisionPlugins(decision: DecisionSpec): readonly CompiledDecisionPlugin[] {
  let plugins = compiled.get(decision);
  if (plugins === undefined) {
    plugins = decision.plugins.map((entry) => {
      const type = findDecisionPluginType(entry.type);
      if (type === undefined) throw new Error(`decision "${decision.name}" uses unknown plug-in type "${entry.type}"`);
      return type.compile(entry.configuration as never);
    });
    compiled.set(decision, plugins);
  }
  return plugins;
}
