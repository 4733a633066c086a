import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import {
  generateMinisignKey,
  keyIdDisplay,
  type MinisignKey,
  parseMinisignKey,
  publicKeyFileText,
  serializeMinisignKey,
  signBytes,
  signFile,
  verifyMinisign,
} from '../support/minisign.js';
import { fixturesDir } from '../support/paths.js';
import { needCommand } from '../support/tools.js';

const fixtures = path.join(fixturesDir, 'minisign');
const scratch = mkdtempSync(path.join(os.tmpdir(), 'xcc-minisign-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/**
 * minisign's unencrypted (`-W`) secret key file: `Ed`, kdf `\0\0`, `B2`, zeroed salt and limits, then
 * key id, Ed25519 secret key (seed || public key) and a checksum minisign leaves zeroed without a kdf
 * (as `minisign -G -W` 0.11 writes it).
 */
function minisignSecretKeyFile(key: MinisignKey): string {
  const jwk = key.privateKey.export({ format: 'jwk' });
  const secret = Buffer.concat([
    Buffer.from(jwk.d ?? '', 'base64url'),
    Buffer.from(jwk.x ?? '', 'base64url'),
  ]);
  const body = Buffer.concat([
    Buffer.from('Ed\0\0B2'),
    Buffer.alloc(32 + 8 + 8),
    key.keyId,
    secret,
    Buffer.alloc(32),
  ]);
  return `untrusted comment: minisign secret key\n${body.toString('base64')}\n`;
}

describe('the verifier used here, on real signatures', () => {
  it.each([
    ['vector.pub', 'vector-prehashed.minisig', 'ED'],
    ['vector.pub', 'vector-legacy.minisig', 'Ed'],
  ])('accepts the published test vector %s + %s', (pub, sig, algorithm) => {
    const result = verifyMinisign(
      readFileSync(path.join(fixtures, pub), 'utf8').trim(),
      readFileSync(path.join(fixtures, sig), 'utf8'),
      readFileSync(path.join(fixtures, 'vector.message')),
    );
    expect(result).toMatchObject({ algorithm, keyIdMatches: true, signatureValid: true, globalValid: true });
  });

  it('rejects a message that was not signed', () => {
    const result = verifyMinisign(
      readFileSync(path.join(fixtures, 'vector.pub'), 'utf8').trim(),
      readFileSync(path.join(fixtures, 'vector-prehashed.minisig'), 'utf8'),
      Buffer.from('tesT'),
    );
    expect(result).toMatchObject({ signatureValid: false, globalValid: true });
  });
});

describe('signatures made by the test signer', () => {
  const key = generateMinisignKey();
  const file = path.join(scratch, 'zig-x86_64-linux-0.15.2.tar.xz');
  writeFileSync(file, 'not really a tarball\n');

  it('have the exact line shapes of Zig’s real .minisig files', async () => {
    const ours = (await signFile(file, { key })).split('\n');
    const real = readFileSync(path.join(fixtures, 'zig-x86_64-linux-0.15.1.tar.xz.minisig'), 'utf8').split(
      '\n',
    );
    expect(ours).toHaveLength(real.length);
    expect(ours.at(-1)).toBe('');
    expect(ours[0]).toBe(real[0]);
    expect(ours[1]).toHaveLength(real[1]!.length);
    // base64 of `ED` || key id: real lines share their first 13 characters with the key's `RW...`.
    expect(ours[1]!.slice(0, 12)).toBe(
      Buffer.concat([Buffer.from('ED'), key.keyId])
        .toString('base64')
        .slice(0, 12),
    );
    expect(real[1]!.slice(0, 13)).toBe('RUSGOq2NVecA2');
    const pattern = /^trusted comment: timestamp:\d+\tfile:(\S+)\thashed$/;
    expect(real[2]).toMatch(pattern);
    expect(ours[2]).toMatch(pattern);
    expect(pattern.exec(ours[2]!)?.[1]).toBe('zig-x86_64-linux-0.15.2.tar.xz');
    expect(ours[3]).toHaveLength(real[3]!.length);
  });

  it('verify, and name the file they were asked to name', async () => {
    const text = await signFile(file, {
      key,
      fileName: 'zig-x86_64-linux-0.14.1.tar.xz',
      timestamp: 1700000000,
    });
    const result = verifyMinisign(key.publicKey, text, readFileSync(file));
    expect(result).toMatchObject({
      algorithm: 'ED',
      keyIdMatches: true,
      signatureValid: true,
      globalValid: true,
    });
    expect(result.trustedComment).toBe('timestamp:1700000000\tfile:zig-x86_64-linux-0.14.1.tar.xz\thashed');
  });

  it('make legacy Ed signatures over the raw bytes on request', () => {
    const text = signBytes(Buffer.from('test'), { key, fileName: 'test', legacy: true, timestamp: 1 });
    const result = verifyMinisign(key.publicKey, text, Buffer.from('test'));
    expect(result).toMatchObject({
      algorithm: 'Ed',
      signatureValid: true,
      trustedComment: 'timestamp:1\tfile:test',
    });
  });

  it('do not verify under another key', async () => {
    const other = generateMinisignKey();
    const result = verifyMinisign(other.publicKey, await signFile(file, { key }), readFileSync(file));
    expect(result).toMatchObject({ keyIdMatches: false, signatureValid: false });
  });

  it('keep working after the key is serialised and read back', () => {
    const copy = parseMinisignKey(serializeMinisignKey(key));
    expect(copy.publicKey).toBe(key.publicKey);
    const text = signBytes(Buffer.from('x'), { key: copy, fileName: 'x', timestamp: 5 });
    expect(text).toBe(signBytes(Buffer.from('x'), { key, fileName: 'x', timestamp: 5 }));
  });

  it('come with a public key in minisign’s format', () => {
    const [comment, encoded = ''] = publicKeyFileText(key).split('\n');
    expect(comment).toBe(`untrusted comment: minisign public key ${keyIdDisplay(key.keyId)}`);
    expect(encoded).toHaveLength(56);
    expect(Buffer.from(encoded, 'base64').subarray(0, 10)).toEqual(
      Buffer.concat([Buffer.from('Ed'), key.keyId]),
    );
  });

  it('display key ids the way minisign does (little-endian)', () => {
    // The Zig key's id bytes 863aad8d55e700d9 are shown by minisign as D900E7558DAD3A86.
    expect(keyIdDisplay(Buffer.from('863aad8d55e700d9', 'hex'))).toBe('D900E7558DAD3A86');
  });
});

describe('the reference minisign (jedisct1/minisign) on the test signer', () => {
  beforeEach((context) => needCommand(context, 'minisign'));
  const key = generateMinisignKey();
  const file = path.join(scratch, 'zig-aarch64-linux-0.15.2.tar.xz');
  writeFileSync(file, Buffer.alloc(100_000, 7));
  const minisign = (...args: string[]) => spawnSync('minisign', args, { encoding: 'utf8' });

  it('verifies our prehashed signature, requiring prehashing (-H)', async () => {
    writeFileSync(`${file}.minisig`, await signFile(file, { key }));
    const result = minisign('-V', '-H', '-P', key.publicKey, '-m', file);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('file:zig-aarch64-linux-0.15.2.tar.xz\thashed');
  });

  it('accepts our legacy signature only without -H', async () => {
    writeFileSync(`${file}.minisig`, await signFile(file, { key, legacy: true }));
    expect(minisign('-V', '-P', key.publicKey, '-m', file).status).toBe(0);
    expect(minisign('-V', '-H', '-P', key.publicKey, '-m', file).status).not.toBe(0);
  });

  it('rejects our signature of other bytes', async () => {
    writeFileSync(`${file}.minisig`, signBytes(Buffer.from('other'), { key, fileName: path.basename(file) }));
    expect(minisign('-V', '-P', key.publicKey, '-m', file).status).not.toBe(0);
  });

  it('signs byte for byte what we sign, with our key in its secret key format', async () => {
    const keyFile = path.join(scratch, 'test.key');
    writeFileSync(keyFile, minisignSecretKeyFile(key));
    const trusted = `timestamp:1760000000\tfile:${path.basename(file)}\thashed`;
    execFileSync('minisign', ['-S', '-s', keyFile, '-m', file, '-x', `${file}.ref`, '-t', trusted]);
    expect(await signFile(file, { key, trustedComment: trusted })).toBe(readFileSync(`${file}.ref`, 'utf8'));
  });
});
