import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { currentHostKey, indexHostKey, releaseFileName, zigHostKey } from '../../src/zig/host.js';
import { fixturesDir } from '../support/paths.js';

type RawIndex = Record<string, Record<string, unknown>>;
const index = JSON.parse(readFileSync(path.join(fixturesDir, 'zig', 'index.json'), 'utf8')) as RawIndex;

/** Every (version, index host key, tarball URL) the real index lists; master under its own version. */
const artifacts = Object.entries(index).flatMap(([key, entry]) => {
  const version = key === 'master' ? (entry.version as string) : key;
  return Object.entries(entry)
    .filter(([name, value]) => typeof value === 'object' && name !== 'src' && name !== 'bootstrap')
    .map(([host, value]) => ({ key, version, host, tarball: (value as { tarball: string }).tarball }));
});

describe('zigHostKey', () => {
  it.each([
    ['linux', 'x64', 'LE', 'x86_64-linux'],
    ['linux', 'arm64', 'LE', 'aarch64-linux'],
    ['linux', 'arm', 'LE', 'arm-linux'],
    ['linux', 'ia32', 'LE', 'x86-linux'],
    ['linux', 'riscv64', 'LE', 'riscv64-linux'],
    ['linux', 'ppc64', 'LE', 'powerpc64le-linux'],
    ['linux', 'ppc64', 'BE', 'powerpc64-linux'],
    ['linux', 's390x', 'BE', 's390x-linux'],
    ['linux', 'loong64', 'LE', 'loongarch64-linux'],
    ['darwin', 'x64', 'LE', 'x86_64-macos'],
    ['darwin', 'arm64', 'LE', 'aarch64-macos'],
    ['win32', 'x64', 'LE', 'x86_64-windows'],
    ['win32', 'arm64', 'LE', 'aarch64-windows'],
    ['win32', 'ia32', 'LE', 'x86-windows'],
    ['freebsd', 'x64', 'LE', 'x86_64-freebsd'],
    ['freebsd', 'ppc64', 'BE', 'powerpc64-freebsd'],
    ['freebsd', 'ppc64', 'LE', 'powerpc64le-freebsd'],
    ['netbsd', 'arm64', 'LE', 'aarch64-netbsd'],
  ] as const)('%s/%s (%s) is %s', (platform, arch, endianness, expected) => {
    expect(zigHostKey(platform, arch, endianness)).toBe(expected);
  });

  it('names this machine', () => {
    expect(zigHostKey()).toMatch(/^[a-z0-9_]+-(linux|macos|windows|freebsd|netbsd)$/);
  });

  it.each([
    ['openbsd', 'x64'],
    ['aix', 'ppc64'],
    ['sunos', 'x64'],
    ['android', 'arm64'],
    ['linux', 'mips'],
    ['linux', 'ppc'],
    ['win32', 'riscv64x'],
  ] as const)('refuses %s/%s, saying which hosts Zig publishes builds for', (platform, arch) => {
    expect(() => zigHostKey(platform, arch, 'LE')).toThrow(
      `xcc cannot download Zig for this host (platform ${platform}, arch ${arch}): ziglang.org publishes builds for Linux, macOS, Windows, FreeBSD and NetBSD only`,
    );
  });
});

describe('releaseFileName', () => {
  it('has artifacts to compare with', () => {
    expect(artifacts.length).toBeGreaterThan(200);
  });

  it.each(artifacts)('$key $host is named as in the real index', ({ version, host, tarball }) => {
    expect(releaseFileName(version, host)).toBe(path.posix.basename(tarball));
  });

  it.each(artifacts)('$key $host is found from the current host key', ({ version, host, tarball }) => {
    expect(indexHostKey(version, currentHostKey(host))).toBe(host);
    expect(releaseFileName(version, currentHostKey(host))).toBe(path.posix.basename(tarball));
  });

  it.each([
    // The switch to <arch>-<os> happened at this dev build (mlugg/setup-zig 7dccf5e).
    ['0.15.0-dev.631+9a3540d61', 'x86_64-linux', 'zig-x86_64-linux-0.15.0-dev.631+9a3540d61.tar.xz'],
    ['0.15.0-dev.630+0123abcde', 'x86_64-linux', 'zig-linux-x86_64-0.15.0-dev.630+0123abcde.tar.xz'],
    ['0.15.0-dev.671+c907866d5', 'aarch64-macos', 'zig-aarch64-macos-0.15.0-dev.671+c907866d5.tar.xz'],
    ['0.15.0-dev.671+c907866d5', 'arm-linux', 'zig-armv7a-linux-0.15.0-dev.671+c907866d5.tar.xz'],
    ['0.14.0-dev.3000+0123abcde', 'x86_64-windows', 'zig-windows-x86_64-0.14.0-dev.3000+0123abcde.zip'],
    ['0.17.0-dev.1525+91c6d8a09', 'x86_64-linux', 'zig-x86_64-linux-0.17.0-dev.1525+91c6d8a09.tar.xz'],
    ['0.16.0', 'arm-linux', 'zig-arm-linux-0.16.0.tar.xz'],
    ['0.16.0', 'x86-windows', 'zig-x86-windows-0.16.0.zip'],
  ])('%s %s is %s', (version, host, expected) => {
    expect(releaseFileName(version, host)).toBe(expected);
  });
});

describe('indexHostKey', () => {
  it.each([
    ['0.15.2', 'arm-linux', 'arm-linux'],
    ['0.15.1', 'arm-linux', 'arm-linux'],
    ['0.14.1', 'arm-linux', 'armv7a-linux'],
    ['0.12.0', 'arm-linux', 'armv7a-linux'],
    ['0.11.0', 'x86-windows', 'x86-windows'],
    ['0.10.1', 'x86-linux', 'i386-linux'],
    ['0.10.1', 'x86_64-linux', 'x86_64-linux'],
  ])('%s lists %s as %s', (version, host, expected) => {
    expect(indexHostKey(version, host)).toBe(expected);
  });
});
