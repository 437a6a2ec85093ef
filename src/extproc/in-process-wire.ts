/**
 * A reply as the gateway would decode it from the wire, without the wire: what proto-loader
 * (`defaults: true, oneofs: true, enums: String, longs: String`) makes of the object the
 * processor wrote. Only the shape changes (defaults filled in, the oneof named, known enum
 * numbers named); Buffers and strings are passed on as they are.
 */
import type {
  WireBodyMutation,
  WireCommonResponse,
  WireHeaderMutation,
  WireHeaderValueOption,
  WireImmediateResponse,
  WireProcessingMode,
  WireProcessingResponse,
} from '../gateway/ext-proc-wire.js';

/** Loosely typed on purpose: test servers write malformed replies to see the gateway reject them. */
type Loose = Record<string, unknown> | null | undefined;

const EMPTY = Buffer.alloc(0);

const COMMON_KINDS = ['request_headers', 'response_headers', 'request_body', 'response_body'] as const;
const TRAILER_KINDS = ['request_trailers', 'response_trailers'] as const;
const RESPONSE_STATUS = ['CONTINUE', 'CONTINUE_AND_REPLACE'];
const HEADER_SEND_MODES = ['DEFAULT', 'SEND', 'SKIP'];
const BODY_SEND_MODES = ['NONE', 'STREAMED', 'BUFFERED', 'BUFFERED_PARTIAL'];

/** An enum as proto-loader decodes it: known numbers as names, unknown ones as numbers, unset as the zero name. */
function enumName(value: unknown, names: readonly string[]): string | number {
  if (value === undefined || value === null) return names[0]!;
  if (typeof value === 'number') return names[value] ?? value;
  return String(value);
}

/** `bytes` given as a string are base64, as protobufjs reads them. */
function bytes(value: unknown): Buffer {
  if (Buffer.isBuffer(value)) return value;
  if (typeof value === 'string') return Buffer.from(value, 'base64');
  if (value instanceof Uint8Array) return Buffer.from(value);
  return EMPTY;
}

function headerValueOption(option: Loose): WireHeaderValueOption {
  const header = option?.['header'] as Loose;
  const append = option?.['append'] as Loose;
  return {
    header: header == null ? null : { key: String(header['key'] ?? ''), value: String(header['value'] ?? ''), raw_value: bytes(header['raw_value']) },
    append: append == null ? null : { value: append['value'] === true },
  };
}

function headerMutation(mutation: Loose): WireHeaderMutation | null {
  if (mutation == null) return null;
  const set = (mutation['set_headers'] ?? []) as Loose[];
  return { set_headers: set.map(headerValueOption), remove_headers: (mutation['remove_headers'] ?? []) as string[] };
}

/** A oneof member that is present counts as set, even when its value is the default. */
function bodyMutation(mutation: Loose): WireBodyMutation | null {
  if (mutation == null) return null;
  if (mutation['body'] != null) return { mutation: 'body', body: bytes(mutation['body']) };
  if (mutation['clear_body'] != null) return { mutation: 'clear_body', clear_body: mutation['clear_body'] === true };
  return {};
}

function commonResponse(response: Loose): WireCommonResponse | null {
  if (response == null) return null;
  return {
    status: enumName(response['status'], RESPONSE_STATUS) as WireCommonResponse['status'],
    header_mutation: headerMutation(response['header_mutation'] as Loose),
    body_mutation: bodyMutation(response['body_mutation'] as Loose),
    clear_route_cache: response['clear_route_cache'] === true,
  };
}

function immediateResponse(reply: Record<string, unknown>): WireImmediateResponse {
  const status = reply['status'] as Loose;
  return {
    status: status == null ? null : { code: (status['code'] as string | number | undefined) ?? 0 },
    headers: headerMutation(reply['headers'] as Loose),
    body: bytes(reply['body']),
    details: String(reply['details'] ?? ''),
  };
}

function processingMode(mode: Loose): WireProcessingMode | null {
  if (mode == null) return null;
  return {
    request_header_mode: enumName(mode['request_header_mode'], HEADER_SEND_MODES),
    response_header_mode: enumName(mode['response_header_mode'], HEADER_SEND_MODES),
    request_body_mode: enumName(mode['request_body_mode'], BODY_SEND_MODES),
    response_body_mode: enumName(mode['response_body_mode'], BODY_SEND_MODES),
  };
}

/** The reply in the shape the gateway reads from grpc-js. */
export function wireProcessingResponse(reply: object): WireProcessingResponse {
  const loose = reply as Record<string, unknown>;
  const timeout = loose['override_message_timeout'] as Loose;
  // Built field by field rather than spread with a computed key: this runs for every message of
  // every in-process request, and the spread form costs a dictionary-mode copy each time.
  const wire: { -readonly [K in keyof WireProcessingResponse]: WireProcessingResponse[K] } = {
    mode_override: processingMode(loose['mode_override'] as Loose),
    override_message_timeout: timeout == null ? null : { seconds: String(timeout['seconds'] ?? 0), nanos: Number(timeout['nanos'] ?? 0) },
  };
  for (const kind of COMMON_KINDS) {
    const member = loose[kind] as Loose;
    if (member == null) continue;
    wire.response = kind;
    wire[kind] = { response: commonResponse(member['response'] as Loose) };
    return wire;
  }
  for (const kind of TRAILER_KINDS) {
    const member = loose[kind] as Loose;
    if (member == null) continue;
    wire.response = kind;
    wire[kind] = { header_mutation: headerMutation(member['header_mutation'] as Loose) };
    return wire;
  }
  const immediate = loose['immediate_response'] as Loose;
  if (immediate != null) {
    wire.response = 'immediate_response';
    wire.immediate_response = immediateResponse(immediate);
  }
  return wire;
}
