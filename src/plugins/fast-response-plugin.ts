import { randomUUID } from 'node:crypto';
import type { DecisionPluginType } from './decision-plugin.js';

/** `fast_response` configuration. */
export interface FastResponseConfiguration {
  readonly message: string;
}

function completion(id: string, created: number, model: string, message: string): unknown {
  return {
    id,
    object: 'chat.completion',
    created,
    model,
    choices: [{ index: 0, message: { role: 'assistant', content: message }, finish_reason: 'stop', logprobs: null }],
    usage: { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 },
  };
}

function sseChunks(id: string, created: number, model: string, message: string): string {
  const chunk = (delta: Record<string, unknown>, finish: string | null) =>
    `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model, choices: [{ index: 0, delta, finish_reason: finish, logprobs: null }] })}\n\n`;
  return chunk({ role: 'assistant', content: '' }, null) + chunk({ content: message }, null) + chunk({}, 'stop') + 'data: [DONE]\n\n';
}

/**
 * Answers in place of the model with a fixed message: an HTTP 200 chat completion, or SSE chunks
 * ending in `[DONE]` when the request streams, marked `x-vsr-fast-response: true`. For clients
 * that cannot handle a 403.
 */
export const fastResponsePlugin: DecisionPluginType<FastResponseConfiguration> = {
  type: 'fast_response',
  configurationSchema: {
    type: 'object',
    additionalProperties: false,
    required: ['message'],
    properties: { message: { type: 'string', minLength: 1 } },
  },
  compile({ message }) {
    return {
      apply({ decision, request, trace }) {
        const id = `chatcmpl-fast-${randomUUID()}`;
        const created = Math.floor(Date.now() / 1000);
        const body = request.stream ? sseChunks(id, created, request.model, message) : JSON.stringify(completion(id, created, request.model, message));
        return {
          reply: {
            kind: 'immediate',
            status: 200,
            headers: [
              ['content-type', request.stream ? 'text/event-stream' : 'application/json'],
              ['x-vsr-fast-response', 'true'],
              ['x-vsr-selected-decision', decision],
            ],
            body: Buffer.from(body),
            trace,
            details: 'fast_response',
          },
        };
      },
    };
  },
};
