import { afterEach, describe, expect, it } from '@jest/globals';
import * as grpc from '@grpc/grpc-js';
import { kindOf, setHeader } from '../helpers/scripted-extproc-server.js';
import { chatBody, CLUSTER_HEADER, routedBodyReply, EXT_PROC_TRANSPORTS, harnessOver, STUB_CLUSTER, type Harness } from './gateway-harness.js';

const routingHeadersReply = { request_headers: { response: { header_mutation: { set_headers: [setHeader(CLUSTER_HEADER, STUB_CLUSTER)] }, clear_route_cache: true } } };

/** Short enough that each test waits the timer out quickly. */
const SHORT_TIMEOUT = { messageTimeoutMs: 300 };

describe.each(EXT_PROC_TRANSPORTS)('message timeouts (§3 I) over %s', (transport) => {
  const startHarness = harnessOver(transport);
  let harness: Harness | undefined;
  afterEach(async () => {
    await harness?.close();
    harness = undefined;
  });

  it('I1: no reply within message_timeout gives 504; a gRPC error arriving afterwards is ignored', async () => {
    harness = await startHarness(async (stream) => {
      await stream.next();
      await new Promise((resolve) => setTimeout(resolve, 400));
      stream.fail(grpc.status.INTERNAL, 'too late');
    }, { settings: SHORT_TIMEOUT });
    const started = Date.now();
    const response = await harness.request({ body: chatBody() });
    expect(response.status).toBe(504);
    expect(JSON.parse(response.body).error.code).toBe('ext_proc_timeout');
    expect(Date.now() - started).toBeLessThan(1000);
    expect(harness.gateway.counters().message_timeouts).toBe(1);
    expect(harness.upstream.requests).toHaveLength(0);
  });

  it('I2: the same with failure_mode_allow continues unmodified; the late reply is ignored and nothing more is sent', async () => {
    harness = await startHarness(
      async (stream) => {
        await stream.next();
        stream.reply(routingHeadersReply);
        await stream.next();
        await new Promise((resolve) => setTimeout(resolve, 400));
        stream.reply({ request_body: { response: { body_mutation: { body: Buffer.from('late') } } } });
      },
      { settings: { ...SHORT_TIMEOUT, failureModeAllow: true } },
    );
    const body = chatBody('kept as is');
    const response = await harness.request({ body });
    expect(response.status).toBe(200);
    expect(harness.upstream.requests[0]!.body).toBe(body);
    expect(harness.extproc.streams[0]!.received.map(kindOf)).toEqual(['request_headers', 'request_body']);
  });

  it('I3: override_message_timeout extends the timer once; the real reply that follows is applied', async () => {
    harness = await startHarness(async (stream) => {
      await stream.next();
      stream.reply({ request_headers: {} });
      await stream.next();
      stream.reply({ override_message_timeout: { seconds: 1, nanos: 0 } });
      await new Promise((resolve) => setTimeout(resolve, 500));
      stream.reply(routedBodyReply());
      for (let message = await stream.next(); message !== undefined; message = await stream.next()) stream.reply({ [kindOf(message)]: {} });
    }, { settings: SHORT_TIMEOUT });
    const response = await harness.request({ body: chatBody() });
    expect(response.status).toBe(200);
    expect(harness.gateway.counters().override_message_timeout_received).toBe(1);
  });

  it('I5: an override above max_message_timeout is ignored and the original timer gives 504', async () => {
    harness = await startHarness(async (stream) => {
      await stream.next();
      stream.reply({ override_message_timeout: { seconds: 10, nanos: 0 } });
      await stream.next();
    }, { settings: SHORT_TIMEOUT });
    const response = await harness.request({ body: chatBody() });
    expect(response.status).toBe(504);
    expect(harness.gateway.counters().override_message_timeout_ignored).toBe(1);
  });
});
