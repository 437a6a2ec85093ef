import { parse } from 'yaml';
import type { ModelEndpoint } from '../../src/config/runtime-config.js';
import {
  buildEnvoyConfig,
  EXTPROC_CLUSTER_NAME,
  renderEnvoyConfig,
  type EnvoyConfigSource,
} from '../../src/envoy/render-envoy-config.js';
import { defaultEnvoySource } from '../fixtures/envoy/envoy-config-sources.js';

/** What the rendered envoy.yaml must say, beyond decoding: the routing contract with the sidecar. */

type Json = Record<string, any>;

function build(source: EnvoyConfigSource): Json {
  return buildEnvoyConfig(source) as Json;
}

function hcmOf(config: Json, listenerIndex = 0): Json {
  return config['static_resources'].listeners[listenerIndex].filter_chains[0].filters[0].typed_config;
}

function routesOf(config: Json): Json[] {
  return hcmOf(config)['route_config'].virtual_hosts[0].routes;
}

function clusterNamed(config: Json, name: string): Json {
  const cluster = (config['static_resources'].clusters as Json[]).find((candidate) => candidate['name'] === name);
  if (cluster === undefined) throw new Error(`no cluster ${name}`);
  return cluster;
}

function withModels(source: EnvoyConfigSource, endpoints: readonly ModelEndpoint[]): EnvoyConfigSource {
  return {
    ...source,
    models: new Map(endpoints.map((endpoint) => [endpoint.name, { name: endpoint.name, endpoints: [endpoint], capabilities: [] }])),
  };
}

const LOCAL: ModelEndpoint = {
  name: 'local', weight: 1, protocol: 'http', host: '127.0.0.1', port: 8000, pathPrefix: '', cluster: 'local',
};

describe('renderEnvoyConfig', () => {
  it('writes YAML that parses back to exactly the built object', () => {
    const text = renderEnvoyConfig(defaultEnvoySource);
    expect(text.startsWith('# Rendered by Switchyard from examples/default.yaml')).toBe(true);
    expect(text).not.toMatch(/[&*]a\d/);
    expect(parse(text)).toEqual(build(defaultEnvoySource));
  });
});

describe('buildEnvoyConfig', () => {
  const config = build(defaultEnvoySource);
  const header = defaultEnvoySource.router.clusterHeader;

  it('puts admin on loopback at the configured port', () => {
    expect(config['admin']).toEqual({ address: { socket_address: { address: '127.0.0.1', port_value: 9901 } } });
  });

  it('renders one listener per configured listener with the buffer limit and timeouts', () => {
    const source = { ...defaultEnvoySource, listeners: [
      { name: 'a', address: '0.0.0.0', port: 8899, timeoutMs: 300_000 },
      { name: 'b', address: '127.0.0.1', port: 8900, timeoutMs: 1500 },
    ] };
    const twoListeners = build(source);
    expect(twoListeners['static_resources'].listeners.map((listener: Json) => [
      listener['name'], listener['address'].socket_address, listener['per_connection_buffer_limit_bytes'],
    ])).toEqual([
      ['a', { address: '0.0.0.0', port_value: 8899 }, 16 * 1024 * 1024],
      ['b', { address: '127.0.0.1', port_value: 8900 }, 16 * 1024 * 1024],
    ]);
    expect(hcmOf(twoListeners, 0)['stream_idle_timeout']).toBe('300s');
    expect(hcmOf(twoListeners, 1)['stream_idle_timeout']).toBe('1.500s');
    expect(hcmOf(twoListeners, 1)['request_timeout']).toBe('0s');
  });

  it('strips the cluster header from clients before routing and from upstream requests', () => {
    expect(hcmOf(config)['early_header_mutation_extensions'][0].typed_config.mutations).toEqual([{ remove: header }]);
    const routed = routesOf(config).find((route) => route['name'] === 'routed');
    expect(routed?.['request_headers_to_remove']).toEqual([header]);
    expect(routed?.['route']).toEqual({
      cluster_header: header,
      cluster_not_found_response_code: 'SERVICE_UNAVAILABLE',
      auto_host_rewrite: true,
      timeout: '0s',
    });
  });

  it('orders routes healthz → routed → unrouted per served path form → unknown_path, with ext_proc disabled only on healthz', () => {
    const routes = routesOf(config);
    expect(routes.map((route) => route['name'])).toEqual([
      'healthz',
      'routed',
      'unrouted /v1/chat/completions',
      'unrouted /chat/completions',
      'unrouted /v1/models',
      'unrouted /models',
      'unrouted /v1/models/',
      'unrouted /models/',
      'unrouted /v1/responses',
      'unrouted /responses',
      'unrouted /v1/responses/',
      'unrouted /responses/',
      'unrouted /v1/messages',
      'unrouted /messages',
      'unknown_path',
    ]);
    expect(routes[0]?.['typed_per_filter_config']['envoy.filters.http.ext_proc'].disabled).toBe(true);
    for (const route of routes.slice(1)) expect(route['typed_per_filter_config']).toBeUndefined();
  });

  it('matches /chat/completions and /models exactly like their /v1 forms', () => {
    const matchOf = (name: string): unknown => routesOf(config).find((route) => route['name'] === name)?.['match'];
    expect(matchOf('unrouted /v1/chat/completions')).toEqual({ path: '/v1/chat/completions' });
    expect(matchOf('unrouted /chat/completions')).toEqual({ path: '/chat/completions' });
    expect(matchOf('unrouted /models')).toEqual({ path: '/models' });
    expect(matchOf('unrouted /models/')).toEqual({ prefix: '/models/' });
  });

  it('answers unrouted requests on a served path with a 503 error body in the format of its API', () => {
    const unrouted = routesOf(config).filter((route) => String(route['name']).startsWith('unrouted '));
    const names = unrouted.map((route) => String(route['name']));
    expect(names).toEqual([...new Set(names)]);
    expect(names).toContain('unrouted /v1/messages');
    for (const route of unrouted) {
      expect(route['direct_response'].status).toBe(503);
      const anthropic = String(route['name']).endsWith('/messages');
      expect(JSON.parse(route['direct_response'].body.inline_string)).toEqual(
        anthropic
          ? { type: 'error', error: { type: 'overloaded_error', message: expect.any(String) } }
          : { error: { message: expect.any(String), type: 'server_error', param: null, code: 'no_route' } },
      );
      expect(route['response_headers_to_add'][0].header).toEqual({ key: 'content-type', value: 'application/json' });
    }
  });

  it('answers any other path with a 404 OpenAI error body naming the served paths, never a 503', () => {
    const unknown = routesOf(config).at(-1);
    expect(unknown?.['match']).toEqual({ prefix: '/' });
    expect(unknown?.['direct_response'].status).toBe(404);
    const body = JSON.parse(unknown?.['direct_response'].body.inline_string);
    expect(body.error).toMatchObject({ type: 'invalid_request_error', param: null, code: 'unknown_url' });
    expect(body.error.message).toContain('POST /v1/chat/completions');
    expect(body.error.message).toContain('GET /v1/models/{model}');
  });

  it('runs ext_proc with the configured settings, then the router', () => {
    const [extproc, router] = hcmOf(config)['http_filters'] as Json[];
    expect(extproc?.['typed_config']).toMatchObject({
      grpc_service: { envoy_grpc: { cluster_name: EXTPROC_CLUSTER_NAME } },
      failure_mode_allow: false,
      message_timeout: '2s',
      max_message_timeout: '30s',
      allow_mode_override: true,
      processing_mode: {
        request_header_mode: 'SEND', request_body_mode: 'BUFFERED', response_header_mode: 'SEND', response_body_mode: 'STREAMED',
      },
      route_cache_action: 'CLEAR',
      mutation_rules: {},
    });
    expect(extproc?.['typed_config']).not.toHaveProperty('status_on_error');
    expect(router?.['typed_config'].suppress_envoy_headers).toBe(true);
  });

  it('reaches the sidecar over HTTP/2, on loopback when it listens on every interface', () => {
    const anyInterface = build({ ...defaultEnvoySource, envoy: { ...defaultEnvoySource.envoy, extprocAddress: '0.0.0.0', extprocPort: 6000 } });
    const cluster = clusterNamed(anyInterface, EXTPROC_CLUSTER_NAME);
    expect(cluster['type']).toBe('STATIC');
    expect(cluster['load_assignment'].endpoints[0].lb_endpoints[0].endpoint.address.socket_address)
      .toEqual({ address: '127.0.0.1', port_value: 6000 });
    expect(cluster['typed_extension_protocol_options']['envoy.extensions.upstreams.http.v3.HttpProtocolOptions']
      .explicit_http_config).toHaveProperty('http2_protocol_options');
    const named = build({ ...defaultEnvoySource, envoy: { ...defaultEnvoySource.envoy, extprocAddress: 'switchyard' } });
    expect(clusterNamed(named, EXTPROC_CLUSTER_NAME)['type']).toBe('STRICT_DNS');
  });

  it('renders one cluster per endpoint: STATIC for IPs, STRICT_DNS + TLS + SNI for https hostnames', () => {
    expect((config['static_resources'].clusters as Json[]).map((cluster) => cluster['name']))
      .toEqual([EXTPROC_CLUSTER_NAME, 'local-model__local', 'cloud-model__cloud']);
    const local = clusterNamed(config, 'local-model__local');
    expect(local['type']).toBe('STATIC');
    expect(local['transport_socket']).toBeUndefined();
    expect(local['load_assignment'].endpoints[0].lb_endpoints[0].endpoint).not.toHaveProperty('hostname');
    const cloud = clusterNamed(config, 'cloud-model__cloud');
    expect(cloud['type']).toBe('STRICT_DNS');
    expect(cloud['dns_lookup_family']).toBe('V4_ONLY');
    expect(cloud['load_assignment'].endpoints[0].lb_endpoints[0].endpoint).toEqual({
      address: { socket_address: { address: 'api.openai.com', port_value: 443 } },
      hostname: 'api.openai.com',
    });
    expect(cloud['transport_socket'].typed_config).toMatchObject({
      sni: 'api.openai.com',
      common_tls_context: { validation_context: { match_typed_subject_alt_names: [{ san_type: 'DNS', matcher: { exact: 'api.openai.com' } }] } },
    });
  });

  it('never sends an IP literal as SNI', () => {
    const ipTls = build(withModels(defaultEnvoySource, [{ ...LOCAL, protocol: 'https', host: '10.0.0.7', port: 443 }]));
    const tls = clusterNamed(ipTls, 'local')['transport_socket'].typed_config;
    expect(tls).not.toHaveProperty('sni');
    expect(tls.common_tls_context.validation_context.match_typed_subject_alt_names[0].san_type).toBe('IP_ADDRESS');
  });

  it('renders a cluster shared by two endpoints once and refuses conflicting or reserved names', () => {
    const shared = build(withModels(defaultEnvoySource, [LOCAL, { ...LOCAL, name: 'local-again' }]));
    expect(shared['static_resources'].clusters).toHaveLength(2);
    expect(() => build(withModels(defaultEnvoySource, [LOCAL, { ...LOCAL, name: 'other', port: 9000 }])))
      .toThrow(/Cluster "local" is defined twice/);
    expect(() => build(withModels(defaultEnvoySource, [{ ...LOCAL, cluster: EXTPROC_CLUSTER_NAME }])))
      .toThrow(/reserved cluster name/);
  });
});

describe('ext_proc stream closing', () => {
  const config = build(defaultEnvoySource);

  it('asks Envoy to half-close ext_proc streams instead of resetting them', () => {
    const layers = config['layered_runtime'].layers as Json[];
    expect(layers[0]?.['static_layer']['envoy.reloadable_features.ext_proc_graceful_grpc_close']).toBe(true);
  });

  it('retires a sidecar connection before nghttp2 reset guard (1000 resets) can trip', () => {
    const options = clusterNamed(config, EXTPROC_CLUSTER_NAME)['typed_extension_protocol_options'];
    const common = options['envoy.extensions.upstreams.http.v3.HttpProtocolOptions'].common_http_protocol_options;
    expect(common.max_requests_per_connection).toBeLessThan(1000);
  });
});
