/**
 * A throwaway certificate authority made with openssl, and a server certificate from it,
 * for tests that need TLS a client verifies the way a phone does (chain to a trusted root,
 * name in subjectAltName), rather than a self-signed certificate waved through.
 */
import { execFileSync } from 'node:child_process';
import { createHash, X509Certificate } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface TestCertificates {
  /** The CA's certificate (PEM file): what a client trusts (curl --cacert, turnutils -E). */
  readonly caCert: string;
  /** The server certificate for `hostname`, signed by the CA (PEM file). */
  readonly cert: string;
  /** Its private key (PEM file, mode 0600). */
  readonly key: string;
  /** base64 SHA-256 of the server's public key (Chromium --ignore-certificate-errors-spki-list). */
  readonly spkiSha256: string;
}

const openssl = (args: readonly string[]): void => {
  execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'], timeout: 20_000 });
};

/** Makes `<dir>/test-ca.pem` and a certificate for `hostname` signed by it, valid 2 days. */
export function makeTestCertificates(dir: string, hostname: string): TestCertificates {
  const caKey = join(dir, 'test-ca.key');
  const caCert = join(dir, 'test-ca.pem');
  const key = join(dir, 'server.key');
  const csr = join(dir, 'server.csr');
  const cert = join(dir, 'server.pem');
  const ext = join(dir, 'server.ext');
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl(['req', '-x509', ...ec, '-keyout', caKey, '-out', caCert, '-days', '2', '-subj', '/CN=sonobox test CA',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
  openssl(['req', ...ec, '-keyout', key, '-out', csr, '-subj', `/CN=${hostname}`]);
  writeFileSync(ext, `basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=DNS:${hostname}\n`);
  openssl(['x509', '-req', '-in', csr, '-CA', caCert, '-CAkey', caKey, '-set_serial', `0x${Date.now().toString(16)}`, '-days', '2', '-extfile', ext, '-out', cert]);
  const spki = new X509Certificate(readFileSync(cert)).publicKey.export({ type: 'spki', format: 'der' });
  return { caCert, cert, key, spkiSha256: createHash('sha256').update(spki).digest('base64') };
}
