import { readFile } from 'node:fs/promises';
import net from 'node:net';
import * as grpc from '@grpc/grpc-js';
import { loadConfigText } from '../../src/config/load.js';
import type { RuntimeConfig } from '../../src/config/runtime-config.js';
import { formatDiagnostic } from '../../src/config/diagnostic.js';
import { startExtProcServer, type ExtProcServer } from '../../src/extproc/server.js';
import { createSilentLogger } from '../../src/telemetry/logger.js';
import { SEED_CONFIG_PATH } from '../helpers/config-fixture.js';
import { apiError, CLOUD_ACCESS_KEY, CLOUD_MODEL, startE2eStack } from '../helpers/e2e-stack.js';
import { ExtProcTestClient, setHeaders } from '../helpers/extproc-client.js';
import { makeTestPki, SIDECAR_NAME, type TestPki } from '../helpers/test-pki.js';

/**
 * The ext_proc port hands out provider keys in its header mutations, so a sidecar that Envoy
 * reaches over a network serves TLS and verifies Envoy's client certificate. Real certificates
 * (openssl CLI), real gRPC over loopback.
 */

const PROOF_PROMPT = 'Prove by induction that the sum 1+2+...+n = n(n+1)/2.';
const CHAT_BODY = JSON.stringify({ model: 'auto', messages: [{ role: 'user', content: PROOF_PROMPT }] });

/** A TCP relay that records every byte the sidecar sends back, as a network tap would see it. */
async function startTap(targetPort: number): Promise<{ port: number; fromServer: () => Buffer; close(): Promise<void> }> {
  const chunks: Buffer[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(targetPort, '127.0.0.1');
    sockets.add(client).add(upstream);
    client.pipe(upstream);
    upstream.on('data', (chunk: Buffer) => chunks.push(chunk));
    upstream.pipe(client);
    const destroy = (): void => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', destroy).on('close', destroy);
    upstream.on('error', destroy).on('close', destroy);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    fromServer: () => Buffer.concat(chunks),
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

function tlsSection(pki: TestPki, client: 'with-cert' | 'without-cert' | 'none'): string {
  const clientLines =
    client === 'none'
      ? ''
      : `    client:
      ca_file: "${pki.caFile}"
      server_name: "${SIDECAR_NAME}"
${client === 'with-cert' ? `      cert_file: "${pki.client.certFile}"\n      key_file: "${pki.client.keyFile}"\n` : ''}`;
  return `envoy:
  extproc_tls:
    server:
      cert_file: "${pki.server.certFile}"
      key_file: "${pki.server.keyFile}"
      client_ca_file: "${pki.caFile}"
${clientLines}`;
}

async function seedWith(section: string): Promise<RuntimeConfig> {
  const text = `${await readFile(SEED_CONFIG_PATH, 'utf8')}\n${section}`;
  const { config, diagnostics } = await loadConfigText(text, 'tls.yaml', { env: {} });
  if (config === undefined) throw new Error(diagnostics.map(formatDiagnostic).join('\n'));
  return config;
}

async function routeOnce(client: ExtProcTestClient): Promise<string | undefined> {
  const exchange = await client.exchange({ path: '/v1/chat/completions', body: CHAT_BODY });
  return setHeaders(exchange.requestBody?.['request_body']?.response?.header_mutation).get('authorization')?.raw;
}

async function refused(client: ExtProcTestClient): Promise<string> {
  try {
    await routeOnce(client);
  } catch (error) {
    return String((error as grpc.ServiceError).code);
  } finally {
    client.close();
  }
  throw new Error('the sidecar answered a client it should have refused');
}

describe('ext_proc over mutual TLS', () => {
  let pki: TestPki;
  let config: RuntimeConfig;
  let sidecar: ExtProcServer;
  let ca: Buffer;
  let clientCert: Buffer;
  let clientKey: Buffer;

  beforeAll(async () => {
    pki = makeTestPki();
    config = await seedWith(tlsSection(pki, 'with-cert'));
    sidecar = await startExtProcServer({ address: '127.0.0.1', port: 0, store: { current: () => config }, logger: createSilentLogger() });
    [ca, clientCert, clientKey] = await Promise.all([readFile(pki.caFile), readFile(pki.client.certFile), readFile(pki.client.keyFile)]);
  });

  afterAll(async () => {
    await sidecar.close();
    await config.close();
    pki.remove();
  });

  const named = { 'grpc.ssl_target_name_override': SIDECAR_NAME };

  it('answers a client that presents a certificate signed by client_ca_file', async () => {
    const client = new ExtProcTestClient(sidecar.port, '127.0.0.1', grpc.credentials.createSsl(ca, clientKey, clientCert), named);
    try {
      expect(await routeOnce(client)).toBe(`Bearer ${CLOUD_ACCESS_KEY}`);
    } finally {
      client.close();
    }
  });

  it('refuses a TLS client without a certificate', async () => {
    expect(await refused(new ExtProcTestClient(sidecar.port, '127.0.0.1', grpc.credentials.createSsl(ca), named))).toBe(String(grpc.status.UNAVAILABLE));
  });

  it('refuses a client whose certificate another CA signed', async () => {
    const [rogueCert, rogueKey] = await Promise.all([readFile(pki.rogueClient.certFile), readFile(pki.rogueClient.keyFile)]);
    const client = new ExtProcTestClient(sidecar.port, '127.0.0.1', grpc.credentials.createSsl(ca, rogueKey, rogueCert), named);
    expect(await refused(client)).toBe(String(grpc.status.UNAVAILABLE));
  });

  it('refuses plaintext, and the key never crosses the wire in clear, even for an accepted client', async () => {
    const tap = await startTap(sidecar.port);
    try {
      expect(await refused(new ExtProcTestClient(tap.port))).toBe(String(grpc.status.UNAVAILABLE));
      const client = new ExtProcTestClient(tap.port, '127.0.0.1', grpc.credentials.createSsl(ca, clientKey, clientCert), named);
      try {
        expect(await routeOnce(client)).toBe(`Bearer ${CLOUD_ACCESS_KEY}`);
      } finally {
        client.close();
      }
      expect(tap.fromServer().length).toBeGreaterThan(500);
      expect(tap.fromServer().includes(CLOUD_ACCESS_KEY)).toBe(false);
      expect(tap.fromServer().includes('authorization')).toBe(false);
    } finally {
      await tap.close();
    }
  });

  it('sends the key in clear without TLS, which is why the port must stay on loopback', async () => {
    const plainConfig = await seedWith('');
    const plain = await startExtProcServer({ address: '127.0.0.1', port: 0, store: { current: () => plainConfig }, logger: createSilentLogger() });
    const tap = await startTap(plain.port);
    const client = new ExtProcTestClient(tap.port);
    try {
      expect(await routeOnce(client)).toBe(`Bearer ${CLOUD_ACCESS_KEY}`);
      expect(tap.fromServer().includes(CLOUD_ACCESS_KEY)).toBe(true);
    } finally {
      client.close();
      await tap.close();
      await plain.close();
      await plainConfig.close();
    }
  });
});

describe('the built-in gateway dials a TLS sidecar as the rendered envoy.yaml makes Envoy do', () => {
  let pki: TestPki;

  beforeAll(() => {
    pki = makeTestPki();
  });

  afterAll(() => {
    pki.remove();
  });

  const tls = (withCert: boolean): Record<string, unknown> => ({
    server: { cert_file: pki.server.certFile, key_file: pki.server.keyFile, client_ca_file: pki.caFile },
    client: {
      ca_file: pki.caFile,
      server_name: SIDECAR_NAME,
      ...(withCert ? { cert_file: pki.client.certFile, key_file: pki.client.keyFile } : {}),
    },
  });

  it('routes through gateway → mTLS sidecar → stub with the openai SDK', async () => {
    const stack = await startE2eStack({ envoy: { extproc_tls: tls(true) } });
    try {
      const completion = await stack.client.chat.completions.create({ model: 'auto', messages: [{ role: 'user', content: PROOF_PROMPT }] });
      expect(completion.model).toBe(CLOUD_MODEL);
      expect(stack.cloud.requests.at(-1)?.headers.authorization).toBe(`Bearer ${CLOUD_ACCESS_KEY}`);
    } finally {
      await stack.close();
    }
  });

  it('reaches a remote TLS sidecar (serve --sidecar) with its client certificate, and is refused without one', async () => {
    const sidecarConfig = await seedWith(tlsSection(pki, 'with-cert'));
    const sidecar = await startExtProcServer({ address: '127.0.0.1', port: 0, store: { current: () => sidecarConfig }, logger: createSilentLogger() });
    try {
      const withCert = await startE2eStack({ envoy: { extproc_tls: { client: tls(true)['client'] } }, sidecar: { address: '127.0.0.1', port: sidecar.port } });
      try {
        const completion = await withCert.client.chat.completions.create({ model: 'auto', messages: [{ role: 'user', content: PROOF_PROMPT }] });
        expect(completion.model).toBe(CLOUD_MODEL);
        expect(withCert.cloud.requests).toHaveLength(1);
      } finally {
        await withCert.close();
      }
      const withoutCert = await startE2eStack({ envoy: { extproc_tls: { client: tls(false)['client'] } }, sidecar: { address: '127.0.0.1', port: sidecar.port } });
      try {
        const error = await apiError(() => withoutCert.client.chat.completions.create({ model: CLOUD_MODEL, messages: [{ role: 'user', content: 'hi' }] }));
        expect(error.status).toBeGreaterThanOrEqual(500);
        expect(withoutCert.cloud.requests).toHaveLength(0);
      } finally {
        await withoutCert.close();
      }
    } finally {
      await sidecar.close();
      await sidecarConfig.close();
    }
  });
});
