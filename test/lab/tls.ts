/**
 * Throwaway TLS material made with the openssl CLI: a CA and a server
 * certificate it signed, valid for 127.0.0.1 and localhost (subjectAltName:
 * Node and redis-cli check the SAN, not the CN). P-256 keys: generated in
 * milliseconds, accepted by every TLS stack involved.
 */
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runOk } from './exec.js';
import { makeTempDir } from './tmp.js';

export interface TlsMaterial {
  dir: string;
  caFile: string;
  certFile: string;
  keyFile: string;
  /** The CA certificate (PEM), for DiagnoseOptions.tls.ca. */
  ca: string;
  remove(): Promise<void>;
}

const KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

export async function createTlsMaterial(names: { ips?: string[]; dns?: string[] } = {}): Promise<TlsMaterial> {
  const tmp = makeTempDir('tls');
  const file = (name: string): string => join(tmp.path, name);
  const ips = names.ips ?? ['127.0.0.1'];
  const dns = names.dns ?? ['localhost'];
  try {
    await runOk('openssl', ['req', '-x509', ...KEY, '-keyout', file('ca.key'), '-out', file('ca.crt'), '-days', '2', '-subj', '/CN=redis-doctor lab CA']);
    await runOk('openssl', ['req', ...KEY, '-keyout', file('server.key'), '-out', file('server.csr'), '-subj', '/CN=localhost']);
    const san = [...ips.map((ip) => `IP:${ip}`), ...dns.map((name) => `DNS:${name}`)].join(',');
    await writeFile(
      file('server.ext'),
      `subjectAltName=${san}\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n`,
    );
    await runOk('openssl', [
      'x509', '-req', '-in', file('server.csr'), '-CA', file('ca.crt'), '-CAkey', file('ca.key'),
      '-set_serial', String(Date.now()), '-days', '2', '-extfile', file('server.ext'), '-out', file('server.crt'),
    ]);
  } catch (error) {
    await tmp.remove();
    throw error;
  }
  return {
    dir: tmp.path,
    caFile: file('ca.crt'),
    certFile: file('server.crt'),
    keyFile: file('server.key'),
    ca: readFileSync(file('ca.crt'), 'utf8'),
    remove: () => tmp.remove(),
  };
}
