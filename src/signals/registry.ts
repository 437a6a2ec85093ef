import { contextSignalPlugin } from './context.js';
import { keywordSignalPlugin } from './keyword.js';
import type { SignalPlugin } from './signal.js';

/** Every signal type Switchyard knows; adding a type is one file plus one line here. */
export const SIGNAL_PLUGINS: readonly SignalPlugin[] = [
  keywordSignalPlugin,
  contextSignalPlugin,
];

/** The plug-in for a decision-leaf `type` ("keyword"), if any. */
export function findSignalPlugin(type: string): SignalPlugin | undefined {
  return SIGNAL_PLUGINS.find((plugin) => plugin.type === type);
}

/** The plug-in for a key under `signals:` in YAML ("keywords"), if any. */
export function findSignalPluginByConfigKey(configKey: string): SignalPlugin | undefined {
  return SIGNAL_PLUGINS.find((plugin) => plugin.configKey === configKey);
}
