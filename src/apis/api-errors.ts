import type { ClientApi } from './api-format.js';
import { isRecord, stringOf, type JsonObject } from './wire-json.js';

/** Anthropic's error `type` for an HTTP status. */
function anthropicErrorType(status: number): string {
  switch (status) {
    case 400:
    case 405:
    case 422:
      return 'invalid_request_error';
    case 401:
      return 'authentication_error';
    case 403:
      return 'permission_error';
    case 404:
      return 'not_found_error';
    case 413:
      return 'request_too_large';
    case 429:
      return 'rate_limit_error';
    case 503:
    case 529:
      return 'overloaded_error';
    default:
      return status >= 500 ? 'api_error' : 'invalid_request_error';
  }
}

/** OpenAI's error `type` for an HTTP status. */
function openAIErrorType(status: number): string {
  if (status === 401) return 'authentication_error';
  if (status === 403) return 'permission_error';
  if (status === 429) return 'rate_limit_error';
  return status >= 500 ? 'server_error' : 'invalid_request_error';
}

/** What an error body says, read from either format (both keep the message in `error.message`). */
interface ErrorFacts {
  readonly message: string;
  readonly code: unknown;
  readonly param: unknown;
}

function errorFacts(body: Buffer, status: number): ErrorFacts {
  try {
    const json: unknown = JSON.parse(body.toString('utf8'));
    const error = isRecord(json) && isRecord(json.error) ? json.error : undefined;
    const message = stringOf(error?.message) ?? (isRecord(json) ? stringOf(json.message) : undefined);
    // An OpenAI `code`, or Anthropic's error type, which is what an OpenAI client gets as the code.
    if (message !== undefined) return { message, code: error?.code ?? error?.type ?? null, param: error?.param ?? null };
  } catch {
    // Not JSON (an HTML page from a proxy, plain text): the status says it all.
  }
  return { message: `The model server answered with HTTP ${status}.`, code: null, param: null };
}

/** An error for a client of `api`, in its own format. */
export function clientErrorBody(api: ClientApi, status: number, message: string, code: unknown = null, param: unknown = null): JsonObject {
  if (api === 'messages') return { type: 'error', error: { type: anthropicErrorType(status), message } };
  return { error: { message, type: openAIErrorType(status), param, code } };
}

/**
 * An error body from an upstream (OpenAI- or Anthropic-shaped, or not JSON at all) or from
 * Switchyard itself, rewritten for a client of `api`. The status stays; only the shape changes.
 */
export function translateErrorBody(api: ClientApi, status: number, body: Buffer): Buffer {
  const facts = errorFacts(body, status);
  return Buffer.from(JSON.stringify(clientErrorBody(api, status, facts.message, facts.code, facts.param)));
}
