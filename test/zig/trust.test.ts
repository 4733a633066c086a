import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { XccError } from '../../src/errors.js';
import { zigReleases } from '../../src/zig/releases/pinned.js';
import { parseIndex, type ZigIndex } from '../../src/zig/releases/releases.js';
import { formatKeyId } from '../../src/zig/verify/minisign.js';
import {
  expectedDigest,
  type TrustData,
  type TrustQuery,
  trustedPublicKey,
} from '../../src/zig/verify/trust.js';
import { fixturesDir } from '../support/paths.js';

const indexText = readFileSync(path.join(fixturesDir, 'zig', 'index.json'), 'utf8');
const official = parseIndex(indexText);
const pinned = zigReleases();

/** The real index with one change, parsed. */
function indexWith(change: (doc: Record<string, Record<string, Record<string, unknown>>>) => void): ZigIndex {
  const doc = JSON.parse(indexText);
  change(doc);
  return parseIndex(JSON.stringify(doc));
}

const tarball = (version: string, host: string): TrustQuery => ({ version, host, source: 'tarball' });
const wheel = (version: string, host: string): TrustQuery => ({ version, host, source: 'pypi' });
const online: TrustData = { pinned, index: official, privateIndex: false };
const offline: TrustData = { pinned, index: undefined, privateIndex: false };
const devIndex = indexWith((d) => {
  d.master!.version = '0.16.0-dev.1+0123abcde' as never;
});

describe('expectedDigest for official tarballs', () => {
  it('trusts the pinned hash, with the index URL when the index agrees', () => {
    expect(expectedDigest(tarball('0.15.2', 'x86_64-linux'), online)).toEqual({
      kind: 'sha256',
      file: 'zig-x86_64-linux-0.15.2.tar.xz',
      sha256: '02aa270f183da276e5b5920b1dac44a63f1a49e55050ebde3aecc9eb82f93239',
      size: 53733924,
      url: 'https://ziglang.org/download/0.15.2/zig-x86_64-linux-0.15.2.tar.xz',
      vouchedBy: 'pinned',
    });
  });

  it('trusts the pinned hash offline, under the host key of that version', () => {
    expect(expectedDigest(tarball('0.14.1', 'arm-linux'), offline)).toMatchObject({
      kind: 'sha256',
      file: 'zig-armv7a-linux-0.14.1.tar.xz',
      url: undefined,
      vouchedBy: 'pinned',
    });
  });

  it('trusts the official index for a release that is not pinned', () => {
    expect(expectedDigest(tarball('0.10.1', 'x86_64-linux'), online)).toEqual({
      kind: 'sha256',
      file: 'zig-linux-x86_64-0.10.1.tar.xz',
      sha256: '6699f0e7293081b42428f32c9d9c983854094bd15fee5489f12c4cf4518cc380',
      size: 44085596,
      url: 'https://ziglang.org/download/0.10.1/zig-linux-x86_64-0.10.1.tar.xz',
      vouchedBy: 'official-index',
    });
  });

  it('trusts the official index for the master dev build', () => {
    const data = { ...online, index: devIndex };
    expect(expectedDigest(tarball('0.16.0-dev.1+0123abcde', 'aarch64-macos'), data)).toMatchObject({
      kind: 'sha256',
      url: 'https://ziglang.org/builds/zig-aarch64-macos-0.15.1.tar.xz',
      vouchedBy: 'official-index',
    });
  });

  it('leaves a dev build the index no longer lists to its signature', () => {
    expect(expectedDigest(tarball('0.16.0-dev.1+0123abcde', 'x86_64-linux'), online)).toEqual({
      kind: 'signature-only',
      file: 'zig-x86_64-linux-0.16.0-dev.1+0123abcde.tar.xz',
      reason:
        "Zig 0.16.0-dev.1+0123abcde is not in xcc's pinned table or the official index (dev builds leave it when master moves on): only its minisign signature vouches for it",
    });
  });

  it('says which hosts a release has builds for when this one has none', () => {
    const run = () => expectedDigest(tarball('0.14.0', 's390x-linux'), online);
    expect(run).toThrow(XccError);
    expect(run).toThrow(
      "Zig 0.14.0 has no build for this host (s390x-linux) in xcc's pinned table or the official index; it has builds for x86_64-macos, aarch64-macos, x86_64-linux, aarch64-linux, arm-linux, riscv64-linux, powerpc64le-linux, x86-linux, loongarch64-linux, x86_64-windows, aarch64-windows, x86-windows",
    );
  });

  it('refuses a release known nowhere', () => {
    expect(() => expectedDigest(tarball('0.16.0', 'x86_64-linux'), offline)).toThrow(
      "no sha256 is known for Zig 0.16.0: it is not in xcc's pinned table or the official index; pick a version they list",
    );
  });

  it.each<[string, (entry: Record<string, unknown>) => void]>([
    ['sha256', (entry) => (entry.shasum = '0'.repeat(64))],
    ['size', (entry) => (entry.size = '1')],
    [
      'file name',
      (entry) => (entry.tarball = 'https://ziglang.org/download/0.15.2/zig-x86_64-linux-0.15.1.tar.xz'),
    ],
  ])('refuses both when the official index and the pinned table disagree on the %s', (_, change) => {
    const index = indexWith((d) => change(d['0.15.2']!['x86_64-linux']!));
    expect(() => expectedDigest(tarball('0.15.2', 'x86_64-linux'), { ...online, index })).toThrow(
      /^the official index and xcc's pinned table disagree about zig-x86_64-linux-0\.15\.2\.tar\.xz \(index: sha256 .+; pinned: sha256 02aa270f183da276e5b5920b1dac44a63f1a49e55050ebde3aecc9eb82f93239, 53733924 bytes\), so neither is trusted; if ziglang.org re-published Zig 0\.15\.2, upgrade xcc$/,
    );
  });
});

describe('expectedDigest with a private index (XCC_ZIG_INDEX)', () => {
  const privateIndex = indexWith((d) => {
    d['0.15.2']!['x86_64-linux']!.shasum = 'ab'.repeat(32);
    d['0.15.2']!['x86_64-linux']!.tarball = 'https://zig.internal.example/zig-x86_64-linux-0.15.2.tar.xz';
    delete d['0.14.1'];
  });
  const data: TrustData = { pinned, index: privateIndex, privateIndex: true };

  it('checks its hashes, not the pinned ones', () => {
    expect(expectedDigest(tarball('0.15.2', 'x86_64-linux'), data)).toEqual({
      kind: 'sha256',
      file: 'zig-x86_64-linux-0.15.2.tar.xz',
      sha256: 'ab'.repeat(32),
      size: 53733924,
      url: 'https://zig.internal.example/zig-x86_64-linux-0.15.2.tar.xz',
      vouchedBy: 'private-index',
    });
  });

  it('does not fall back to the pinned table for a release it lacks', () => {
    expect(() => expectedDigest(tarball('0.14.1', 'x86_64-linux'), data)).toThrow(
      'no sha256 is known for Zig 0.14.1: it is not in the private index (XCC_ZIG_INDEX); pick a version they list',
    );
  });

  it('names itself when a release lacks the host', () => {
    expect(() => expectedDigest(tarball('0.14.0', 's390x-linux'), data)).toThrow(
      'Zig 0.14.0 has no build for this host (s390x-linux) in the private index (XCC_ZIG_INDEX)',
    );
  });

  it('refuses pinned releases when it is unavailable', () => {
    expect(() => expectedDigest(tarball('0.15.2', 'x86_64-linux'), { ...data, index: undefined })).toThrow(
      'no sha256 is known for Zig 0.15.2: it is not in the private index (XCC_ZIG_INDEX)',
    );
  });

  it('still checks PyPI wheels against the pinned table', () => {
    expect(expectedDigest(wheel('0.15.2', 'x86_64-linux'), data)).toMatchObject({ vouchedBy: 'pinned-pypi' });
  });
});

describe('expectedDigest for PyPI wheels', () => {
  it('trusts the pinned wheel hash and gives its URL', () => {
    const { sha256, size, url, file } = pinned.pypi['0.15.2']!['x86_64-linux']!;
    expect(expectedDigest(wheel('0.15.2', 'x86_64-linux'), offline)).toEqual({
      kind: 'sha256',
      file,
      sha256,
      size,
      url,
      vouchedBy: 'pinned-pypi',
    });
    expect(file).toBe(
      'ziglang-0.15.2-py3-none-manylinux_2_12_x86_64.manylinux2010_x86_64.musllinux_1_1_x86_64.whl',
    );
  });

  it.each([
    [
      '0.13.0',
      'powerpc64le-linux',
      'ziglang-0.13.0.post1-py3-none-manylinux_2_17_ppc64le.manylinux2014_ppc64le.musllinux_1_1_ppc64le.whl',
    ],
    [
      '0.14.1',
      'arm-linux',
      'ziglang-0.14.1-py3-none-manylinux_2_17_armv7l.manylinux2014_armv7l.musllinux_1_1_armv7l.whl',
    ],
    ['0.12.0', 'x86-windows', 'ziglang-0.12.0-py3-none-win32.whl'],
  ])('pins Zig %s for %s as %s', (version, host, file) => {
    expect(expectedDigest(wheel(version, host), offline)).toMatchObject({ kind: 'sha256', file });
  });

  it.each([
    ['0.15.2', 'loongarch64-linux'],
    ['0.15.2', 'x86_64-freebsd'],
    ['0.16.0', 'x86_64-linux'],
  ])('has no pinned wheel of %s for %s', (version, host) => {
    expect(expectedDigest(wheel(version, host), online)).toEqual({
      kind: 'unpinned-wheel',
      reason: `xcc pins no PyPI wheel of Zig ${version} for ${host}`,
    });
  });
});

describe('trustedPublicKey', () => {
  const vectorKey = readFileSync(path.join(fixturesDir, 'minisign', 'vector.pub'), 'utf8');

  it.each([
    ['the Zig Software Foundation key by default', {}, 'D900E7558DAD3A86'],
    [
      'the Zig Software Foundation key when XCC_ZIG_PUBKEY is empty',
      { XCC_ZIG_PUBKEY: '' },
      'D900E7558DAD3A86',
    ],
    ['XCC_ZIG_PUBKEY when set', { XCC_ZIG_PUBKEY: vectorKey }, 'E7620F1842B4E81F'],
    [
      'a minisign.pub file in XCC_ZIG_PUBKEY',
      { XCC_ZIG_PUBKEY: `untrusted comment: minisign public key E7620F1842B4E81F\n${vectorKey}` },
      'E7620F1842B4E81F',
    ],
  ])('is %s', (_, env, keyId) => {
    expect(formatKeyId(trustedPublicKey(env).keyId)).toBe(keyId);
  });

  it('refuses a malformed XCC_ZIG_PUBKEY as bad usage', () => {
    expect(() => trustedPublicKey({ XCC_ZIG_PUBKEY: 'RWQ' })).toThrow(
      expect.objectContaining({ exitCode: 2, reason: 'malformed-key' }),
    );
  });
});
