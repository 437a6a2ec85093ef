import { afterEach, describe, expect, it } from '@jest/globals';
import { headerPairs, kindOf, replyPlan, setHeader } from '../helpers/scripted-extproc-server.js';
import { chatBody, CLUSTER_HEADER, routedBodyReply, EXT_PROC_TRANSPORTS, harnessOver, STUB_HOSTNAME, type Harness } from './gateway-harness.js';

describe.each(EXT_PROC_TRANSPORTS)('request messages (§3 B, D) over %s', (transport) => {
  const startHarness = harnessOver(transport);
  let harness: Harness | undefined;
  afterEach(async () => {
    await harness?.close();
    harness = undefined;
  });

  it('B1: request_headers carry pseudo-headers first, lower-case names, raw_value, x-forwarded-proto and x-request-id; routing header stripped', async () => {
    harness = await startHarness(replyPlan({ request_body: routedBodyReply }));
    const response = await harness.request({
      body: chatBody(),
      headers: { 'Content-Type': 'application/json', 'X-Custom': 'One', [CLUSTER_HEADER]: 'evil', Connection: 'keep-alive' },
    });
    expect(response.status).toBe(200);
    const first = harness.extproc.streams[0]!.received[0]!;
    expect(kindOf(first)).toBe('request_headers');
    expect(first.request_headers!.end_of_stream).toBe(false);
    const pairs = headerPairs(first);
    expect(pairs.slice(0, 4).map(([name]) => name)).toEqual([':authority', ':path', ':method', ':scheme']);
    expect(pairs.slice(0, 4).map(([, value]) => value)).toEqual([`127.0.0.1:${harness.gateway.port}`, '/v1/chat/completions', 'POST', 'http']);
    for (const [name] of pairs) expect(name).toBe(name.toLowerCase());
    const names = pairs.map(([name]) => name);
    expect(names).toContain('x-forwarded-proto');
    expect(names).toContain('x-request-id');
    expect(names).not.toContain(CLUSTER_HEADER);
    expect(names).not.toContain('connection');
    expect(names).not.toContain('host');
    expect(pairs).toContainEqual(['x-custom', 'One']);
    for (const entry of first.request_headers!.headers!.headers) expect(entry.value).toBe('');
  });

  it('B1: an x-request-id sent by the client is kept', async () => {
    harness = await startHarness(replyPlan({ request_body: routedBodyReply }));
    await harness.request({ body: chatBody(), headers: { 'x-request-id': 'req-42' } });
    expect(headerPairs(harness.extproc.streams[0]!.received[0])).toContainEqual(['x-request-id', 'req-42']);
  });

  it('D1: a request without body sends headers with end_of_stream true and no body message', async () => {
    harness = await startHarness(
      replyPlan({ request_headers: () => ({ request_headers: { response: { header_mutation: { set_headers: [setHeader(CLUSTER_HEADER, 'stub-cluster')] }, clear_route_cache: true } } }) }),
    );
    const response = await harness.request({ method: 'GET', path: '/v1/models' });
    expect(response.status).toBe(200);
    const kinds = harness.extproc.streams[0]!.received.map(kindOf);
    expect(kinds[0]).toBe('request_headers');
    expect(harness.extproc.streams[0]!.received[0]!.request_headers!.end_of_stream).toBe(true);
    expect(kinds).not.toContain('request_body');
  });

  it('D1: a POST with content-length 0 sends headers with end_of_stream true and no body message', async () => {
    harness = await startHarness(replyPlan());
    await harness.request({ body: '' });
    const received = harness.extproc.streams[0]!.received;
    expect(received[0]!.request_headers!.end_of_stream).toBe(true);
    expect(received.map(kindOf)).not.toContain('request_body');
  });

  it('D2: an empty chunked body sends headers end_of_stream false, then one empty request_body with end_of_stream true', async () => {
    harness = await startHarness(replyPlan());
    await harness.request({ body: '', chunked: true });
    const received = harness.extproc.streams[0]!.received;
    expect(received[0]!.request_headers!.end_of_stream).toBe(false);
    const bodies = received.filter((message) => kindOf(message) === 'request_body');
    expect(bodies).toHaveLength(1);
    expect(bodies[0]!.request_body!.body.length).toBe(0);
    expect(bodies[0]!.request_body!.end_of_stream).toBe(true);
  });

  it('D3: a buffered body arrives as one request_body with the whole body and end_of_stream true', async () => {
    harness = await startHarness(replyPlan({ request_body: routedBodyReply }));
    const body = chatBody('x'.repeat(20_000));
    const response = await harness.request({ body, chunked: true });
    expect(response.status).toBe(200);
    const bodies = harness.extproc.streams[0]!.received.filter((message) => kindOf(message) === 'request_body');
    expect(bodies).toHaveLength(1);
    expect(bodies[0]!.request_body!.body.toString()).toBe(body);
    expect(bodies[0]!.request_body!.end_of_stream).toBe(true);
    expect(harness.upstream.requests[0]!.body).toBe(body);
    expect(harness.upstream.requests[0]!.headers.host).toBe(STUB_HOSTNAME);
    expect(harness.upstream.requests[0]!.headers[CLUSTER_HEADER]).toBeUndefined();
  });
});
