import { isAbsolute, resolve } from 'node:path';
import type { EnvoyDocument } from './config-document.js';
import type { ConfigProblem } from './config-problem.js';
import type { ExtProcTlsSettings } from './runtime-config.js';

/** Addresses only this host can reach; a sidecar bound elsewhere is reachable over the network. */
const LOOPBACK_ADDRESSES: ReadonlySet<string> = new Set(['127.0.0.1', '::1', '[::1]', 'localhost']);

/** Whether an `extproc_address` keeps the ext_proc port on this host. */
export function isLoopbackAddress(address: string): boolean {
  return LOOPBACK_ADDRESSES.has(address) || /^127\.\d+\.\d+\.\d+$/.test(address);
}

/**
 * What the schema cannot say about ext_proc TLS and exposure. The ext_proc port answers with
 * the provider keys in its header mutations, so:
 * - a verified client certificate needs a CA to verify it against (error);
 * - a sidecar bound beyond loopback without TLS is a warning at `extproc_address`, not an
 *   error: a private network namespace (a pod, a container) can make it safe, and only the
 *   operator knows that;
 * - a TLS sidecar whose own config gives Envoy and the gateway no `client` side would refuse
 *   the local gateway and render an envoy.yaml without TLS (warning).
 */
export function checkExtProcTls(envoy: EnvoyDocument): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const server = envoy.extproc_tls?.server;
  if (server !== undefined && server.require_client_cert && server.client_ca_file === undefined) {
    problems.push({
      path: ['envoy', 'extproc_tls', 'server'],
      at: 'key',
      code: 'SY_CFG_TLS',
      message: 'require_client_cert (on by default) needs client_ca_file, the CA that signs the certificates Envoy presents',
    });
  }
  if (server === undefined && !isLoopbackAddress(envoy.extproc_address)) {
    problems.push({
      path: ['envoy', 'extproc_address'],
      severity: 'warning',
      code: 'SY_CFG_INSECURE',
      message:
        `ext_proc listens on ${envoy.extproc_address} without TLS; anyone who reaches the port can read the provider keys ` +
        'from its header mutations. Bind 127.0.0.1 next to Envoy, or set envoy.extproc_tls.server with client_ca_file',
    });
  }
  if (server !== undefined && envoy.extproc_tls?.client === undefined) {
    problems.push({
      path: ['envoy', 'extproc_tls', 'server'],
      at: 'key',
      severity: 'warning',
      code: 'SY_CFG_TLS',
      message: 'no extproc_tls.client: the rendered envoy.yaml and the built-in gateway will connect without TLS and be refused',
    });
  }
  return problems;
}

/** The TLS settings with every path made absolute against the config's folder. */
export function compileExtProcTls(tls: EnvoyDocument['extproc_tls'], configDir: string): ExtProcTlsSettings | undefined {
  if (tls === undefined) return undefined;
  const path = (file: string): string => (isAbsolute(file) ? file : resolve(configDir, file));
  const { server, client } = tls;
  return {
    ...(server === undefined
      ? {}
      : {
          server: {
            certFile: path(server.cert_file),
            keyFile: path(server.key_file),
            ...(server.client_ca_file === undefined ? {} : { clientCaFile: path(server.client_ca_file) }),
            requireClientCert: server.require_client_cert,
          },
        }),
    ...(client === undefined
      ? {}
      : {
          client: {
            caFile: path(client.ca_file),
            ...(client.cert_file === undefined || client.key_file === undefined ? {} : { certFile: path(client.cert_file), keyFile: path(client.key_file) }),
            ...(client.server_name === undefined ? {} : { serverName: client.server_name }),
          },
        }),
  };
}
