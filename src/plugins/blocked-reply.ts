import { openAIErrorBody } from '../errors.js';
import type { ImmediateReply, RoutingTrace } from '../router/route-result.js';

/** Why and by which decision a plug-in refuses a request. */
export interface BlockedRequest {
  readonly decision: string;
  readonly trace: RoutingTrace;
  /** Short and header-safe, for `x-vsr-blocked-reason`. */
  readonly reason: string;
  /** Completes "request blocked: …" in the error message. */
  readonly explanation: string;
  /** Envoy's `%RESPONSE_CODE_DETAILS%`. */
  readonly details: string;
}

/**
 * The answer to a request a decision plug-in refuses: HTTP 403 with an OpenAI error
 * (`SY_ERR_BLOCKED`), the reason and decision in `x-vsr-*` headers, the trace marked blocked.
 */
export function blockedReply(blocked: BlockedRequest): ImmediateReply {
  return {
    kind: 'immediate',
    status: 403,
    headers: [
      ['content-type', 'application/json'],
      ['x-vsr-blocked-reason', blocked.reason],
      ['x-vsr-selected-decision', blocked.decision],
    ],
    body: Buffer.from(JSON.stringify(openAIErrorBody('SY_ERR_BLOCKED', `request blocked: ${blocked.explanation}`))),
    trace: { ...blocked.trace, blocked: true },
    details: blocked.details,
  };
}
