import { blockedReply } from './blocked-reply.js';
import type { DecisionPluginType } from './decision-plugin.js';

/** `block` configuration: why the request is refused. */
export interface BlockConfiguration {
  /** Short reason for `x-vsr-blocked-reason` and the error message; default "blocked by decision <name>". */
  readonly reason?: string;
}

/** Header values cannot carry line breaks or control characters. */
const HEADER_SAFE = '^[\\x20-\\x7e]*$';

/**
 * Refuses the request with HTTP 403 and an OpenAI error (`invalid_request_error`,
 * `content_policy_violation`); the reason goes in `x-vsr-blocked-reason`. Athena answered such
 * blocks with a 200, which clients cannot tell from an answer.
 */
export const blockPlugin: DecisionPluginType<BlockConfiguration> = {
  type: 'block',
  configurationSchema: {
    type: 'object',
    additionalProperties: false,
    properties: { reason: { type: 'string', minLength: 1, maxLength: 200, pattern: HEADER_SAFE } },
  },
  compile(configuration) {
    return {
      apply({ decision, trace }) {
        const reason = configuration.reason ?? `blocked by decision ${decision}`;
        return { reply: blockedReply({ decision, trace, reason, explanation: reason, details: 'blocked_by_decision' }) };
      },
    };
  },
};
