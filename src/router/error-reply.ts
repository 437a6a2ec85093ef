import { ERROR_CODES, openAIErrorBody, RouterError, type ErrorCode } from '../errors.js';
import type { ImmediateReply } from './route-result.js';

function reply(code: ErrorCode, message: string, param: string | null): ImmediateReply {
  return {
    kind: 'immediate',
    status: ERROR_CODES[code].status,
    headers: [['content-type', 'application/json']],
    body: Buffer.from(JSON.stringify(openAIErrorBody(code, message, param))),
    details: code.toLowerCase(),
  };
}

/**
 * The OpenAI-shaped error reply for an error. A RouterError keeps its status, message and
 * `param`; any other error is a bug, so its message stays out of the reply and the client
 * gets a 500 quoting `errorId`, which the caller logs next to the real error.
 */
export function errorReply(err: RouterError | Error, errorId?: string): ImmediateReply {
  if (err instanceof RouterError) return reply(err.code, err.message, err.param);
  const message = errorId === undefined ? 'internal error' : `internal error (id ${errorId})`;
  return reply('SY_ERR_INTERNAL', message, null);
}
