/**
 * The part of `envoy.service.ext_proc.v3` the sidecar reads and writes, in proto-loader's
 * object shape (snake_case field names, `bytes` as Buffer, enums as names). Field names follow
 * external_processor.proto exactly; the integration tests round-trip every shape over real gRPC.
 */

/** `config.core.v3.HeaderValue`: Envoy sends values in `raw_value` and reads only `raw_value`. */
export interface HeaderValue {
  readonly key: string;
  readonly value?: string;
  readonly raw_value?: Buffer;
}

export interface HeaderMap {
  readonly headers: readonly HeaderValue[];
}

export interface HttpHeaders {
  readonly headers: HeaderMap | null;
  readonly end_of_stream: boolean;
}

export interface HttpBody {
  readonly body: Buffer;
  readonly end_of_stream: boolean;
}

/** The message kinds Envoy sends; `request` names the one that is set, and a reply to it sets the member of the same name. */
export type ProcessingRequestKind =
  | 'request_headers'
  | 'response_headers'
  | 'request_body'
  | 'response_body'
  | 'request_trailers'
  | 'response_trailers';

export interface ProcessingRequest {
  readonly request_headers?: HttpHeaders | null;
  readonly response_headers?: HttpHeaders | null;
  readonly request_body?: HttpBody | null;
  readonly response_body?: HttpBody | null;
  readonly request_trailers?: { readonly trailers: HeaderMap | null } | null;
  readonly response_trailers?: { readonly trailers: HeaderMap | null } | null;
  readonly observability_mode?: boolean;
  readonly request?: ProcessingRequestKind;
}

/** `config.core.v3.HeaderValueOption` as the sidecar writes it. */
export interface HeaderValueOption {
  readonly header: { readonly key: string; readonly raw_value: Buffer };
  readonly append: { readonly value: boolean };
  readonly append_action: 'OVERWRITE_IF_EXISTS_OR_ADD';
}

export interface HeaderMutation {
  readonly set_headers?: readonly HeaderValueOption[];
  readonly remove_headers?: readonly string[];
}

export interface BodyMutation {
  readonly body?: Buffer;
  readonly clear_body?: boolean;
}

export interface CommonResponse {
  readonly status?: 'CONTINUE' | 'CONTINUE_AND_REPLACE';
  readonly header_mutation?: HeaderMutation;
  readonly body_mutation?: BodyMutation;
  readonly clear_route_cache?: boolean;
}

export interface ImmediateResponse {
  /** An HTTP status number; proto-loader encodes it as the `envoy.type.v3.StatusCode` value. */
  readonly status: { readonly code: number | string };
  readonly headers?: HeaderMutation;
  readonly body?: Buffer;
  readonly details?: string;
}

export type BodySendMode = 'NONE' | 'STREAMED' | 'BUFFERED' | 'BUFFERED_PARTIAL';

/** `ext_proc.v3.ProcessingMode`; inside `mode_override` both body modes are absolute (unset = NONE). */
export interface ProcessingMode {
  readonly request_header_mode?: 'DEFAULT' | 'SEND' | 'SKIP';
  readonly response_header_mode?: 'DEFAULT' | 'SEND' | 'SKIP';
  readonly request_body_mode: BodySendMode;
  readonly response_body_mode: BodySendMode;
  readonly request_trailer_mode?: 'DEFAULT' | 'SEND' | 'SKIP';
  readonly response_trailer_mode?: 'DEFAULT' | 'SEND' | 'SKIP';
}

/** A reply to Envoy: exactly one of the oneof members, plus an optional `mode_override`. */
export interface ProcessingResponse {
  readonly request_headers?: { readonly response?: CommonResponse };
  readonly response_headers?: { readonly response?: CommonResponse };
  readonly request_body?: { readonly response?: CommonResponse };
  readonly response_body?: { readonly response?: CommonResponse };
  readonly request_trailers?: { readonly header_mutation?: HeaderMutation };
  readonly response_trailers?: { readonly header_mutation?: HeaderMutation };
  readonly immediate_response?: ImmediateResponse;
  readonly mode_override?: ProcessingMode;
  /** Alone in a message: extends the deadline of the message being processed (up to Envoy's max_message_timeout). */
  readonly override_message_timeout?: { readonly seconds: number; readonly nanos: number };
}
