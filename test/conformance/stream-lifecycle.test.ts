import { once } from 'node:events';
import net from 'node:net';
import { afterEach, describe, expect, it } from '@jest/globals';
import * as grpc from '@grpc/grpc-js';
import { kindOf, replyPlan } from '../helpers/scripted-extproc-server.js';
import { chatBody, routedBodyReply, EXT_PROC_TRANSPORTS, harnessOver, waitFor, type Harness } from './gateway-harness.js';

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = net.createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as net.AddressInfo).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe.each(EXT_PROC_TRANSPORTS)('stream lifecycle (§3 A) over %s', (transport) => {
  const startHarness = harnessOver(transport);
  let harness: Harness | undefined;
  afterEach(async () => {
    await harness?.close();
    harness = undefined;
  });

  it('A1: server ends the call with OK after request_headers: request continues unmodified, no more messages', async () => {
    harness = await startHarness(async (stream) => {
      await stream.next();
      stream.closeOk();
    });
    const response = await harness.request({ body: chatBody() });
    // Unmodified means no cluster was chosen: the §5 catch-all answers 503 without the upstream.
    expect(response.status).toBe(503);
    expect(JSON.parse(response.body).error.code).toBe('no_route');
    expect(harness.extproc.streams[0]!.received.map(kindOf)).toEqual(['request_headers']);
    expect(harness.upstream.requests).toHaveLength(0);
  });

  it('A1: OK close after a routing headers reply: the mutation stays, the body passes unprocessed, 200', async () => {
    harness = await startHarness(async (stream) => {
      await stream.next();
      stream.reply({ request_headers: { response: { header_mutation: { set_headers: [{ header: { key: 'x-llmr-cluster', raw_value: Buffer.from('stub-cluster') } }] }, clear_route_cache: true } } });
      stream.closeOk();
    });
    const body = chatBody('unchanged');
    const response = await harness.request({ body });
    expect(response.status).toBe(200);
    expect(harness.upstream.requests[0]!.body).toBe(body);
    expect(harness.extproc.streams[0]!.received.map(kindOf)).toEqual(['request_headers']);
  });

  it('A2: server fails the call before any reply: 500, upstream not contacted', async () => {
    harness = await startHarness(async (stream) => {
      await stream.next();
      stream.fail(grpc.status.INTERNAL, 'error_message');
    });
    const response = await harness.request({ body: chatBody() });
    expect(response.status).toBe(500);
    expect(JSON.parse(response.body).error.code).toBe('ext_proc_failed');
    expect(harness.upstream.requests).toHaveLength(0);
  });

  it('A3: sidecar unreachable: 500 at the first message', async () => {
    harness = await startHarness(replyPlan(), { sidecarPort: await closedPort() });
    const response = await harness.request({ body: chatBody() });
    expect(response.status).toBe(500);
    expect(harness.gateway.counters().streams_failed).toBe(1);
  });

  it('A3: sidecar unreachable with failure_mode_allow: the request continues unmodified to the router', async () => {
    harness = await startHarness(replyPlan(), { sidecarPort: await closedPort(), settings: { failureModeAllow: true } });
    const response = await harness.request({ body: chatBody() });
    expect(response.status).toBe(503);
    expect(JSON.parse(response.body).error.code).toBe('no_route');
    expect(harness.gateway.counters().failure_mode_allowed).toBe(1);
  });

  it('A4: error status after successful replies, while the upstream works: 500 and the upstream request is cancelled', async () => {
    harness = await startHarness(
      async (stream) => {
        await stream.next();
        stream.reply({ request_headers: {} });
        await stream.next();
        stream.reply(routedBodyReply());
        await new Promise((resolve) => setTimeout(resolve, 100));
        stream.fail(grpc.status.INTERNAL, 'late failure');
      },
      { stubLatencyMs: 1000 },
    );
    const response = await harness.request({ body: chatBody() });
    expect(response.status).toBe(500);
    await waitFor(() => harness!.upstream.requests[0]?.aborted === true);
  });

  it('A6: error on response_headers: 500', async () => {
    harness = await startHarness(async (stream) => {
      for (let message = await stream.next(); message !== undefined; message = await stream.next()) {
        const kind = kindOf(message);
        if (kind === 'response_headers') return stream.fail(grpc.status.INTERNAL, 'error_message');
        stream.reply(kind === 'request_body' ? routedBodyReply() : { [kind]: {} });
      }
    });
    const response = await harness.request({ body: chatBody() });
    expect(response.status).toBe(500);
    expect(harness.upstream.requests).toHaveLength(1);
  });

  it('A8: after the reply to the last expected message the gateway half-closes the call (graceful close, as the rendered envoy.yaml configures)', async () => {
    harness = await startHarness(replyPlan({ request_body: routedBodyReply }));
    const response = await harness.request({ body: chatBody() });
    expect(response.status).toBe(200);
    const stream = harness.extproc.streams[0]!;
    await expect(stream.ended).resolves.toBe('half-closed');
    const last = stream.received[stream.received.length - 1]!;
    expect(kindOf(last)).toBe('response_body');
    expect(last.response_body!.end_of_stream).toBe(true);
  });

  it('A8: with response body mode NONE the call is half-closed right after the response_headers reply', async () => {
    harness = await startHarness(replyPlan({ request_body: routedBodyReply }), {
      settings: { processingMode: { requestHeaderMode: 'SEND', requestBodyMode: 'BUFFERED', responseHeaderMode: 'SEND', responseBodyMode: 'NONE' } },
    });
    await harness.request({ body: chatBody() });
    const stream = harness.extproc.streams[0]!;
    await expect(stream.ended).resolves.toBe('half-closed');
    expect(stream.received.map(kindOf)).toEqual(['request_headers', 'request_body', 'response_headers']);
  });
});
