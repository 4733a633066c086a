import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import {
  createPrehash,
  formatKeyId,
  type MinisignFailure,
  type MinisignSignature,
  parsePublicKey,
  parseSignature,
  parseTrustedComment,
  type SignedContent,
  verifySignature,
  verifyTrustedComment,
} from '../../src/zig/verify/minisign.js';
import { fixturesDir } from '../support/paths.js';

const fixture = (name: string) => readFileSync(path.join(fixturesDir, 'minisign', name), 'utf8');

const zigKey = parsePublicKey(fixture('zig.pub'));
const vectorKey = parsePublicKey(fixture('vector.pub'));
const zig0151 = 'zig-x86_64-linux-0.15.1.tar.xz';
const zig0151Digest = { blake2b512: Buffer.from(fixture(`${zig0151}.blake2b512`).trim(), 'hex') };
const vectorMessage = { bytes: Buffer.from(fixture('vector.message'), 'latin1') };

function failureOf(run: () => unknown): { reason: MinisignFailure; message: string } {
  try {
    run();
  } catch (error) {
    const { reason, message } = error as { reason: MinisignFailure; message: string };
    return { reason, message };
  }
  throw new Error('expected a MinisignError');
}

/** The four lines of a .minisig, with one replaced. */
function withLine(text: string, index: number, line: string): string {
  const lines = text.split('\n');
  lines[index] = line;
  return lines.join('\n');
}

/** Flips one bit of byte `offset` of a base64 line. */
function flipBit(line: string, offset: number, bit = 0x01): string {
  const bytes = Buffer.from(line, 'base64');
  bytes[offset]! ^= bit;
  return bytes.toString('base64');
}

describe('parsePublicKey', () => {
  it.each([
    ['the bare base64 key', fixture('zig.pub')],
    ['a minisign.pub file', `untrusted comment: minisign public key D900E7558DAD3A86\n${fixture('zig.pub')}`],
    [
      'a minisign.pub file with CRLF',
      `untrusted comment: minisign public key\r\n${fixture('zig.pub').trim()}\r\n`,
    ],
  ])('reads the Zig Software Foundation key from %s', (_, text) => {
    const key = parsePublicKey(text);
    expect(formatKeyId(key.keyId)).toBe('D900E7558DAD3A86');
    expect(key.keyId.toString('hex')).toBe('863aad8d55e700d9');
    expect(key.publicKey.toString('hex')).toBe(
      '43cd741519ca47f50826f5e3ba6499db58c606f74e2f893bfc0262f85b01bfd4',
    );
  });

  it('shows key ids the way minisign does (little-endian hex)', () => {
    expect(formatKeyId(vectorKey.keyId)).toBe('E7620F1842B4E81F');
  });

  const zigPub = fixture('zig.pub').trim();
  it.each([
    ['an empty string', '', 'expected 1 or 2 lines, got 0'],
    ['three lines', `untrusted comment: a\nb\n${zigPub}`, 'expected 1 or 2 lines, got 3'],
    ['a first line that is not a comment', `comment: a\n${zigPub}`, 'must start with "untrusted comment:"'],
    ['a character outside base64', `${zigPub.slice(0, -1)}!`, 'the key is not valid base64'],
    ['a truncated key', zigPub.slice(0, 52), 'the key is 39 bytes, expected 42'],
    ['a signature pasted as key', fixture(`${zig0151}.minisig`).split('\n')[1]!, 'is 74 bytes, expected 42'],
    ['a key with the signature algorithm', `RU${zigPub.slice(2)}`, 'unknown algorithm "ED"'],
  ])('rejects %s, saying what is malformed', (_, text, detail) => {
    const failure = failureOf(() => parsePublicKey(text));
    expect(failure.reason).toBe('malformed-key');
    expect(failure.message).toMatch(
      /^malformed minisign public key: .+; XCC_ZIG_PUBKEY takes the key line of a minisign.pub file/,
    );
    expect(failure.message).toContain(detail);
  });
});

describe('parseSignature', () => {
  it('reads a real Zig signature', () => {
    const signature = parseSignature(fixture(`${zig0151}.minisig`));
    expect(signature.algorithm).toBe('ED');
    expect(formatKeyId(signature.keyId)).toBe('D900E7558DAD3A86');
    expect(signature.signature).toHaveLength(64);
    expect(signature.globalSignature).toHaveLength(64);
    expect(signature.trustedComment).toBe(`timestamp:1755707121\tfile:${zig0151}\thashed`);
  });

  it('reads the legacy and prehashed test vectors', () => {
    expect(parseSignature(fixture('vector-legacy.minisig')).algorithm).toBe('Ed');
    expect(parseSignature(fixture('vector-prehashed.minisig')).algorithm).toBe('ED');
  });

  const real = fixture(`${zig0151}.minisig`);
  const [, signatureLine, , globalLine] = real.split('\n') as [string, string, string, string];
  it.each([
    ['a missing line', real.split('\n').slice(1).join('\n'), 'expected 4 lines, got 3'],
    ['an extra line', `${real}extra\n`, 'expected 4 lines, got 5'],
    ['a blank line at the end', `${real}\n`, 'expected 4 lines, got 5'],
    [
      'no untrusted comment prefix',
      withLine(real, 0, 'comment: x'),
      'line 1 does not start with "untrusted comment: "',
    ],
    [
      'the trusted comment spelled as in the old docs',
      withLine(real, 2, 'trusted_comment: timestamp:1'),
      'line 3 does not start with "trusted comment: "',
    ],
    [
      'a signature that is not base64',
      withLine(real, 1, `${signatureLine.slice(0, 50)}*`),
      'line 2 (signature) is not',
    ],
    [
      'non-canonical base64 in the signature',
      withLine(real, 1, `${signatureLine.slice(0, -2)}p=`),
      'line 2 (signature) is not valid base64',
    ],
    [
      'a short signature',
      withLine(real, 1, signatureLine.slice(0, 96)),
      'line 2 (signature) is 72 bytes, expected 74',
    ],
    [
      'an unknown algorithm',
      withLine(real, 1, `RX${signatureLine.slice(2)}`),
      'unknown signature algorithm "Et" (expected "ED")',
    ],
    [
      'a short global signature',
      withLine(real, 3, globalLine.slice(0, 84)),
      'line 4 (global signature) is 63 bytes',
    ],
    ['an empty global signature', withLine(real, 3, ''), 'line 4 (global signature) is not valid base64'],
  ])('rejects %s, saying what is malformed', (_, text, detail) => {
    const failure = failureOf(() => parseSignature(text, `${zig0151}.minisig`));
    expect(failure.reason).toBe('malformed-signature');
    expect(failure.message).toContain(`${zig0151}.minisig: malformed minisign signature: `);
    expect(failure.message).toContain(detail);
  });

  it('accepts CRLF line endings and no final newline, as minisign does', () => {
    const crlf = real.trimEnd().split('\n').join('\r\n');
    expect(parseSignature(crlf)).toEqual(parseSignature(real));
  });
});

describe('parseTrustedComment', () => {
  it.each([
    ['timestamp:1755707121\tfile:zig-0.15.1.tar.xz\thashed', ['zig-0.15.1.tar.xz'], 1755707121],
    [
      'timestamp:1\tfile:zig-x86_64-linux-0.17.0-dev.1525+91c6d8a09.tar.xz\thashed',
      ['zig-x86_64-linux-0.17.0-dev.1525+91c6d8a09.tar.xz'],
      1,
    ],
    ['file:a\tfile:b', ['a', 'b'], undefined],
    ['signed with file: a', [], undefined],
    ['', [], undefined],
  ])('parses %j', (comment, files, timestamp) => {
    expect(parseTrustedComment(comment)).toEqual({ files, timestamp });
  });
});

describe('verifySignature with the real Zig key and signatures', () => {
  const signature = parseSignature(fixture(`${zig0151}.minisig`));

  it('verifies the 0.15.1 tarball from its BLAKE2b-512 digest, without the tarball', () => {
    expect(verifySignature(zigKey, signature, zig0151Digest, { fileName: zig0151 })).toEqual({
      keyId: 'D900E7558DAD3A86',
      fileName: zig0151,
      timestamp: 1755707121,
      trustedComment: `timestamp:1755707121\tfile:${zig0151}\thashed`,
    });
  });

  it.each([
    ['zig-linux-x86_64-0.13.0.tar.xz', 1717729444],
    ['zig-x86_64-linux-0.16.0.tar.xz', 1776173777],
  ])('verifies the global signature and file name of %s before any download', (fileName, timestamp) => {
    const real = parseSignature(fixture(`${fileName}.minisig`));
    expect(verifyTrustedComment(zigKey, real, { fileName })).toMatchObject({ fileName, timestamp });
  });

  it('refuses a validly signed file that is not the one asked for (downgrade)', () => {
    const failure = failureOf(() =>
      verifySignature(zigKey, signature, zig0151Digest, { fileName: 'zig-x86_64-linux-0.15.2.tar.xz' }),
    );
    expect(failure).toEqual({
      reason: 'file-mismatch',
      message: `zig-x86_64-linux-0.15.2.tar.xz: the signature is for ${zig0151}, not zig-x86_64-linux-0.15.2.tar.xz: possible downgrade (a mirror served another validly signed file); download it from another mirror`,
    });
  });

  it('refuses a file that differs from the signed one by one bit', () => {
    const digest = Buffer.from(zig0151Digest.blake2b512);
    digest[17]! ^= 0x10;
    const failure = failureOf(() =>
      verifySignature(zigKey, signature, { blake2b512: digest }, { fileName: zig0151 }),
    );
    expect(failure).toEqual({
      reason: 'bad-signature',
      message: `${zig0151}: minisign signature does not match the file (the file was altered or corrupted in transit, or signed by another key); download it again from another mirror`,
    });
  });

  it('names both key ids and the override when another key signed the file', () => {
    const failure = failureOf(() =>
      verifySignature(vectorKey, signature, zig0151Digest, { fileName: zig0151 }),
    );
    expect(failure).toEqual({
      reason: 'key-id-mismatch',
      message: `${zig0151}: signed by minisign key D900E7558DAD3A86, but the trusted key is E7620F1842B4E81F; for a private mirror signed with its own key, set XCC_ZIG_PUBKEY to that mirror's public key`,
    });
  });

  it('refuses a key that claims the Zig key id but is another key', () => {
    const impostor = { keyId: zigKey.keyId, publicKey: vectorKey.publicKey };
    const failure = failureOf(() =>
      verifySignature(impostor, signature, zig0151Digest, { fileName: zig0151 }),
    );
    expect(failure.reason).toBe('bad-global-signature');
  });

  const real = fixture(`${zig0151}.minisig`);
  const [, signatureLine, trustedLine, globalLine] = real.split('\n') as [string, string, string, string];
  const other = fixture('zig-x86_64-linux-0.16.0.tar.xz.minisig').split('\n');
  it.each<[string, string, MinisignFailure]>([
    [
      'a bit of the algorithm (ED -> Ed)',
      withLine(real, 1, flipBit(signatureLine, 1, 0x20)),
      'legacy-refused',
    ],
    ['a bit of the key id', withLine(real, 1, flipBit(signatureLine, 2)), 'key-id-mismatch'],
    ['a bit of the last key id byte', withLine(real, 1, flipBit(signatureLine, 9, 0x80)), 'key-id-mismatch'],
    ['a bit of the signature', withLine(real, 1, flipBit(signatureLine, 40)), 'bad-global-signature'],
    [
      'a bit of the trusted comment',
      withLine(real, 2, trustedLine.replace('1755707121', '1755707120')),
      'bad-global-signature',
    ],
    ['a bit of the global signature', withLine(real, 3, flipBit(globalLine, 63)), 'bad-global-signature'],
    ['the trusted comment of another release', withLine(real, 2, other[2]!), 'bad-global-signature'],
    [
      'the trusted comment and global signature of another release',
      withLine(withLine(real, 2, other[2]!), 3, other[3]!),
      'bad-global-signature',
    ],
    ['the signature of another release', withLine(real, 1, other[1]!), 'bad-global-signature'],
  ])('detects a change to %s', (_, text, reason) => {
    const failure = failureOf(() =>
      verifySignature(zigKey, parseSignature(text), zig0151Digest, { fileName: zig0151 }),
    );
    expect(failure.reason).toBe(reason);
  });

  it('says the .minisig was altered when the global signature fails', () => {
    const tampered = parseSignature(withLine(real, 2, other[2]!));
    expect(failureOf(() => verifyTrustedComment(zigKey, tampered, { fileName: zig0151 })).message).toBe(
      `${zig0151}: the .minisig was altered (its global signature, over the signature and the trusted comment, does not verify); download it again from another mirror`,
    );
  });
});

describe('verifySignature with the published minisign test vectors', () => {
  const legacy = parseSignature(fixture('vector-legacy.minisig'));
  const prehashed = parseSignature(fixture('vector-prehashed.minisig'));

  it('verifies the prehashed vector from the bytes and from the digest', () => {
    const digest = createPrehash().update(vectorMessage.bytes).digest();
    for (const content of [vectorMessage, { blake2b512: digest }] satisfies SignedContent[]) {
      expect(verifySignature(vectorKey, prehashed, content, { fileName: 'test' })).toMatchObject({
        keyId: 'E7620F1842B4E81F',
        timestamp: 1556193335,
      });
    }
  });

  it('verifies the prehashed vector with another trusted comment (rust-minisign-verify)', () => {
    const signature: MinisignSignature = {
      ...prehashed,
      trustedComment: 'timestamp:1633700835\tfile:test\tprehashed',
      globalSignature: Buffer.from(
        'wLMDjy9FLAuxZ3q4NlEvkgtyhrr0gtTu6KC4KBJdITbbOeAi1zBIYo0v4iTgt8jJpIidRJnp94ABQkJAgAooBQ==',
        'base64',
      ),
    };
    expect(verifySignature(vectorKey, signature, vectorMessage, { fileName: 'test' }).timestamp).toBe(
      1633700835,
    );
  });

  it('refuses the legacy vector unless legacy signatures are allowed', () => {
    const failure = failureOf(() => verifySignature(vectorKey, legacy, vectorMessage, { fileName: 'test' }));
    expect(failure).toEqual({
      reason: 'legacy-refused',
      message:
        'test: legacy minisign signature (algorithm "Ed", over the raw file) refused; re-sign it with minisign 0.10 or newer (prehashed "ED" is its default), or allow legacy signatures explicitly (allowLegacy)',
    });
    const options = { fileName: 'test', allowLegacy: true };
    expect(verifySignature(vectorKey, legacy, vectorMessage, options).timestamp).toBe(1555779966);
  });

  it('refuses a changed message under an allowed legacy signature', () => {
    const options = { fileName: 'test', allowLegacy: true };
    expect(
      failureOf(() => verifySignature(vectorKey, legacy, { bytes: Buffer.from('tesT') }, options)).reason,
    ).toBe('bad-signature');
  });

  it('needs the bytes, not a digest, to check a legacy signature (a caller bug, not a user error)', () => {
    const digest = { blake2b512: createPrehash().update('test').digest() };
    expect(() => verifySignature(vectorKey, legacy, digest, { fileName: 'test', allowLegacy: true })).toThrow(
      'a legacy minisign signature needs the file bytes, not a digest',
    );
  });
});

describe('verifySignature against signatures made by the minisign tool', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'xcc-minisign-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** Signs `content` with a throwaway key pair using the reference implementation. */
  async function minisign(content: string, trustedComment: string, legacy = false) {
    const file = path.join(dir, 'file.bin');
    writeFileSync(file, content);
    await execa('minisign', ['-G', '-f', '-W', '-p', `${dir}/k.pub`, '-s', `${dir}/k.sec`]);
    await execa('minisign', [
      '-S',
      ...(legacy ? ['-l'] : []),
      '-s',
      `${dir}/k.sec`,
      '-m',
      file,
      '-t',
      trustedComment,
    ]);
    return {
      key: parsePublicKey(readFileSync(`${dir}/k.pub`, 'utf8')),
      signature: parseSignature(readFileSync(`${file}.minisig`, 'utf8')),
      content: { bytes: Buffer.from(content) },
    };
  }

  it('accepts what minisign signs with its default trusted comment form', async () => {
    const { key, signature, content } = await minisign(
      'zig',
      'timestamp:1700000000\tfile:zig.tar.xz\thashed',
    );
    expect(signature.algorithm).toBe('ED');
    expect(verifySignature(key, signature, content, { fileName: 'zig.tar.xz' }).timestamp).toBe(1700000000);
  });

  it('refuses a valid signature whose trusted comment names no file', async () => {
    const { key, signature, content } = await minisign('zig', 'timestamp:1700000000\thashed');
    expect(failureOf(() => verifySignature(key, signature, content, { fileName: 'zig.tar.xz' }))).toEqual({
      reason: 'no-file-name',
      message:
        'zig.tar.xz: the signature\'s trusted comment must name exactly one file ("file:<name>"), got "timestamp:1700000000\\thashed"; a signature that does not say which file it is for could belong to any file, so it is refused',
    });
  });

  it('refuses a valid signature whose trusted comment names two files', async () => {
    const { key, signature, content } = await minisign('zig', 'file:zig.tar.xz\tfile:other.tar.xz');
    expect(failureOf(() => verifySignature(key, signature, content, { fileName: 'zig.tar.xz' })).reason).toBe(
      'no-file-name',
    );
  });

  it('checks legacy signatures made by minisign -l when allowed', async () => {
    const { key, signature, content } = await minisign('zig', 'file:zig.tar.xz', true);
    expect(signature.algorithm).toBe('Ed');
    expect(
      verifySignature(key, signature, content, { fileName: 'zig.tar.xz', allowLegacy: true }).fileName,
    ).toBe('zig.tar.xz');
  });
});
