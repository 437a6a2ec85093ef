import { afterEach, describe, expect, it } from '@jest/globals';
import { replyPlan, setHeader } from '../helpers/scripted-extproc-server.js';
import { chatBody, CLUSTER_HEADER, routeToStub, EXT_PROC_TRANSPORTS, harnessOver, STUB_CLUSTER, type Harness } from './gateway-harness.js';

describe.each(EXT_PROC_TRANSPORTS)('route cache and cluster_header routing (§3 K, §2.9) over %s', (transport) => {
  const startHarness = harnessOver(transport);
  let harness: Harness | undefined;
  afterEach(async () => {
    await harness?.close();
    harness = undefined;
  });

  it('K1: clear_route_cache together with a header_mutation re-selects the route', async () => {
    harness = await startHarness(replyPlan({ request_body: () => ({ request_body: { response: { header_mutation: routeToStub(), clear_route_cache: true } } }) }));
    const response = await harness.request({ body: chatBody() });
    expect(response.status).toBe(200);
  });

  it('K2: clear_route_cache without a header_mutation does not clear (503 unrouted, clear_route_cache_ignored)', async () => {
    harness = await startHarness(replyPlan({ request_body: () => ({ request_body: { response: { clear_route_cache: true } } }) }));
    const response = await harness.request({ body: chatBody(), headers: { [CLUSTER_HEADER]: STUB_CLUSTER } });
    expect(response.status).toBe(503);
    expect(harness.gateway.counters().clear_route_cache_ignored).toBe(1);
    expect(harness.upstream.requests).toHaveLength(0);
  });

  it('K2: with route_cache_action DEFAULT a header_mutation without clear_route_cache keeps the cached (unrouted) route', async () => {
    harness = await startHarness(replyPlan({ request_body: () => ({ request_body: { response: { header_mutation: routeToStub() } } }) }));
    const response = await harness.request({ body: chatBody() });
    expect(response.status).toBe(503);
    expect(JSON.parse(response.body).error.code).toBe('no_route');
  });

  it('K4: with route_cache_action CLEAR any header_mutation re-selects the route', async () => {
    harness = await startHarness(replyPlan({ request_body: () => ({ request_body: { response: { header_mutation: routeToStub() } } }) }), {
      settings: { routeCacheAction: 'CLEAR' },
    });
    const response = await harness.request({ body: chatBody() });
    expect(response.status).toBe(200);
  });

  it('K3: with route_cache_action RETAIN the route is never re-selected', async () => {
    harness = await startHarness(replyPlan({ request_body: () => ({ request_body: { response: { header_mutation: routeToStub(), clear_route_cache: true } } }) }), {
      settings: { routeCacheAction: 'RETAIN' },
    });
    const response = await harness.request({ body: chatBody() });
    expect(response.status).toBe(503);
    expect(harness.gateway.counters().clear_route_cache_disabled).toBe(1);
  });

  it.each([
    ['/v1/chat/completions', 503, 'no_route'],
    ['/chat/completions', 503, 'no_route'],
    ['/models/some-model', 503, 'no_route'],
    ['/v1/responses', 503, 'no_route'],
    ['/v1/completions', 404, 'unknown_url'],
    ['/v1/embeddings?x=1', 404, 'unknown_url'],
  ])('a request the sidecar does not route on %s gets the envoy.yaml direct response %d %s', async (path, status, code) => {
    harness = await startHarness(replyPlan());
    const response = await harness.request({ path, body: chatBody() });
    expect(response.status).toBe(status);
    const error = JSON.parse(response.body).error;
    expect(error.code).toBe(code);
    if (status === 404) expect(error.message).toContain('Switchyard serves POST /v1/chat/completions');
  });

  it('cluster_header naming an unknown cluster gives 503 (cluster_not_found)', async () => {
    harness = await startHarness(
      replyPlan({ request_body: () => ({ request_body: { response: { header_mutation: { set_headers: [setHeader(CLUSTER_HEADER, 'nope')] }, clear_route_cache: true } } }) }),
    );
    const response = await harness.request({ body: chatBody() });
    expect(response.status).toBe(503);
    expect(JSON.parse(response.body).error.message).toContain('nope');
  });

  it('a cluster that refuses connections gives 503 upstream_unavailable', async () => {
    harness = await startHarness(
      replyPlan({ request_body: () => ({ request_body: { response: { header_mutation: { set_headers: [setHeader(CLUSTER_HEADER, 'dead')] }, clear_route_cache: true } } }) }),
      { clusters: { dead: { baseUrl: 'http://127.0.0.1:1', hostname: 'dead.internal' } } },
    );
    const response = await harness.request({ body: chatBody() });
    expect(response.status).toBe(503);
    expect(JSON.parse(response.body).error.code).toBe('upstream_unavailable');
  });

  it('an upstream that does not answer in time gives 504 upstream_timeout', async () => {
    harness = await startHarness(replyPlan({ request_body: () => ({ request_body: { response: { header_mutation: routeToStub(), clear_route_cache: true } } }) }), {
      stubLatencyMs: 1000,
      upstreamTimeoutMs: 150,
    });
    const response = await harness.request({ body: chatBody() });
    expect(response.status).toBe(504);
    expect(JSON.parse(response.body).error.code).toBe('upstream_timeout');
  });
});
