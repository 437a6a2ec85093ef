import { readFile } from 'node:fs/promises';
import * as grpc from '@grpc/grpc-js';
import type { ExtProcClientTls, ExtProcServerTls } from '../config/runtime-config.js';

/** A gRPC channel's credentials and the channel options that go with them. */
export interface ExtProcChannelSecurity {
  readonly credentials: grpc.ChannelCredentials;
  readonly options: grpc.ChannelOptions;
}

async function readPem(file: string, field: string): Promise<Buffer> {
  try {
    return await readFile(file);
  } catch (error) {
    throw new Error(`envoy.extproc_tls.${field}: cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
}

/**
 * The sidecar's listener credentials: plaintext without `server` settings; otherwise TLS with
 * its certificate, verifying client certificates against `client_ca_file` and refusing a
 * client without one when `require_client_cert` is on.
 */
export async function extProcServerCredentials(tls: ExtProcServerTls | undefined): Promise<grpc.ServerCredentials> {
  if (tls === undefined) return grpc.ServerCredentials.createInsecure();
  const [certChain, privateKey, clientCa] = await Promise.all([
    readPem(tls.certFile, 'server.cert_file'),
    readPem(tls.keyFile, 'server.key_file'),
    tls.clientCaFile === undefined ? Promise.resolve(null) : readPem(tls.clientCaFile, 'server.client_ca_file'),
  ]);
  return grpc.ServerCredentials.createSsl(clientCa, [{ cert_chain: certChain, private_key: privateKey }], tls.requireClientCert);
}

/**
 * How the built-in gateway dials the sidecar, as the rendered envoy.yaml makes Envoy do it:
 * plaintext without `client` settings; otherwise TLS trusting `ca_file`, presenting the client
 * certificate when one is set, and checking the sidecar's name only when `server_name` is
 * set (Envoy's UpstreamTlsContext without a SAN matcher checks the chain alone).
 */
export async function extProcChannelSecurity(tls: ExtProcClientTls | undefined): Promise<ExtProcChannelSecurity> {
  if (tls === undefined) return { credentials: grpc.credentials.createInsecure(), options: {} };
  const [ca, cert, key] = await Promise.all([
    readPem(tls.caFile, 'client.ca_file'),
    tls.certFile === undefined ? Promise.resolve(null) : readPem(tls.certFile, 'client.cert_file'),
    tls.keyFile === undefined ? Promise.resolve(null) : readPem(tls.keyFile, 'client.key_file'),
  ]);
  if (tls.serverName === undefined) {
    return { credentials: grpc.credentials.createSsl(ca, key, cert, { checkServerIdentity: () => undefined }), options: {} };
  }
  return {
    credentials: grpc.credentials.createSsl(ca, key, cert),
    options: { 'grpc.ssl_target_name_override': tls.serverName, 'grpc.default_authority': tls.serverName },
  };
}
