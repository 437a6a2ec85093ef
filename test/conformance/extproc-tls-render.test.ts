import { buildEnvoyConfig, EXTPROC_CLUSTER_NAME, type EnvoyConfigSource } from '../../src/envoy/render-envoy-config.js';
import { checkEnvoyBootstrap } from '../../src/envoy/strict-proto-check.js';
import { defaultEnvoySource } from '../fixtures/envoy/envoy-config-sources.js';

/**
 * `envoy.extproc_tls.client` renders the ext_proc cluster's UpstreamTlsContext: Envoy trusts
 * the sidecar's CA, presents its client certificate, checks the sidecar's name, and offers
 * ALPN h2 (gRPC over TLS). The output must decode strictly against Envoy's protos.
 */

type Json = Record<string, any>;

function extprocCluster(source: EnvoyConfigSource): Json {
  const clusters = (buildEnvoyConfig(source) as Json)['static_resources'].clusters as Json[];
  const cluster = clusters.find((candidate) => candidate['name'] === EXTPROC_CLUSTER_NAME);
  if (cluster === undefined) throw new Error('no ext_proc cluster');
  return cluster;
}

function withTls(client: NonNullable<NonNullable<EnvoyConfigSource['envoy']['extprocTls']>['client']>): EnvoyConfigSource {
  const source = defaultEnvoySource;
  return { ...source, envoy: { ...source.envoy, extprocAddress: 'sidecar.internal', extprocTls: { client } } };
}

describe('ext_proc cluster TLS in envoy.yaml', () => {
  it('stays plaintext without extproc_tls.client', () => {
    expect(extprocCluster(defaultEnvoySource)['transport_socket']).toBeUndefined();
  });

  it('renders mutual TLS with the sidecar name checked, and decodes strictly', () => {
    const source = withTls({ caFile: '/etc/envoy/tls/ca.crt', certFile: '/etc/envoy/tls/envoy.crt', keyFile: '/etc/envoy/tls/envoy.key', serverName: 'sidecar.internal' });
    expect(checkEnvoyBootstrap(buildEnvoyConfig(source))).toEqual([]);
    const cluster = extprocCluster(source);
    expect(cluster['type']).toBe('STRICT_DNS');
    expect(cluster['transport_socket']).toEqual({
      name: 'envoy.transport_sockets.tls',
      typed_config: {
        '@type': 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext',
        sni: 'sidecar.internal',
        common_tls_context: {
          alpn_protocols: ['h2'],
          tls_certificates: [{ certificate_chain: { filename: '/etc/envoy/tls/envoy.crt' }, private_key: { filename: '/etc/envoy/tls/envoy.key' } }],
          validation_context: {
            trusted_ca: { filename: '/etc/envoy/tls/ca.crt' },
            match_typed_subject_alt_names: [{ san_type: 'DNS', matcher: { exact: 'sidecar.internal' } }],
          },
        },
      },
    });
  });

  it('renders server-only TLS without a client certificate or name check, and decodes strictly', () => {
    const source = withTls({ caFile: '/etc/envoy/tls/ca.crt' });
    expect(checkEnvoyBootstrap(buildEnvoyConfig(source))).toEqual([]);
    const context = extprocCluster(source)['transport_socket'].typed_config;
    expect(context['sni']).toBeUndefined();
    expect(context.common_tls_context).toEqual({ alpn_protocols: ['h2'], validation_context: { trusted_ca: { filename: '/etc/envoy/tls/ca.crt' } } });
  });
});
