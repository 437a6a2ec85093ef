import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { loadConfigFile } from '../../src/config/load.js';
import type { RuntimeConfig } from '../../src/config/runtime-config.js';
import { buildEnvoyConfig, renderEnvoyConfig } from '../../src/envoy/render-envoy-config.js';
import { checkEnvoyBootstrap, type ProtoProblem } from '../../src/envoy/strict-proto-check.js';
import { defaultEnvoySource } from '../fixtures/envoy/envoy-config-sources.js';

/**
 * Every envoy.yaml we ship or render must decode into Envoy's own Bootstrap message
 * (the protos of @grpc/grpc-js-xds), and the checker must catch what Envoy would reject.
 */

const repoFile = (path: string): string => fileURLToPath(new URL(`../../${path}`, import.meta.url));

type Json = Record<string, any>;

function renderedDefault(): Json {
  return parse(renderEnvoyConfig(defaultEnvoySource)) as Json;
}

function hcmOf(config: Json): Json {
  return config['static_resources'].listeners[0].filter_chains[0].filters[0].typed_config;
}

function errors(problems: readonly ProtoProblem[]): ProtoProblem[] {
  return problems.filter((problem) => problem.severity === 'error');
}

describe('rendered and shipped envoy.yaml decode as envoy.config.bootstrap.v3.Bootstrap', () => {
  const loaded = new Map<string, RuntimeConfig>();

  beforeAll(async () => {
    for (const example of ['examples/seed-tutorial.yaml', 'examples/default.yaml']) {
      const { config, diagnostics } = await loadConfigFile(repoFile(example), { env: {} });
      if (config === undefined) throw new Error(`${example} does not load: ${JSON.stringify(diagnostics)}`);
      loaded.set(example, config);
    }
  });

  afterAll(async () => {
    await Promise.all([...loaded.values()].map((config) => config.close()));
  });

  it.each(['examples/seed-tutorial.yaml', 'examples/default.yaml'])('the render of %s has no problems', (example) => {
    const config = loaded.get(example);
    if (config === undefined) throw new Error(`${example} was not loaded`);
    expect(checkEnvoyBootstrap(parse(renderEnvoyConfig(config)))).toEqual([]);
  });

  it('the render of the hand-built default config has no problems', () => {
    expect(checkEnvoyBootstrap(renderedDefault())).toEqual([]);
  });

  it('envoy/envoy.yaml has no problems and is the current render of examples/default.yaml', () => {
    const shipped: unknown = parse(readFileSync(repoFile('envoy/envoy.yaml'), 'utf8'));
    expect(checkEnvoyBootstrap(shipped)).toEqual([]);
    const config = loaded.get('examples/default.yaml');
    if (config === undefined) throw new Error('examples/default.yaml was not loaded');
    expect(shipped).toEqual(buildEnvoyConfig(config));
  });
});

describe('the strict checker rejects what Envoy would reject', () => {
  it('names a misspelled field with its path and the field meant', () => {
    const config = renderedDefault();
    config['static_resources'].listeners[0].per_conection_buffer_limit_bytes = 1024;
    expect(checkEnvoyBootstrap(config)).toEqual([{
      path: '$.static_resources.listeners[0].per_conection_buffer_limit_bytes',
      message: expect.stringContaining('did you mean "per_connection_buffer_limit_bytes"'),
      severity: 'error',
    }]);
  });

  it('rejects an @type that names no known message', () => {
    const config = renderedDefault();
    hcmOf(config)['http_filters'][1].typed_config['@type'] = 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Routr';
    const problems = checkEnvoyBootstrap(config);
    expect(problems).toHaveLength(1);
    expect(problems[0]?.path).toMatch(/http_filters\[1\]\.typed_config\["@type"\]$/);
  });

  it('checks the fields against the message @type names, so a wrong but real @type fails', () => {
    const config = renderedDefault();
    hcmOf(config)['http_filters'][0].typed_config['@type'] = 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router';
    const paths = errors(checkEnvoyBootstrap(config)).map((problem) => problem.path.replace(/^.*typed_config\./, ''));
    expect(paths).toEqual(expect.arrayContaining(['grpc_service', 'processing_mode', 'message_timeout']));
  });

  it('rejects an @type without the type.googleapis.com/ prefix', () => {
    const config = renderedDefault();
    hcmOf(config)['http_filters'][1].typed_config['@type'] = 'envoy.extensions.filters.http.router.v3.Router';
    expect(errors(checkEnvoyBootstrap(config))).toHaveLength(1);
  });

  it('rejects an enum value that does not exist', () => {
    const config = renderedDefault();
    hcmOf(config)['http_filters'][0].typed_config.processing_mode.request_body_mode = 'BUFFER';
    expect(checkEnvoyBootstrap(config)).toEqual([expect.objectContaining({
      path: expect.stringMatching(/processing_mode\.request_body_mode$/),
      message: expect.stringContaining('BUFFERED'),
    })]);
  });

  it('rejects durations that are not "<seconds>s" strings', () => {
    const config = renderedDefault();
    config['static_resources'].clusters[0].connect_timeout = 5;
    hcmOf(config)['stream_idle_timeout'] = '300ms';
    expect(errors(checkEnvoyBootstrap(config)).map((problem) => problem.path)).toEqual([
      expect.stringMatching(/stream_idle_timeout$/),
      '$.static_resources.clusters[0].connect_timeout',
    ]);
  });

  it('rejects values of the wrong JSON type', () => {
    const config = renderedDefault();
    config['static_resources'].listeners[0].per_connection_buffer_limit_bytes = 'lots';
    hcmOf(config)['route_config'].virtual_hosts[0].domains = '*';
    hcmOf(config)['http_filters'][0].typed_config.failure_mode_allow = 'false';
    expect(errors(checkEnvoyBootstrap(config))).toHaveLength(3);
  });

  it('enforces the protoc-gen-validate rules Envoy applies at load time', () => {
    const config = renderedDefault();
    config['admin'].address.socket_address.port_value = 70000;
    config['static_resources'].clusters[1].name = '';
    delete config['static_resources'].clusters[2].load_assignment.endpoints[0].lb_endpoints[0].endpoint.address.socket_address.port_value;
    expect(errors(checkEnvoyBootstrap(config)).map((problem) => [problem.path, problem.message])).toEqual([
      ['$.admin.address.socket_address.port_value', 'must be at most 65535'],
      ['$.static_resources.clusters[1].name', 'length must be at least 1 (is 0)'],
      [
        '$.static_resources.clusters[2].load_assignment.endpoints[0].lb_endpoints[0].endpoint.address.socket_address',
        expect.stringContaining('needs one of port_value, named_port'),
      ],
    ]);
  });

  it('rejects two members of one oneof', () => {
    const config = renderedDefault();
    hcmOf(config)['route_config'].virtual_hosts[0].routes[0].match.prefix = '/';
    expect(errors(checkEnvoyBootstrap(config))).toEqual([expect.objectContaining({ message: expect.stringContaining('oneof path_specifier') })]);
  });

  it('accepts lowerCamel JSON names, wrapper scalars and free-form Struct values', () => {
    const config = renderedDefault();
    const listener = config['static_resources'].listeners[0];
    listener.perConnectionBufferLimitBytes = listener.per_connection_buffer_limit_bytes;
    delete listener.per_connection_buffer_limit_bytes;
    hcmOf(config)['generate_request_id'] = false;
    hcmOf(config)['access_log'][0].typed_config.log_format.json_format.nested = { any: ['json', 1, true] };
    expect(checkEnvoyBootstrap(config)).toEqual([]);
  });

  it('rejects the same field under both of its names', () => {
    const config = renderedDefault();
    const listener = config['static_resources'].listeners[0];
    listener.perConnectionBufferLimitBytes = listener.per_connection_buffer_limit_bytes;
    expect(errors(checkEnvoyBootstrap(config))).toEqual([expect.objectContaining({ message: expect.stringContaining('given twice') })]);
  });

  it('flags deprecated fields as warnings', () => {
    const config = renderedDefault();
    config['static_resources'].clusters[0].upstream_connection_options = { tcp_keepalive: {} };
    config['static_resources'].clusters[0].http2_protocol_options = {};
    expect(checkEnvoyBootstrap(config)).toEqual([expect.objectContaining({
      path: '$.static_resources.clusters[0].http2_protocol_options',
      severity: 'warning',
    })]);
  });
});
