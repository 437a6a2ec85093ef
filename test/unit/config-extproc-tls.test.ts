import { formatDiagnostic } from '../../src/config/diagnostic.js';
import { loadConfigText } from '../../src/config/load.js';

/**
 * `envoy.extproc_tls` and the ext_proc bind: what an operator is told when the port that
 * hands out provider keys is exposed, or its TLS cannot work as written.
 */

const BASE = `version: v0.1
providers:
  models:
    - name: "local"
      endpoints: [{name: "a", endpoint: "localhost:8000"}]
`;

async function load(envoy: string, configDir = '/etc/switchyard'): Promise<{ messages: string[]; config: Awaited<ReturnType<typeof loadConfigText>>['config'] }> {
  const { config, diagnostics } = await loadConfigText(`${BASE}envoy:\n${envoy}`, 'tls.yaml', { env: {}, configDir });
  await config?.close();
  return { config, messages: diagnostics.map(formatDiagnostic) };
}

describe('envoy.extproc_tls', () => {
  it('warns at extproc_address when ext_proc listens beyond loopback without TLS, and still loads', async () => {
    const { config, messages } = await load('  extproc_address: "0.0.0.0"\n');
    expect(config).toBeDefined();
    expect(messages).toEqual([expect.stringMatching(/^tls\.yaml:7:20: warning SY_CFG_INSECURE: ext_proc listens on 0\.0\.0\.0 without TLS/)]);
  });

  it('says nothing for a loopback bind', async () => {
    for (const address of ['127.0.0.1', '::1', 'localhost', '127.0.0.2']) {
      expect((await load(`  extproc_address: "${address}"\n`)).messages).toEqual([]);
    }
  });

  it('accepts a TLS sidecar on every interface, resolving relative paths against the config folder', async () => {
    const { config, messages } = await load(`  extproc_address: "0.0.0.0"
  extproc_tls:
    server: {cert_file: "tls/sidecar.crt", key_file: "/keys/sidecar.key", client_ca_file: "tls/ca.crt"}
    client: {ca_file: "tls/ca.crt", cert_file: "tls/envoy.crt", key_file: "tls/envoy.key", server_name: "sidecar.internal"}
`);
    expect(messages).toEqual([]);
    expect(config?.envoy.extprocTls).toEqual({
      server: { certFile: '/etc/switchyard/tls/sidecar.crt', keyFile: '/keys/sidecar.key', clientCaFile: '/etc/switchyard/tls/ca.crt', requireClientCert: true },
      client: { caFile: '/etc/switchyard/tls/ca.crt', certFile: '/etc/switchyard/tls/envoy.crt', keyFile: '/etc/switchyard/tls/envoy.key', serverName: 'sidecar.internal' },
    });
  });

  it('refuses client certificate verification without a CA to verify against', async () => {
    const { config, messages } = await load(`  extproc_tls:
    server: {cert_file: "a.crt", key_file: "a.key"}
    client: {ca_file: "ca.crt"}
`);
    expect(config).toBeUndefined();
    expect(messages).toEqual([expect.stringMatching(/^tls\.yaml:8:5: error SY_CFG_TLS: require_client_cert \(on by default\) needs client_ca_file/)]);
  });

  it('allows server-only TLS when require_client_cert is off', async () => {
    const { messages } = await load(`  extproc_tls:
    server: {cert_file: "a.crt", key_file: "a.key", require_client_cert: false}
    client: {ca_file: "ca.crt"}
`);
    expect(messages).toEqual([]);
  });

  it('warns when a TLS sidecar gives Envoy and the gateway no client side', async () => {
    const { config, messages } = await load(`  extproc_tls:
    server: {cert_file: "a.crt", key_file: "a.key", client_ca_file: "ca.crt"}
`);
    expect(config).toBeDefined();
    expect(messages).toEqual([expect.stringMatching(/^tls\.yaml:8:5: warning SY_CFG_TLS: no extproc_tls\.client/)]);
  });

  it('needs a client certificate and its key together, and a CA to trust the sidecar', async () => {
    const { messages } = await load(`  extproc_tls:
    client: {cert_file: "envoy.crt"}
`);
    expect(messages.join('\n')).toContain('envoy.extproc_tls.client is missing required key "ca_file"');
    expect(messages.join('\n')).toContain('key_file');
  });
});
