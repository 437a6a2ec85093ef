import type { DecisionPluginType } from './decision-plugin.js';

/** `system_prompt` configuration (Athena §1.5). */
export interface SystemPromptConfiguration {
  readonly system_prompt: string;
  readonly mode: 'insert' | 'replace';
  readonly enabled?: boolean;
}

type Message = Record<string, unknown>;

function withPrompt(message: Message, prompt: string, mode: 'insert' | 'replace'): Message {
  if (mode === 'replace') return { ...message, content: prompt };
  const content = message.content;
  if (Array.isArray(content)) return { ...message, content: [{ type: 'text', text: prompt }, ...content] };
  const existing = typeof content === 'string' ? content : '';
  return { ...message, content: existing === '' ? prompt : `${prompt}\n\n${existing}` };
}

/**
 * Sets the decision's system prompt: `insert` prepends it to the first system message, `replace`
 * puts it in that message's place; with no system message one is added first either way.
 * Reported as `x-vsr-injected-system-prompt: true`.
 */
export const systemPromptPlugin: DecisionPluginType<SystemPromptConfiguration> = {
  type: 'system_prompt',
  configurationSchema: {
    type: 'object',
    additionalProperties: false,
    required: ['system_prompt'],
    properties: {
      system_prompt: { type: 'string', minLength: 1 },
      mode: { enum: ['insert', 'replace'], default: 'insert' },
      enabled: { type: 'boolean' },
    },
  },
  compile({ system_prompt: prompt, mode, enabled }) {
    return {
      apply() {
        if (enabled === false) return {};
        return {
          responseHeaders: [['x-vsr-injected-system-prompt', 'true']],
          editJson(json) {
            const messages = (json.messages as Message[]).slice();
            const index = messages.findIndex((m) => m.role === 'system' || m.role === 'developer');
            if (index === -1) messages.unshift({ role: 'system', content: prompt });
            else messages[index] = withPrompt(messages[index]!, prompt, mode);
            return { ...json, messages };
          },
        };
      },
    };
  },
};
