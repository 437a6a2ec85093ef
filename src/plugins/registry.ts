import { blockPlugin } from './block-plugin.js';
import type { DecisionPluginType } from './decision-plugin.js';
import { fastResponsePlugin } from './fast-response-plugin.js';
import { headerMutationPlugin } from './header-mutation-plugin.js';
import { piiPolicyPlugin } from './pii-policy-plugin.js';
import { semanticCachePlugin } from './semantic-cache-plugin.js';
import { systemPromptPlugin } from './system-prompt-plugin.js';

/** Every decision plug-in type; adding one is one file plus one line here. */
export const DECISION_PLUGIN_TYPES: readonly DecisionPluginType<never>[] = [
  blockPlugin,
  fastResponsePlugin,
  piiPolicyPlugin,
  systemPromptPlugin,
  headerMutationPlugin,
  semanticCachePlugin,
];

/** The plug-in type named `type` in a decision's `plugins[]`, if any. */
export function findDecisionPluginType(type: string): DecisionPluginType<never> | undefined {
  return DECISION_PLUGIN_TYPES.find((plugin) => plugin.type === type);
}
