/**
 * The one table of run-time error codes. Each code fixes the HTTP status and the
 * OpenAI error `type` a client sees, so every layer raises a code and only the
 * transport edges (extproc, gateway) turn it into a response.
 */
export const ERROR_CODES = {
  SY_ERR_REQUEST_INVALID_JSON: { status: 400, type: 'invalid_request_error', openaiCode: 'invalid_json' },
  SY_ERR_REQUEST_INVALID_FIELD: { status: 400, type: 'invalid_request_error', openaiCode: 'invalid_value' },
  SY_ERR_REQUEST_MISSING_FIELD: { status: 400, type: 'invalid_request_error', openaiCode: 'missing_required_parameter' },
  SY_ERR_REQUEST_TOO_LARGE: { status: 413, type: 'invalid_request_error', openaiCode: 'request_too_large' },
  SY_ERR_REQUEST_HEADERS_TOO_LARGE: { status: 431, type: 'invalid_request_error', openaiCode: 'request_headers_too_large' },
  SY_ERR_MODEL_NOT_FOUND: { status: 404, type: 'invalid_request_error', openaiCode: 'model_not_found' },
  SY_ERR_RESPONSE_NOT_FOUND: { status: 404, type: 'invalid_request_error', openaiCode: 'response_not_found' },
  SY_ERR_UNKNOWN_PATH: { status: 404, type: 'invalid_request_error', openaiCode: 'unknown_url' },
  SY_ERR_METHOD_NOT_ALLOWED: { status: 405, type: 'invalid_request_error', openaiCode: 'method_not_allowed' },
  SY_ERR_BLOCKED: { status: 403, type: 'invalid_request_error', openaiCode: 'content_policy_violation' },
  SY_ERR_FORBIDDEN: { status: 403, type: 'permission_error', openaiCode: 'forbidden' },
  SY_ERR_SIGNAL_FAILED: { status: 500, type: 'server_error', openaiCode: 'signal_failed' },
  SY_ERR_INTERNAL: { status: 500, type: 'server_error', openaiCode: 'internal_error' },
  SY_ERR_UPSTREAM_UNAVAILABLE: { status: 503, type: 'server_error', openaiCode: 'upstream_unavailable' },
  SY_ERR_UPSTREAM_OVERLOADED: { status: 503, type: 'server_error', openaiCode: 'upstream_overloaded' },
  SY_ERR_UPSTREAM_FAILED: { status: 502, type: 'server_error', openaiCode: 'upstream_failed' },
  SY_ERR_UPSTREAM_TIMEOUT: { status: 504, type: 'server_error', openaiCode: 'upstream_timeout' },
  SY_ERR_EXTPROC_FAILED: { status: 500, type: 'server_error', openaiCode: 'ext_proc_failed' },
  SY_ERR_EXTPROC_TIMEOUT: { status: 504, type: 'server_error', openaiCode: 'ext_proc_timeout' },
  SY_ERR_NO_ROUTE: { status: 503, type: 'server_error', openaiCode: 'no_route' },
  SY_ERR_GATEWAY_OVERLOADED: { status: 503, type: 'server_error', openaiCode: 'gateway_overloaded' },
  SY_ERR_REQUEST_TIMEOUT: { status: 408, type: 'invalid_request_error', openaiCode: 'request_timeout' },
  SY_ERR_SELECTION_FAILED: { status: 503, type: 'server_error', openaiCode: 'selection_failed' },
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

/** An error with a code from the table; `param` names the offending request field. */
export class RouterError extends Error {
  readonly code: ErrorCode;
  readonly param: string | null;

  constructor(code: ErrorCode, message: string, options: { param?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'RouterError';
    this.code = code;
    this.param = options.param ?? null;
  }

  get status(): number {
    return ERROR_CODES[this.code].status;
  }
}

/** The OpenAI error body shape: `{"error":{"message","type","param","code"}}`. */
export interface OpenAIErrorBody {
  readonly error: { readonly message: string; readonly type: string; readonly param: string | null; readonly code: string | null };
}

/** Builds the OpenAI error body for a code. */
export function openAIErrorBody(code: ErrorCode, message: string, param: string | null = null): OpenAIErrorBody {
  const entry = ERROR_CODES[code];
  return { error: { message, type: entry.type, param, code: entry.openaiCode } };
}
