import { openAIErrorBody, type ErrorCode, ERROR_CODES } from '../errors.js';
import type { ExtProcCounters } from './ext-proc-counters.js';
import type { WireImmediateResponse } from './ext-proc-wire.js';
import type { GatewayLogger } from './gateway-logger.js';
import { HeaderList } from './header-list.js';
import { applyHeaderMutation } from './header-mutation-rules.js';
import { httpStatusFromCode } from './http-status-code.js';

/** A response the gateway makes itself (Envoy's `sendLocalReply`). `details` goes to the log only. */
export interface LocalReply {
  readonly status: number;
  readonly headers: HeaderList;
  readonly body: Buffer;
  readonly details: string;
}

/** A local reply carrying the OpenAI error body for a code of the error table. */
export function errorReply(code: ErrorCode, message: string, details: string): LocalReply {
  return {
    status: ERROR_CODES[code].status,
    headers: new HeaderList([{ name: 'content-type', value: 'application/json' }]),
    body: Buffer.from(JSON.stringify(openAIErrorBody(code, message))),
    details,
  };
}

/**
 * The local reply an ImmediateResponse asks for (§2.11): status < 200 or missing → 200; its
 * header mutation applied under the filter's rules, a failed one only logged; body verbatim;
 * `content-type: text/plain` when the body is non-empty and no content-type was set.
 */
export function immediateReply(reply: WireImmediateResponse, counters: ExtProcCounters, logger: GatewayLogger): LocalReply {
  const requested = httpStatusFromCode(reply.status?.code);
  const status = requested === undefined || requested < 200 ? 200 : requested;
  const headers = new HeaderList();
  if (reply.headers !== null) {
    try {
      applyHeaderMutation({ headers, contentLengthRemoved: false, counters }, reply.headers);
    } catch (error) {
      logger.warn({ error: (error as Error).message }, 'immediate response header mutation failed');
    }
  }
  headers.remove('content-length');
  if (reply.body.length > 0 && !headers.has('content-type')) headers.add('content-type', 'text/plain');
  return { status, headers, body: reply.body, details: reply.details.replace(/\s/g, '_') };
}
