/**
 * ext_proc replies as the gateway receives them: proto-loader's decoded shape with
 * `defaults: true, oneofs: true` (unset sub-messages are `null`, `bytes` are Buffers, enums are
 * names, the `response` field names the oneof member that is set). The sidecar's own types in
 * src/extproc/ext-proc-messages.ts describe what it writes; these describe what arrives, which is
 * what Envoy has to cope with (both `value` and `raw_value`, BoolValue `append`, unknown enums).
 */

import type { ProcessingRequestKind } from '../extproc/ext-proc-messages.js';

export interface WireHeaderValue {
  readonly key: string;
  readonly value: string;
  readonly raw_value: Buffer;
}

export interface WireHeaderValueOption {
  readonly header: WireHeaderValue | null;
  readonly append: { readonly value: boolean } | null;
}

export interface WireHeaderMutation {
  readonly set_headers: readonly WireHeaderValueOption[];
  readonly remove_headers: readonly string[];
}

export interface WireBodyMutation {
  readonly mutation?: 'body' | 'clear_body';
  readonly body?: Buffer;
  readonly clear_body?: boolean;
}

export interface WireCommonResponse {
  readonly status: 'CONTINUE' | 'CONTINUE_AND_REPLACE' | number;
  readonly header_mutation: WireHeaderMutation | null;
  readonly body_mutation: WireBodyMutation | null;
  readonly clear_route_cache: boolean;
}

export interface WireImmediateResponse {
  readonly status: { readonly code: string | number } | null;
  readonly headers: WireHeaderMutation | null;
  readonly body: Buffer;
  readonly details: string;
}

/** Enum values unknown to the bundled proto snapshot (e.g. FULL_DUPLEX_STREAMED) arrive as numbers. */
export interface WireProcessingMode {
  readonly request_header_mode: string | number;
  readonly response_header_mode: string | number;
  readonly request_body_mode: string | number;
  readonly response_body_mode: string | number;
}

export interface WireProcessingResponse {
  /** The member set: the kind of the message it answers, or `immediate_response`, which answers any of them. */
  readonly response?: ProcessingRequestKind | 'immediate_response';
  readonly request_headers?: { readonly response: WireCommonResponse | null };
  readonly response_headers?: { readonly response: WireCommonResponse | null };
  readonly request_body?: { readonly response: WireCommonResponse | null };
  readonly response_body?: { readonly response: WireCommonResponse | null };
  readonly request_trailers?: { readonly header_mutation: WireHeaderMutation | null };
  readonly response_trailers?: { readonly header_mutation: WireHeaderMutation | null };
  readonly immediate_response?: WireImmediateResponse;
  readonly mode_override: WireProcessingMode | null;
  readonly override_message_timeout: { readonly seconds: string; readonly nanos: number } | null;
}
