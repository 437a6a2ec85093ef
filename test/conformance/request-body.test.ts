import { afterEach, describe, expect, it } from '@jest/globals';
import { kindOf, replyPlan, setHeader } from '../helpers/scripted-extproc-server.js';
import { chatBody, CLUSTER_HEADER, routedBodyReply, EXT_PROC_TRANSPORTS, harnessOver, STUB_CLUSTER, type Harness } from './gateway-harness.js';

describe.each(EXT_PROC_TRANSPORTS)('request body, BUFFERED (§3 D) over %s', (transport) => {
  const startHarness = harnessOver(transport);
  let harness: Harness | undefined;
  afterEach(async () => {
    await harness?.close();
    harness = undefined;
  });

  it('D4: a body that arrives before the headers reply is held and sent once, after the reply', async () => {
    const order: string[] = [];
    harness = await startHarness(async (stream) => {
      await stream.next();
      order.push('request_headers');
      await new Promise((resolve) => setTimeout(resolve, 80));
      order.push('headers reply');
      stream.reply({ request_headers: {} });
      for (let message = await stream.next(); message !== undefined; message = await stream.next()) {
        order.push(kindOf(message));
        stream.reply(kindOf(message) === 'request_body' ? routedBodyReply() : { [kindOf(message)]: {} });
      }
    });
    const response = await harness.request({ body: chatBody() });
    expect(response.status).toBe(200);
    expect(order.slice(0, 3)).toEqual(['request_headers', 'headers reply', 'request_body']);
    expect(harness.extproc.streams[0]!.received.filter((message) => kindOf(message) === 'request_body')).toHaveLength(1);
  });

  it('D5: body and headers replaced in the body reply reach the upstream, with the server-set content-length', async () => {
    const newBody = chatBody('rewritten by the router', { model: 'stub-model' });
    harness = await startHarness(
      replyPlan({
        request_body: () => ({
          request_body: {
            response: {
              header_mutation: {
                set_headers: [setHeader(CLUSTER_HEADER, STUB_CLUSTER), setHeader('content-length', String(Buffer.byteLength(newBody))), setHeader('x-selected-model', 'stub-model')],
              },
              body_mutation: { body: Buffer.from(newBody) },
              clear_route_cache: true,
            },
          },
        }),
      }),
    );
    const response = await harness.request({ body: chatBody('original') });
    expect(response.status).toBe(200);
    const upstream = harness.upstream.requests[0]!;
    expect(upstream.body).toBe(newBody);
    expect(upstream.headers['content-length']).toBe(String(Buffer.byteLength(newBody)));
    expect(upstream.headers['x-selected-model']).toBe('stub-model');
    expect(JSON.parse(response.body).choices[0].message.content).toContain('user: rewritten by the router');
  });

  it('D6: content-length mismatch gives 500 and upstream is never contacted', async () => {
    harness = await startHarness(
      replyPlan({
        request_body: () => ({
          request_body: {
            response: { header_mutation: { set_headers: [setHeader(CLUSTER_HEADER, STUB_CLUSTER)] }, body_mutation: { body: Buffer.from('{"a":1}') }, clear_route_cache: true },
          },
        }),
      }),
    );
    const response = await harness.request({ body: chatBody('much longer than seven bytes') });
    expect(response.status).toBe(500);
    expect(harness.upstream.requests).toHaveLength(0);
  });

  it('D9: a body over the buffer limit gives 413; the sidecar sees only request_headers; upstream not contacted', async () => {
    harness = await startHarness(replyPlan({ request_body: routedBodyReply }), { settings: { bufferLimitBytes: 16 * 1024 } });
    const response = await harness.request({ body: chatBody('y'.repeat(64 * 1024)) });
    expect(response.status).toBe(413);
    expect(JSON.parse(response.body).error.code).toBe('request_too_large');
    // The 413 may even beat the side stream's setup; either way no body message is ever sent.
    const kinds = harness.extproc.streams.flatMap((stream) => stream.received.map(kindOf));
    expect(kinds.every((kind) => kind === 'request_headers')).toBe(true);
    expect(harness.upstream.requests).toHaveLength(0);
  });

  it('D10: an ImmediateResponse to the body message is the reply; upstream not contacted', async () => {
    harness = await startHarness(
      replyPlan({
        request_body: () => ({
          immediate_response: {
            status: { code: 429 },
            headers: { set_headers: [setHeader('content-type', 'application/json')] },
            body: Buffer.from('{"error":{"message":"slow down"}}'),
            details: 'rate limited',
          },
        }),
      }),
    );
    const response = await harness.request({ body: chatBody() });
    expect(response.status).toBe(429);
    expect(response.headers['content-type']).toBe('application/json');
    expect(response.body).toBe('{"error":{"message":"slow down"}}');
    expect(harness.upstream.requests).toHaveLength(0);
  });

  it('D11: clear_route_cache with a header_mutation in the body reply re-selects the route (routed to the cluster)', async () => {
    harness = await startHarness(replyPlan({ request_body: routedBodyReply }));
    const response = await harness.request({ body: chatBody() });
    expect(response.status).toBe(200);
    expect(harness.upstream.requests).toHaveLength(1);
  });

  it('STREAMED request body: each chunk goes to the sidecar and a chunk reply may replace it', async () => {
    harness = await startHarness(
      replyPlan({
        request_headers: () => ({ request_headers: { response: { header_mutation: { set_headers: [setHeader(CLUSTER_HEADER, STUB_CLUSTER)] }, clear_route_cache: true } } }),
        request_body: (message) =>
          message.request_body!.end_of_stream ? { request_body: {} } : { request_body: { response: { body_mutation: { body: Buffer.from(chatBody('streamed and replaced')) } } } },
      }),
      { settings: { processingMode: { requestHeaderMode: 'SEND', requestBodyMode: 'STREAMED', responseHeaderMode: 'SEND', responseBodyMode: 'NONE' } } },
    );
    const response = await harness.request({ body: chatBody('original') });
    expect(response.status).toBe(200);
    expect(harness.upstream.requests[0]!.body).toBe(chatBody('streamed and replaced'));
    const bodies = harness.extproc.streams[0]!.received.filter((message) => kindOf(message) === 'request_body');
    expect(bodies[bodies.length - 1]!.request_body!.end_of_stream).toBe(true);
  });
});
