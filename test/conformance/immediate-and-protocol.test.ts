import { afterEach, describe, expect, it } from '@jest/globals';
import { kindOf, replyPlan, setHeader } from '../helpers/scripted-extproc-server.js';
import { chatBody, routedBodyReply, EXT_PROC_TRANSPORTS, harnessOver, type Harness } from './gateway-harness.js';

describe.each(EXT_PROC_TRANSPORTS)('ImmediateResponse and protocol violations (§3 G, H) over %s', (transport) => {
  const startHarness = harnessOver(transport);
  let harness: Harness | undefined;
  afterEach(async () => {
    await harness?.close();
    harness = undefined;
  });

  it('G1: ImmediateResponse delivers status, headers (content-type override, appended repeats) and body; no response_* messages; call half-closed', async () => {
    harness = await startHarness(
      replyPlan({
        request_headers: () => ({
          immediate_response: {
            status: { code: 'BadRequest' },
            headers: {
              set_headers: [setHeader('content-type', 'application/json'), setHeader('x-repeat', 'one'), setHeader('x-repeat', 'two', true)],
            },
            body: Buffer.from('{"error":{"message":"bad"}}'),
            details: 'Got a bad request',
          },
        }),
      }),
    );
    const response = await harness.request({ body: chatBody() });
    expect(response.status).toBe(400);
    expect(response.headers['content-type']).toBe('application/json');
    expect(response.rawHeaders.filter((_, i, all) => i % 2 === 1 && all[i - 1] === 'x-repeat')).toEqual(['one', 'two']);
    expect(response.body).toBe('{"error":{"message":"bad"}}');
    const stream = harness.extproc.streams[0]!;
    await expect(stream.ended).resolves.toBe('half-closed');
    expect(stream.received.map(kindOf)).toEqual(['request_headers']);
    expect(harness.upstream.requests).toHaveLength(0);
  });

  it('G2: ImmediateResponse with a status under 200 becomes 200, and a body without content-type gets text/plain', async () => {
    harness = await startHarness(replyPlan({ request_headers: () => ({ immediate_response: { status: { code: 100 }, body: Buffer.from('hi') } }) }));
    const response = await harness.request({ body: chatBody() });
    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toBe('text/plain');
    expect(response.body).toBe('hi');
  });

  it('H1: a reply of the wrong type (fail-closed) gives 500 and counts a spurious message', async () => {
    harness = await startHarness(replyPlan({ request_headers: () => ({ request_body: {} }) }));
    const response = await harness.request({ body: chatBody() });
    expect(response.status).toBe(500);
    expect(harness.gateway.counters().spurious_msgs_received).toBe(1);
    expect(harness.upstream.requests).toHaveLength(0);
  });

  it('H2: a reply of the wrong type with failure_mode_allow: the call is closed and the request continues unmodified', async () => {
    harness = await startHarness(
      replyPlan({
        request_headers: () => ({ request_headers: { response: { header_mutation: { set_headers: [setHeader('x-llmr-cluster', 'stub-cluster')] }, clear_route_cache: true } } }),
        request_body: () => ({ response_body: {} }),
      }),
      { settings: { failureModeAllow: true } },
    );
    const response = await harness.request({ body: chatBody() });
    expect(response.status).toBe(200);
    expect(harness.gateway.counters().spurious_msgs_received).toBe(1);
    expect(harness.extproc.streams[0]!.received.map(kindOf)).toEqual(['request_headers', 'request_body']);
  });

  it('H3: an empty ProcessingResponse is spurious: 500', async () => {
    harness = await startHarness(replyPlan({ request_headers: () => ({}) }));
    const response = await harness.request({ body: chatBody() });
    expect(response.status).toBe(500);
    expect(harness.gateway.counters().spurious_msgs_received).toBe(1);
  });

  it('G5: messages after an ImmediateResponse are ignored', async () => {
    harness = await startHarness(
      replyPlan({ request_body: () => [{ immediate_response: { status: { code: 403 }, body: Buffer.from('no') } }, routedBodyReply()] }),
    );
    const response = await harness.request({ body: chatBody() });
    expect(response.status).toBe(403);
    expect(harness.upstream.requests).toHaveLength(0);
  });
});
