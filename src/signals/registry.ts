import { authzSignalPlugin } from './authz.js';
import { complexitySignalPlugin } from './complexity.js';
import { contextSignalPlugin } from './context.js';
import { difficultySignalPlugin } from './difficulty.js';
import { domainSignalPlugin } from './domain.js';
import { embeddingSignalPlugin } from './embedding.js';
import { jailbreakSignalPlugin } from './jailbreak.js';
import { keywordSignalPlugin } from './keyword.js';
import { languageSignalPlugin } from './language.js';
import { piiSignalPlugin } from './pii.js';
import type { SignalPlugin } from './signal.js';

/** Every signal type Switchyard knows; adding a type is one file plus one line here. */
export const SIGNAL_PLUGINS: readonly SignalPlugin[] = [
  keywordSignalPlugin,
  contextSignalPlugin,
  embeddingSignalPlugin,
  domainSignalPlugin,
  complexitySignalPlugin,
  difficultySignalPlugin,
  jailbreakSignalPlugin,
  piiSignalPlugin,
  languageSignalPlugin,
  authzSignalPlugin,
];

/** The plug-in for a decision-leaf `type` ("keyword"), if any. */
export function findSignalPlugin(type: string): SignalPlugin | undefined {
  return SIGNAL_PLUGINS.find((plugin) => plugin.type === type);
}

/** The plug-in for a key under `signals:` in YAML ("keywords"), if any. */
export function findSignalPluginByConfigKey(configKey: string): SignalPlugin | undefined {
  return SIGNAL_PLUGINS.find((plugin) => plugin.configKey === configKey);
}
