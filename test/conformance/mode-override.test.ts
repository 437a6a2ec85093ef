import { afterEach, describe, expect, it } from '@jest/globals';
import { kindOf, replyPlan, setHeader } from '../helpers/scripted-extproc-server.js';
import { chatBody, CLUSTER_HEADER, routedBodyReply, EXT_PROC_TRANSPORTS, harnessOver, STUB_CLUSTER, type Harness } from './gateway-harness.js';

const responseBodyOff = { request_body_mode: 'BUFFERED', response_body_mode: 'NONE' };

describe.each(EXT_PROC_TRANSPORTS)('mode_override (§3 J) over %s', (transport) => {
  const startHarness = harnessOver(transport);
  let harness: Harness | undefined;
  afterEach(async () => {
    await harness?.close();
    harness = undefined;
  });

  it('J1: mode_override in the response_headers reply is honoured (response body NONE: no response_body messages)', async () => {
    harness = await startHarness(replyPlan({ request_body: routedBodyReply, response_headers: () => ({ response_headers: {}, mode_override: responseBodyOff }) }));
    const response = await harness.request({ body: chatBody() });
    expect(response.status).toBe(200);
    expect(harness.extproc.streams[0]!.received.map(kindOf)).toEqual(['request_headers', 'request_body', 'response_headers']);
    expect(JSON.parse(response.body).object).toBe('chat.completion');
  });

  it('J4: mode_override is ignored when allow_mode_override is off (response body still sent)', async () => {
    harness = await startHarness(
      replyPlan({ request_body: routedBodyReply, response_headers: () => ({ response_headers: {}, mode_override: responseBodyOff }) }),
      { settings: { allowModeOverride: false } },
    );
    await harness.request({ body: chatBody() });
    expect(harness.extproc.streams[0]!.received.map(kindOf)).toContain('response_body');
  });

  it('J5: mode_override in a body reply is ignored', async () => {
    harness = await startHarness(replyPlan({ request_body: () => ({ ...routedBodyReply(), mode_override: responseBodyOff }) }));
    await harness.request({ body: chatBody() });
    expect(harness.extproc.streams[0]!.received.map(kindOf)).toContain('response_body');
  });

  it('J6: body modes in an override are absolute: an unset request_body_mode means NONE (no request_body message)', async () => {
    harness = await startHarness(
      replyPlan({
        request_headers: () => ({
          request_headers: { response: { header_mutation: { set_headers: [setHeader(CLUSTER_HEADER, STUB_CLUSTER)] }, clear_route_cache: true } },
          mode_override: { response_body_mode: 'STREAMED' },
        }),
      }),
    );
    const body = chatBody('passed without a body message');
    const response = await harness.request({ body });
    expect(response.status).toBe(200);
    const kinds = harness.extproc.streams[0]!.received.map(kindOf);
    expect(kinds).not.toContain('request_body');
    expect(kinds).toContain('response_body');
    expect(harness.upstream.requests[0]!.body).toBe(body);
  });
});
