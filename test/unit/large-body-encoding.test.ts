import { loadExtProcDefinitions } from '../../src/extproc/envoy-protos.js';
import { commonReply, headerMutation } from '../../src/extproc/responses.js';
import { encodeLargeBody, processingRequestBodyPaths, processingResponseBodyPaths } from '../../src/extproc/large-body-encoding.js';
import { envoyHeaderMap } from '../helpers/extproc-client.js';

/**
 * grpc-js serialises a message synchronously in `write`: protobufjs copied a 10 MB body into one
 * new buffer on the event loop (the gateway held it 68-138 ms on-CPU sending one, the sidecar
 * likewise answering with a rewritten body). encodeLargeBody writes the rest with protobufjs and
 * splices the body in, a slice per turn. The bytes must be exactly protobufjs's.
 */

const process = loadExtProcDefinitions().service['Process']!;
const serializeRequest = process.requestSerialize as (value: object) => Buffer;
const serializeResponse = process.responseSerialize as (value: object) => Buffer;

function bodyOf(bytes: number): Buffer {
  const body = Buffer.allocUnsafe(bytes);
  for (let i = 0; i < bytes; i++) body[i] = (i * 7919) % 251;
  return body;
}

describe('large-body encoding of ext_proc messages', () => {
  it('encodes a request body message byte for byte as protobufjs does', async () => {
    const [requestBody, responseBody] = processingRequestBodyPaths();
    for (const size of [300_000, 3 * 1024 * 1024]) {
      const message = { request_body: { body: bodyOf(size), end_of_stream: true }, observability_mode: false };
      const encoded = await encodeLargeBody(serializeRequest, message, requestBody!);
      expect(encoded.bytes.equals(serializeRequest(message))).toBe(true);
    }
    const response = { response_body: { body: bodyOf(400_000), end_of_stream: false } };
    expect((await encodeLargeBody(serializeRequest, response, responseBody!)).bytes.equals(serializeRequest(response))).toBe(true);
  });

  it('encodes a reply with a body mutation and headers byte for byte, and it decodes back', async () => {
    const [requestBody] = processingResponseBodyPaths();
    const body = bodyOf(2 * 1024 * 1024 + 3);
    const reply = commonReply('request_body', {
      header_mutation: headerMutation([['x-selected-model', 'local-model'], ['content-length', String(body.length)]], ['x-remove-me']),
      body_mutation: { body },
      clear_route_cache: true,
    });
    const encoded = await encodeLargeBody(serializeResponse, reply as Record<string, unknown>, requestBody!);
    expect(encoded.bytes.equals(serializeResponse(reply))).toBe(true);
    const decoded = process.responseDeserialize(encoded.bytes) as { request_body: { response: { body_mutation: { body: Buffer } } } };
    expect(decoded.request_body.response.body_mutation.body.equals(body)).toBe(true);
  });

  it('leaves the request headers of a message alone', async () => {
    const [requestBody] = processingRequestBodyPaths();
    const message = { request_headers: { headers: envoyHeaderMap([[':path', '/v1/chat/completions']]), end_of_stream: false } };
    await expect(encodeLargeBody(serializeRequest, message, requestBody!)).rejects.toThrow('no body at request_body.body');
  });
});
