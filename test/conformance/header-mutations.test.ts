import { afterEach, describe, expect, it } from '@jest/globals';
import { replyPlan, setHeader, type ScriptedReply } from '../helpers/scripted-extproc-server.js';
import { chatBody, CLUSTER_HEADER, EXT_PROC_TRANSPORTS, harnessOver, STUB_CLUSTER, STUB_HOSTNAME, type Harness } from './gateway-harness.js';

/** A request_body reply that routes to the stub and applies extra sets/removes. */
function bodyReplyWith(sets: ScriptedReply[], removes: string[] = []): () => ScriptedReply {
  return () => ({
    request_body: {
      response: { header_mutation: { set_headers: [setHeader(CLUSTER_HEADER, STUB_CLUSTER), ...sets], remove_headers: removes }, clear_route_cache: true },
    },
  });
}

describe.each(EXT_PROC_TRANSPORTS)('header mutations (§3 C) over %s', (transport) => {
  const startHarness = harnessOver(transport);
  let harness: Harness | undefined;
  afterEach(async () => {
    await harness?.close();
    harness = undefined;
  });

  it('C1: append false replaces, append true adds another entry, remove removes (removals before sets)', async () => {
    harness = await startHarness(
      replyPlan({
        request_body: bodyReplyWith(
          [setHeader('x-replace', 'new'), setHeader('x-multi', 'a'), setHeader('x-multi', 'b', true), setHeader('x-gone', 'set-after-remove')],
          ['x-remove', 'x-gone'],
        ),
      }),
    );
    const response = await harness.request({ body: chatBody(), headers: { 'x-replace': 'old', 'x-remove': 'bye', 'x-gone': 'old' } });
    expect(response.status).toBe(200);
    const headers = harness.upstream.requests[0]!.headers;
    expect(headers['x-replace']).toBe('new');
    expect(headers['x-multi']).toBe('a, b');
    expect(headers['x-remove']).toBeUndefined();
    expect(headers['x-gone']).toBe('set-after-remove');
  });

  it('C2: :path is changed; :scheme, :authority and :method changes are silently ignored', async () => {
    harness = await startHarness(
      replyPlan({
        request_body: bodyReplyWith([setHeader(':path', '/v1/chat/completions?rewritten=1'), setHeader(':scheme', 'https'), setHeader(':authority', 'evil.example'), setHeader(':method', 'PUT')]),
      }),
    );
    const response = await harness.request({ body: chatBody() });
    expect(response.status).toBe(200);
    const upstream = harness.upstream.requests[0]!;
    expect(upstream.path).toBe('/v1/chat/completions?rewritten=1');
    expect(upstream.method).toBe('POST');
    expect(upstream.headers.host).toBe(STUB_HOSTNAME);
    expect(harness.gateway.counters().rejected_header_mutations).toBe(3);
  });

  it('C4: setting Host and removing x-envoy-* are ignored and counted (rejected_header_mutations == 2)', async () => {
    harness = await startHarness(replyPlan({ request_body: bodyReplyWith([setHeader('host', 'other.example')], ['x-envoy-original-path']) }));
    const response = await harness.request({ body: chatBody(), headers: { 'x-envoy-original-path': '/keep' } });
    expect(response.status).toBe(200);
    expect(harness.upstream.requests[0]!.headers['x-envoy-original-path']).toBe('/keep');
    expect(harness.gateway.counters().rejected_header_mutations).toBe(2);
  });

  it('C5: an invalid character in a header value rejects the reply with 500', async () => {
    harness = await startHarness(replyPlan({ request_body: bodyReplyWith([setHeader('x-bad', 'line\r\nbreak')]) }));
    const response = await harness.request({ body: chatBody() });
    expect(response.status).toBe(500);
    expect(harness.upstream.requests).toHaveLength(0);
  });

  it('C6: a HeaderValue with both value and raw_value set rejects the reply: 500, upstream not contacted', async () => {
    harness = await startHarness(
      replyPlan({ request_body: bodyReplyWith([{ header: { key: 'x-both', value: 'v', raw_value: Buffer.from('r') } }]) }),
    );
    const response = await harness.request({ body: chatBody() });
    expect(response.status).toBe(500);
    expect(JSON.parse(response.body).error.code).toBe('ext_proc_failed');
    expect(harness.upstream.requests).toHaveLength(0);
  });

  it('C6: a HeaderValue with only value set writes an empty header value', async () => {
    harness = await startHarness(replyPlan({ request_body: bodyReplyWith([{ header: { key: 'x-value-only', value: 'ignored' } }]) }));
    const response = await harness.request({ body: chatBody() });
    expect(response.status).toBe(200);
    expect(harness.upstream.requests[0]!.headers['x-value-only']).toBe('');
  });

  it('C9: append_action has no effect; only the append BoolValue counts', async () => {
    harness = await startHarness(
      replyPlan({
        request_body: bodyReplyWith([
          { ...setHeader('x-kept', 'second', true), append_action: 'OVERWRITE_IF_EXISTS_OR_ADD' },
          { header: { key: 'x-replaced', raw_value: Buffer.from('new') }, append_action: 'APPEND_IF_EXISTS_OR_ADD' },
        ]),
      }),
    );
    await harness.request({ body: chatBody(), headers: { 'x-kept': 'first', 'x-replaced': 'old' } });
    const headers = harness.upstream.requests[0]!.headers;
    expect(headers['x-kept']).toBe('first, second');
    expect(headers['x-replaced']).toBe('new');
  });
});
