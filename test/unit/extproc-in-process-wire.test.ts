import { describe, expect, it } from '@jest/globals';
import { loadExtProcDefinitions } from '../../src/extproc/envoy-protos.js';
import type { ProcessingRequest, ProcessingRequestKind, ProcessingResponse } from '../../src/extproc/ext-proc-messages.js';
import { wireProcessingResponse } from '../../src/extproc/in-process-wire.js';
import { commonReply, headerMutation, immediateResponse } from '../../src/extproc/responses.js';
import { HeaderList } from '../../src/gateway/header-list.js';
import { httpStatusFromCode } from '../../src/gateway/http-status-code.js';

/** What the gateway gets from grpc-js for a reply: protobuf encoding, then proto-loader's decoding. */
function overTheWire(reply: object): Record<string, unknown> {
  const method = loadExtProcDefinitions().service['Process']!;
  return method.responseDeserialize(method.responseSerialize(reply)) as Record<string, unknown>;
}

const REPLIES: Record<string, object> = {
  'empty continue': commonReply('request_headers'),
  'routing body reply': commonReply('request_body', {
    status: 'CONTINUE',
    header_mutation: headerMutation([['x-llmr-cluster', 'local'], ['content-length', '42']], ['x-drop']),
    body_mutation: { body: Buffer.from('{"model":"m"}') },
    clear_route_cache: true,
  }),
  'clear_body': commonReply('request_body', { body_mutation: { clear_body: true } }),
  'clear_body false is still the member set': { request_body: { response: { body_mutation: { clear_body: false } } } },
  'empty body replacement': { response_body: { response: { body_mutation: { body: Buffer.alloc(0) } } } },
  'mode_override': commonReply('response_headers', {}, { request_body_mode: 'BUFFERED', response_body_mode: 'NONE' }),
  'enums given as numbers': { request_headers: { response: { status: 1 } }, mode_override: { response_header_mode: 2, request_body_mode: 1, response_body_mode: 3 } },
  'immediate response': immediateResponse({ status: 403, headers: [['content-type', 'application/json']], body: Buffer.from('{"error":{}}'), details: 'blocked' } as never),
  'immediate status by name': { immediate_response: { status: { code: 'BadRequest' }, body: Buffer.from('x') } },
  'override_message_timeout': { override_message_timeout: { seconds: 2, nanos: 500_000_000 } },
  'malformed header value (value and raw_value)': { request_headers: { response: { header_mutation: { set_headers: [{ header: { key: 'x-both', value: 'v', raw_value: Buffer.from('r') } }] } } } },
  'header without append': { request_headers: { response: { header_mutation: { set_headers: [{ header: { key: 'x-a', raw_value: Buffer.from('1') }, append_action: 'APPEND_IF_EXISTS_OR_ADD' }] } } } },
  'trailers': { request_trailers: { header_mutation: { remove_headers: ['x-t'] } } },
  'empty message': {},
};

/**
 * An ImmediateResponse status as the HTTP status it means: the wire names known codes
 * (`Forbidden`), the in-process reply keeps the number the sidecar wrote; the gateway reads both.
 */
function statusAsNumber(reply: Record<string, unknown>): Record<string, unknown> {
  const immediate = reply['immediate_response'] as { status: { code: string | number } | null } | undefined;
  if (immediate?.status == null) return reply;
  return { ...reply, immediate_response: { ...immediate, status: { code: httpStatusFromCode(immediate.status.code) } } };
}

describe('in-process replies have the shape grpc-js decodes', () => {
  it.each(Object.entries(REPLIES))('%s', (_name, reply) => {
    const inProcess = wireProcessingResponse(reply as ProcessingResponse);
    // Every field the gateway reads is what the real protobuf round trip gives it.
    expect(statusAsNumber(overTheWire(reply))).toMatchObject(statusAsNumber(inProcess as unknown as Record<string, unknown>));
    expect(inProcess.response).toBe(overTheWire(reply)['response']);
  });
});

describe('in-process requests have the shape the sidecar decodes', () => {
  const method = loadExtProcDefinitions().service['Process']!;
  const headers = new HeaderList([{ name: ':path', value: '/v1/chat/completions' }, { name: 'x-latin1', value: 'caf\u00e9' }]);
  const messages: [ProcessingRequestKind, ProcessingRequest][] = [
    ['request_headers', { request_headers: { headers: headers.toProto(), end_of_stream: false } }],
    ['request_body', { request_body: { body: Buffer.from('{"a":1}'), end_of_stream: true } }],
    ['response_body', { response_body: { body: Buffer.alloc(0), end_of_stream: true } }],
  ];
  it.each(messages)('%s', (kind, message) => {
    const decoded = method.requestDeserialize(method.requestSerialize(message)) as Record<string, unknown>;
    // The in-process transport hands the sidecar the gateway's object with the oneof named.
    expect(decoded).toMatchObject({ ...message, request: kind });
  });
});
