// Real certificates for loopback HTTPS servers, made by the openssl CLI: a test CA, a
// server certificate it signed for 127.0.0.1, one it signed for another host name, one
// that expired in 2020, and a self-signed one.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface KeyPair {
  key: string;
  cert: string;
}

export interface TestCerts {
  caPem: string;
  /** Signed by the CA, for IP 127.0.0.1. */
  server: KeyPair;
  /** Signed by the CA, for DNS other.example (wrong host when reached as 127.0.0.1). */
  otherHost: KeyPair;
  /** Signed by the CA, valid only in January 2020. */
  expired: KeyPair;
  /** Its own issuer, for 127.0.0.1. */
  selfSigned: KeyPair;
}

export function makeTestCerts(): TestCerts {
  const dir = mkdtempSync(join(tmpdir(), 'herald-tls-'));
  const run = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  const read = (name: string) => readFileSync(join(dir, name), 'utf8');

  run('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '30', '-subj', '/CN=Herald Test CA',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign');
  run('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=127.0.0.1');
  writeFileSync(join(dir, 'ip.cnf'), 'subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n');
  writeFileSync(join(dir, 'other.cnf'), 'subjectAltName=DNS:other.example\nbasicConstraints=CA:FALSE\n');
  run('x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.pem', '-days', '30', '-extfile', 'ip.cnf');
  run('x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'other.pem', '-days', '30', '-extfile', 'other.cnf');

  // `openssl ca` is the one that takes explicit start and end dates.
  mkdirSync(join(dir, 'db'));
  writeFileSync(join(dir, 'db', 'index.txt'), '');
  writeFileSync(join(dir, 'db', 'serial'), '1000\n');
  writeFileSync(
    join(dir, 'ca.cnf'),
    ['[ca]', 'default_ca = test', '[test]', 'database = db/index.txt', 'serial = db/serial', 'new_certs_dir = db', 'default_md = sha256',
      'policy = any', 'unique_subject = no', '[any]', 'commonName = supplied', '[ext]', 'subjectAltName = IP:127.0.0.1', 'basicConstraints = CA:FALSE', ''].join('\n'),
  );
  run('ca', '-batch', '-config', 'ca.cnf', '-cert', 'ca.pem', '-keyfile', 'ca.key', '-in', 'server.csr', '-out', 'expired.pem',
    '-startdate', '20200101000000Z', '-enddate', '20200201000000Z', '-extensions', 'ext', '-notext');

  run('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'self.key', '-out', 'self.pem', '-days', '30', '-subj', '/CN=127.0.0.1',
    '-addext', 'subjectAltName=IP:127.0.0.1');

  const serverKey = read('server.key');
  return {
    caPem: read('ca.pem'),
    server: { key: serverKey, cert: read('server.pem') },
    otherHost: { key: serverKey, cert: read('other.pem') },
    expired: { key: serverKey, cert: read('expired.pem') },
    selfSigned: { key: read('self.key'), cert: read('self.pem') },
  };
}
