import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { testCacheDir } from './test-zig.js';

/**
 * A throwaway certificate authority and a server certificate for 127.0.0.1 / ::1 / localhost, made
 * with the system `openssl`, so loopback servers can speak HTTPS and tests can check that xcc trusts
 * an extra CA given through `NODE_EXTRA_CA_CERTS` (read by Node at process start: spawned processes
 * only). Made once per test cache; the one TLS setup of the tests.
 */
export interface TestCertificates {
  /** PEM file of the CA: the value for `NODE_EXTRA_CA_CERTS`. */
  caFile: string;
  ca: string;
  /** Server key and certificate, for `startMirrorServer({ tls })` and the proxy. */
  key: string;
  cert: string;
}

export async function testCertificates(cacheDir: string = testCacheDir()): Promise<TestCertificates> {
  const dir = path.join(cacheDir, 'tls');
  if (!existsSync(path.join(dir, 'server.pem'))) await makeCertificates(dir);
  const read = (name: string) => readFile(path.join(dir, name), 'utf8');
  const [ca, key, cert] = await Promise.all([read('ca.pem'), read('server.key'), read('server.pem')]);
  return { caFile: path.join(dir, 'ca.pem'), ca, key, cert };
}

async function makeCertificates(dir: string): Promise<void> {
  await mkdir(path.dirname(dir), { recursive: true });
  const scratch = await mkdtemp(`${dir}.tmp-`);
  const openssl = (...args: string[]) => promisify(execFile)('openssl', args, { cwd: scratch });
  const ecKey = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  try {
    await openssl(
      'req',
      '-x509',
      ...ecKey,
      '-keyout',
      'ca.key',
      '-out',
      'ca.pem',
      '-days',
      '3650',
      '-subj',
      '/CN=xcc test CA',
    );
    await openssl(
      'req',
      '-new',
      ...ecKey,
      '-keyout',
      'server.key',
      '-out',
      'server.csr',
      '-subj',
      '/CN=127.0.0.1',
    );
    // `openssl req -x509` marks the CA certificate CA:TRUE by default; the leaf's extensions are set here.
    await writeFile(
      path.join(scratch, 'server.ext'),
      'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n' +
        'subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost\n',
    );
    const sign = [
      'x509',
      '-req',
      '-in',
      'server.csr',
      '-CA',
      'ca.pem',
      '-CAkey',
      'ca.key',
      '-set_serial',
      '2',
    ];
    await openssl(...sign, '-days', '3650', '-extfile', 'server.ext', '-out', 'server.pem');
    await rename(scratch, dir).catch(async (error: NodeJS.ErrnoException) => {
      // Another worker made them first: theirs are as good as ours.
      if (error.code !== 'ENOTEMPTY' && error.code !== 'EEXIST') throw error;
    });
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}
