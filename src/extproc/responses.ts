import type { ImmediateReply } from '../router/route-result.js';
import type {
  CommonResponse,
  HeaderMutation,
  HeaderValueOption,
  ProcessingMode,
  ProcessingResponse,
} from './ext-proc-messages.js';

/** The reply kinds that carry a `CommonResponse` (headers and body phases of both directions). */
export type CommonReplyKind = 'request_headers' | 'request_body' | 'response_headers' | 'response_body';

/**
 * Builds a header set the way Envoy applies it: the value only in `raw_value` (Envoy ignores
 * `value` and rejects a reply that fills both), `append: false` to replace existing values
 * (the only append control ext_proc honours), and `append_action` for Envoys that read it.
 */
function headerValueOption(name: string, value: string): HeaderValueOption {
  return {
    header: { key: name, raw_value: Buffer.from(value, 'utf8') },
    append: { value: false },
    append_action: 'OVERWRITE_IF_EXISTS_OR_ADD',
  };
}

/** A header mutation from (name, value) pairs and names to remove; Envoy removes first, then sets. */
export function headerMutation(
  set: readonly (readonly [string, string])[],
  remove: readonly string[] = [],
): HeaderMutation {
  return { set_headers: set.map(([name, value]) => headerValueOption(name, value)), remove_headers: remove };
}

/** A reply of the given kind; with no `response` it means "continue, no change". */
export function commonReply(kind: CommonReplyKind, response?: CommonResponse, modeOverride?: ProcessingMode): ProcessingResponse {
  const reply: ProcessingResponse = { [kind]: response === undefined ? {} : { response } };
  return modeOverride === undefined ? reply : { ...reply, mode_override: modeOverride };
}

/** Turns a reply of the routing core into an `ImmediateResponse` (Envoy sends it as a local reply). */
export function immediateResponse(reply: ImmediateReply): ProcessingResponse {
  return {
    immediate_response: {
      status: { code: reply.status },
      headers: headerMutation(reply.headers),
      body: reply.body,
      details: reply.details,
    },
  };
}
