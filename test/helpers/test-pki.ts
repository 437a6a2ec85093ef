import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A certificate and its private key, as PEM file paths. */
export interface CertificatePair {
  readonly certFile: string;
  readonly keyFile: string;
}

/** A throw-away PKI made with the openssl CLI for one test file. */
export interface TestPki {
  readonly dir: string;
  /** The CA that signs the sidecar's and Envoy's certificates. */
  readonly caFile: string;
  /** The sidecar's certificate: DNS name {@link SIDECAR_NAME} and IP 127.0.0.1. */
  readonly server: CertificatePair;
  /** Envoy's client certificate, signed by the CA. */
  readonly client: CertificatePair;
  /** A client certificate from another CA, which the sidecar must refuse. */
  readonly rogueClient: CertificatePair;
  remove(): void;
}

/** The DNS name in the sidecar's test certificate. */
export const SIDECAR_NAME = 'switchyard-extproc';

const EC_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

function openssl(dir: string, args: readonly string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
}

function makeCa(dir: string, name: string): CertificatePair {
  openssl(dir, ['req', '-x509', ...EC_KEY, '-keyout', `${name}.key`, '-out', `${name}.crt`, '-days', '2', '-subj', `/CN=${name}`,
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign']);
  return { certFile: join(dir, `${name}.crt`), keyFile: join(dir, `${name}.key`) };
}

function issue(dir: string, ca: CertificatePair, name: string, extensions: string, serial: number): CertificatePair {
  openssl(dir, ['req', ...EC_KEY, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`]);
  writeFileSync(join(dir, `${name}.ext`), `${extensions}\n`);
  openssl(dir, ['x509', '-req', '-in', `${name}.csr`, '-CA', ca.certFile, '-CAkey', ca.keyFile, '-set_serial', String(serial),
    '-out', `${name}.crt`, '-days', '2', '-extfile', `${name}.ext`]);
  return { certFile: join(dir, `${name}.crt`), keyFile: join(dir, `${name}.key`) };
}

/** Makes a CA, a sidecar certificate, an Envoy client certificate and a rogue client certificate. */
export function makeTestPki(): TestPki {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-pki-'));
  const ca = makeCa(dir, 'ca');
  const rogueCa = makeCa(dir, 'rogue-ca');
  return {
    dir,
    caFile: ca.certFile,
    server: issue(dir, ca, 'sidecar', `subjectAltName=DNS:${SIDECAR_NAME},IP:127.0.0.1\nextendedKeyUsage=serverAuth`, 2),
    client: issue(dir, ca, 'envoy', 'extendedKeyUsage=clientAuth', 3),
    rogueClient: issue(dir, rogueCa, 'intruder', 'extendedKeyUsage=clientAuth', 4),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
