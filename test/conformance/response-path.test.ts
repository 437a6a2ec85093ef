import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from '@jest/globals';
import { headerPairs, kindOf, replyPlan, setHeader } from '../helpers/scripted-extproc-server.js';
import { CLUSTER_HEADER, chatBody, routedBodyReply, EXT_PROC_TRANSPORTS, harnessOver, waitFor, type Harness } from './gateway-harness.js';

describe.each(EXT_PROC_TRANSPORTS)('response path (§3 E) and cancellation over %s', (transport) => {
  const startHarness = harnessOver(transport);
  let harness: Harness | undefined;
  afterEach(async () => {
    await harness?.close();
    harness = undefined;
  });

  it('E1: response_headers carry :status first and the reply mutations reach the client', async () => {
    harness = await startHarness(
      replyPlan({
        request_body: routedBodyReply,
        response_headers: () => ({ response_headers: { response: { header_mutation: { set_headers: [setHeader('x-vsr-selected-model', 'stub-model')] } } } }),
      }),
    );
    const response = await harness.request({ body: chatBody() });
    expect(response.status).toBe(200);
    expect(response.headers['x-vsr-selected-model']).toBe('stub-model');
    const responseHeaders = harness.extproc.streams[0]!.received.find((message) => kindOf(message) === 'response_headers');
    expect(headerPairs(responseHeaders)[0]).toEqual([':status', '200']);
  });

  it('E2/E3/E5: a STREAMED SSE response passes chunk by chunk, ends with an empty end_of_stream message, without content-length', async () => {
    harness = await startHarness(replyPlan({ request_body: routedBodyReply }), { stubChunkIntervalMs: 15 });
    const response = await harness.request({ body: chatBody('stream me', { stream: true, stream_options: { include_usage: true } }) });
    expect(response.status).toBe(200);
    expect(response.headers['content-length']).toBeUndefined();
    expect(response.headers['transfer-encoding']).toBe('chunked');
    expect(response.body.endsWith('data: [DONE]\n\n')).toBe(true);
    const bodies = harness.extproc.streams[0]!.received.filter((message) => kindOf(message) === 'response_body');
    expect(bodies.length).toBeGreaterThan(3);
    expect(bodies.slice(0, -1).every((message) => !message.response_body!.end_of_stream)).toBe(true);
    const last = bodies[bodies.length - 1]!.response_body!;
    expect(last.end_of_stream).toBe(true);
    expect(last.body.length).toBe(0);
    expect(Buffer.concat(bodies.map((message) => message.response_body!.body)).toString()).toBe(response.body);
    expect(response.chunks.length).toBeGreaterThan(1);
  });

  it('E2: a body_mutation in a chunk reply replaces that chunk only', async () => {
    let seen = 0;
    harness = await startHarness(
      replyPlan({
        request_body: routedBodyReply,
        response_body: (message) => {
          seen += 1;
          if (seen === 2) return { response_body: { response: { body_mutation: { body: Buffer.from('data: {"replaced":true}\n\n') } } } };
          return message.response_body!.end_of_stream ? { response_body: { response: { body_mutation: { body: Buffer.from(': tail\n\n') } } } } : { response_body: {} };
        },
      }),
      { stubChunkIntervalMs: 15 },
    );
    const response = await harness.request({ body: chatBody('x', { stream: true }) });
    const bodies = harness.extproc.streams[0]!.received.filter((message) => kindOf(message) === 'response_body').map((message) => message.response_body!.body.toString());
    const expected = bodies.map((body, i) => (i === 1 ? 'data: {"replaced":true}\n\n' : body)).join('') + ': tail\n\n';
    expect(response.body).toBe(expected);
  });

  it('E6: a BUFFERED response body arrives as one message; header mutation and body replacement apply', async () => {
    const replaced = '{"replaced":true}';
    harness = await startHarness(
      replyPlan({
        request_body: routedBodyReply,
        response_body: () => ({
          response_body: {
            response: {
              header_mutation: { set_headers: [setHeader('content-length', String(replaced.length)), setHeader('x-usage', 'counted')] },
              body_mutation: { body: Buffer.from(replaced) },
            },
          },
        }),
      }),
      { settings: { processingMode: { requestHeaderMode: 'SEND', requestBodyMode: 'BUFFERED', responseHeaderMode: 'SEND', responseBodyMode: 'BUFFERED' } } },
    );
    const response = await harness.request({ body: chatBody() });
    expect(response.body).toBe(replaced);
    expect(response.headers['x-usage']).toBe('counted');
    expect(response.headers['content-length']).toBe(String(replaced.length));
    expect(harness.extproc.streams[0]!.received.filter((message) => kindOf(message) === 'response_body')).toHaveLength(1);
  });

  // Envoy resets the side stream here (§2.1.7); the gateway half-closes it instead, so a storm of
  // client cancels cannot trip the sidecar's HTTP/2 rapid-reset guard (test/integration/gateway-cancel-storm).
  it('client abort cancels the upstream request and half-closes the side stream', async () => {
    harness = await startHarness(replyPlan({ request_body: routedBodyReply }), { stubLatencyMs: 5000 });
    const body = chatBody();
    const request = http.request({
      host: '127.0.0.1',
      port: harness.gateway.port,
      method: 'POST',
      path: '/v1/chat/completions',
      headers: { 'content-length': String(Buffer.byteLength(body)) },
      agent: false,
    });
    request.on('error', () => undefined);
    request.end(body);
    await waitFor(() => harness!.upstream.requests.length === 1);
    request.destroy();
    await waitFor(() => harness!.upstream.requests[0]!.aborted);
    await expect(harness.extproc.streams[0]!.ended).resolves.toBe('half-closed');
  });

  // Header values are bytes (Envoy passes them through untouched); the gateway once decoded the
  // upstream's as UTF-8 and wrote them back as latin1, so a non-ASCII value reached the client
  // changed (or, past U+00FF, failed the request with a 500).
  it('an upstream response header with UTF-8 bytes reaches the sidecar and the client byte for byte', async () => {
    const value = Buffer.from('café ✓', 'utf8');
    const upstream = http.createServer((request, response) => {
      request.resume();
      response.writeHead(200, { 'content-type': 'application/json', 'x-note': value.toString('latin1') }).end('{}');
    });
    upstream.listen(0, '127.0.0.1');
    await once(upstream, 'listening');
    try {
      harness = await startHarness(
        replyPlan({ request_body: () => ({ request_body: { response: { header_mutation: { set_headers: [setHeader(CLUSTER_HEADER, 'bytes')] }, clear_route_cache: true } } }) }),
        { clusters: { bytes: { baseUrl: `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`, hostname: 'bytes.internal' } } },
      );
      const response = await harness.request({ body: chatBody() });
      expect(response.status).toBe(200);
      const received = response.rawHeaders[response.rawHeaders.findIndex((name) => name.toLowerCase() === 'x-note') + 1]!;
      expect(Buffer.from(received, 'latin1')).toEqual(value);
      const responseHeaders = harness.extproc.streams[0]!.received.find((message) => kindOf(message) === 'response_headers');
      expect(headerPairs(responseHeaders).find(([name]) => name === 'x-note')?.[1]).toBe(value.toString('latin1'));
    } finally {
      upstream.closeAllConnections();
      upstream.close();
    }
  });
});
