import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import { resolveTarget, type Target, type TargetRequest } from '../../src/resolve/index.js';

type Expected = Pick<Target, 'id' | 'zigTarget' | 'zigCpu'> & Partial<Target>;

function resolve(request: TargetRequest | string, zigVersion = '0.15.2'): Target {
  return resolveTarget(typeof request === 'string' ? { target: request } : request, { zigVersion });
}

describe('resolveTarget: every first-class Go port with its default libc', () => {
  it.each<[string, Expected]>([
    [
      'linux/amd64',
      {
        id: 'linux-amd64-musl',
        zigTarget: 'x86_64-linux-musl',
        zigCpu: 'x86_64',
        env: { GOOS: 'linux', GOARCH: 'amd64', GOAMD64: 'v1', CGO_ENABLED: '1' },
        libc: 'musl',
        linkage: 'static',
      },
    ],
    [
      'linux/arm64',
      {
        id: 'linux-arm64-musl',
        zigTarget: 'aarch64-linux-musl',
        zigCpu: 'generic',
        env: { GOOS: 'linux', GOARCH: 'arm64', GOARM64: 'v8.0', CGO_ENABLED: '1' },
      },
    ],
    [
      'linux/386',
      {
        id: 'linux-386-musl',
        zigTarget: 'x86-linux-musl',
        zigCpu: 'pentium4',
        env: { GOOS: 'linux', GOARCH: '386', GO386: 'sse2', CGO_ENABLED: '1' },
      },
    ],
    [
      'linux/arm',
      {
        id: 'linux-arm-v7-musl',
        zigTarget: 'arm-linux-musleabihf',
        zigCpu: 'generic+v7a-neon-d32',
        env: { GOOS: 'linux', GOARCH: 'arm', GOARM: '7', CGO_ENABLED: '1' },
      },
    ],
    [
      'windows/amd64',
      {
        id: 'windows-amd64-mingw',
        zigTarget: 'x86_64-windows-gnu',
        zigCpu: 'x86_64',
        libc: 'mingw',
        linkage: 'dynamic',
        needsSdk: false,
      },
    ],
    ['windows/386', { id: 'windows-386-mingw', zigTarget: 'x86-windows-gnu', zigCpu: 'pentium4' }],
    [
      'darwin/amd64',
      {
        id: 'darwin-amd64',
        zigTarget: 'x86_64-macos-none',
        zigCpu: 'x86_64',
        libc: 'system',
        needsSdk: true,
        tier: 'links',
      },
    ],
    [
      'darwin/arm64',
      {
        id: 'darwin-arm64',
        zigTarget: 'aarch64-macos-none',
        zigCpu: 'apple_m1',
        needsSdk: true,
        macosSdk: null,
      },
    ],
  ])('%s', (target, expected) => {
    expect(resolve(target)).toMatchObject(expected);
  });

  it('marks first-class Linux and Windows ports as building or, where the end-to-end suite ran them, proven', () => {
    for (const target of [
      'linux/amd64',
      'linux/arm64',
      'linux/386',
      'linux/arm',
      'windows/amd64',
      'windows/386',
    ]) {
      expect(['builds', 'proven']).toContain(resolve(target).tier);
    }
  });
});

describe('resolveTarget: other ports and libcs', () => {
  it.each<[TargetRequest, Expected]>([
    [
      { target: 'linux/amd64', libc: 'glibc' },
      { id: 'linux-amd64-glibc2.28', zigTarget: 'x86_64-linux-gnu.2.28', zigCpu: 'x86_64' },
    ],
    [
      { target: 'linux/arm/v7', glibcVersion: '2.31' },
      {
        id: 'linux-arm-v7-glibc2.31',
        zigTarget: 'arm-linux-gnueabihf.2.31',
        zigCpu: 'generic+v7a-neon-d32',
        libc: 'glibc',
        glibcVersion: '2.31',
        linkage: 'dynamic',
      },
    ],
    [
      { target: 'linux/arm64', glibcVersion: '2.17.0' },
      { id: 'linux-arm64-glibc2.17', zigTarget: 'aarch64-linux-gnu.2.17', zigCpu: 'generic' },
    ],
    [
      { target: 'linux/loong64', libc: 'glibc' },
      { id: 'linux-loong64-glibc2.36', zigTarget: 'loongarch64-linux-gnu.2.36', zigCpu: null },
    ],
    [
      { target: 'linux/loong64' },
      { id: 'linux-loong64-musl', zigTarget: 'loongarch64-linux-musl', zigCpu: null, subArch: null },
    ],
    [
      { target: 'linux/riscv64', libc: 'glibc' },
      {
        id: 'linux-riscv64-glibc2.28',
        zigTarget: 'riscv64-linux-gnu.2.28',
        zigCpu: 'generic_rv64+m+a+f+d+c',
      },
    ],
    [
      { target: 'linux/ppc64le' },
      { id: 'linux-ppc64le-musl', zigTarget: 'powerpc64le-linux-musl', zigCpu: 'pwr8' },
    ],
    [
      { target: 'linux/s390x' },
      {
        id: 'linux-s390x-musl',
        zigTarget: 's390x-linux-musl',
        zigCpu: 'z13',
        env: { GOOS: 'linux', GOARCH: 's390x', CGO_ENABLED: '1' },
      },
    ],
    [
      { target: 'linux/mips' },
      { id: 'linux-mips-musl', zigTarget: 'mips-linux-musleabihf', zigCpu: 'mips32' },
    ],
    [
      { target: 'linux/mipsle', libc: 'glibc' },
      { id: 'linux-mipsle-glibc2.28', zigTarget: 'mipsel-linux-gnueabihf.2.28', zigCpu: 'mips32' },
    ],
    [
      { target: 'linux/mips64' },
      { id: 'linux-mips64-musl', zigTarget: 'mips64-linux-muslabi64', zigCpu: 'mips64' },
    ],
    [
      { target: 'linux/mips64le', libc: 'glibc' },
      { id: 'linux-mips64le-glibc2.28', zigTarget: 'mips64el-linux-gnuabi64.2.28', zigCpu: 'mips64' },
    ],
    [
      { target: 'windows/arm64' },
      { id: 'windows-arm64-mingw', zigTarget: 'aarch64-windows-gnu', zigCpu: 'generic' },
    ],
    [
      { target: 'freebsd/amd64' },
      { id: 'freebsd-amd64', zigTarget: 'x86_64-freebsd-none', zigCpu: 'x86_64', linkage: 'dynamic' },
    ],
    [
      { target: 'freebsd/arm' },
      { id: 'freebsd-arm-v7', zigTarget: 'arm-freebsd-eabihf', zigCpu: 'generic+v7a-neon-d32' },
    ],
    [
      { target: 'netbsd/arm', goarm: '5' },
      { id: 'netbsd-arm-v5', zigTarget: 'arm-netbsd-eabi', zigCpu: 'generic+v5te+soft_float' },
    ],
    [{ target: 'netbsd/arm64' }, { id: 'netbsd-arm64', zigTarget: 'aarch64-netbsd-none', zigCpu: 'generic' }],
    [
      { target: 'darwin/arm64', macosSdk: '/sdk/MacOSX.sdk' },
      {
        id: 'darwin-arm64',
        zigTarget: 'aarch64-macos-none',
        zigCpu: 'apple_m1',
        macosSdk: '/sdk/MacOSX.sdk',
      },
    ],
    // Every arm64 Mac is an M1 or newer: apple_m1 stands for generic, and GOARM64 adds to it.
    [
      { target: 'darwin/arm64', goarm64: 'v8.2' },
      { id: 'darwin-arm64-v8.2', zigTarget: 'aarch64-macos-none', zigCpu: 'apple_m1+v8_2a' },
    ],
    [
      { target: 'darwin/arm64', goarm64: 'v9.0' },
      { id: 'darwin-arm64-v9.0', zigTarget: 'aarch64-macos-none', zigCpu: 'apple_m1+v9a' },
    ],
    [
      { target: 'linux/arm64', goarm64: 'v8.2' },
      { id: 'linux-arm64-v8.2-musl', zigTarget: 'aarch64-linux-musl', zigCpu: 'generic+v8_2a' },
    ],
    [{ target: 'darwin/amd64' }, { id: 'darwin-amd64', zigTarget: 'x86_64-macos-none', zigCpu: 'x86_64' }],
  ])('%j', (request, expected) => {
    expect(resolve(request)).toMatchObject(expected);
  });

  it('returns every field of a Target', () => {
    expect(resolve({ target: 'linux/arm/v7', glibcVersion: '2.31' })).toEqual({
      id: 'linux-arm-v7-glibc2.31',
      port: 'linux/arm',
      goos: 'linux',
      goarch: 'arm',
      subArch: { variable: 'GOARM', value: '7' },
      env: { GOOS: 'linux', GOARCH: 'arm', GOARM: '7', CGO_ENABLED: '1' },
      libc: 'glibc',
      glibcVersion: '2.31',
      linkage: 'dynamic',
      zigVersion: '0.15.2',
      zigTarget: 'arm-linux-gnueabihf.2.31',
      zigCpu: 'generic+v7a-neon-d32',
      needsSdk: false,
      macosSdk: null,
      sysroot: null,
      tier: 'builds',
      tierReason: expect.stringContaining('zig 0.15.2 compiles and links C'),
    });
  });
});

describe('resolveTarget: every sub-architecture value', () => {
  it.each<[TargetRequest, string, string, string, string]>([
    // request, env value, id, zig target, zig cpu
    [
      { target: 'linux/arm', goarm: '5' },
      '5',
      'linux-arm-v5-musl',
      'arm-linux-musleabi',
      'generic+v5te+soft_float',
    ],
    [
      { target: 'linux/arm', goarm: '5,softfloat' },
      '5',
      'linux-arm-v5-musl',
      'arm-linux-musleabi',
      'generic+v5te+soft_float',
    ],
    [
      { target: 'linux/arm', goarm: '5,hardfloat' },
      '5,hardfloat',
      'linux-arm-v5-hardfloat-musl',
      'arm-linux-musleabi',
      'generic+v5te+vfp2',
    ],
    [{ target: 'linux/arm', goarm: '6' }, '6', 'linux-arm-v6-musl', 'arm-linux-musleabihf', 'arm1176jzf_s'],
    [
      { target: 'linux/arm', goarm: '6,softfloat' },
      '6,softfloat',
      'linux-arm-v6-softfloat-musl',
      'arm-linux-musleabi',
      'arm1176jz_s',
    ],
    [
      { target: 'linux/arm', goarm: '6,hardfloat' },
      '6',
      'linux-arm-v6-musl',
      'arm-linux-musleabihf',
      'arm1176jzf_s',
    ],
    [
      { target: 'linux/arm', goarm: '7' },
      '7',
      'linux-arm-v7-musl',
      'arm-linux-musleabihf',
      'generic+v7a-neon-d32',
    ],
    [
      { target: 'linux/arm', goarm: '7,softfloat' },
      '7,softfloat',
      'linux-arm-v7-softfloat-musl',
      'arm-linux-musleabi',
      'generic+v7a+soft_float-neon',
    ],
    [
      { target: 'linux/arm', goarm: '7,softfloat', libc: 'glibc' },
      '7,softfloat',
      'linux-arm-v7-softfloat-glibc2.28',
      'arm-linux-gnueabi.2.28',
      'generic+v7a+soft_float-neon',
    ],
    [{ target: 'linux/arm/v5' }, '5', 'linux-arm-v5-musl', 'arm-linux-musleabi', 'generic+v5te+soft_float'],
    [{ target: 'linux/arm/v6' }, '6', 'linux-arm-v6-musl', 'arm-linux-musleabihf', 'arm1176jzf_s'],
    [
      { target: 'linux/arm/v7', goarm: '7,softfloat' },
      '7,softfloat',
      'linux-arm-v7-softfloat-musl',
      'arm-linux-musleabi',
      'generic+v7a+soft_float-neon',
    ],
    [{ target: 'linux/amd64', goamd64: 'v1' }, 'v1', 'linux-amd64-musl', 'x86_64-linux-musl', 'x86_64'],
    [{ target: 'linux/amd64', goamd64: 'v2' }, 'v2', 'linux-amd64-v2-musl', 'x86_64-linux-musl', 'x86_64_v2'],
    [{ target: 'linux/amd64', goamd64: 'v3' }, 'v3', 'linux-amd64-v3-musl', 'x86_64-linux-musl', 'x86_64_v3'],
    [{ target: 'linux/amd64', goamd64: 'v4' }, 'v4', 'linux-amd64-v4-musl', 'x86_64-linux-musl', 'x86_64_v4'],
    [{ target: 'linux/amd64/v3' }, 'v3', 'linux-amd64-v3-musl', 'x86_64-linux-musl', 'x86_64_v3'],
    [{ target: 'linux/386', go386: 'sse2' }, 'sse2', 'linux-386-musl', 'x86-linux-musl', 'pentium4'],
    [
      { target: 'linux/386', go386: 'softfloat' },
      'softfloat',
      'linux-386-softfloat-musl',
      'x86-linux-musl',
      'pentium_mmx',
    ],
    [
      { target: 'linux/mips', gomips: 'hardfloat' },
      'hardfloat',
      'linux-mips-musl',
      'mips-linux-musleabihf',
      'mips32',
    ],
    [
      { target: 'linux/mipsle', gomips: 'softfloat' },
      'softfloat',
      'linux-mipsle-softfloat-musl',
      'mipsel-linux-musleabi',
      'mips32+soft_float',
    ],
    [
      { target: 'linux/mips', gomips: 'softfloat', libc: 'glibc' },
      'softfloat',
      'linux-mips-softfloat-glibc2.28',
      'mips-linux-gnueabi.2.28',
      'mips32+soft_float',
    ],
    [
      { target: 'linux/mips64', gomips64: 'hardfloat' },
      'hardfloat',
      'linux-mips64-musl',
      'mips64-linux-muslabi64',
      'mips64',
    ],
    [
      { target: 'linux/ppc64le', goppc64: 'power8' },
      'power8',
      'linux-ppc64le-musl',
      'powerpc64le-linux-musl',
      'pwr8',
    ],
    [
      { target: 'linux/ppc64le', goppc64: 'power9' },
      'power9',
      'linux-ppc64le-power9-musl',
      'powerpc64le-linux-musl',
      'pwr9',
    ],
    [
      { target: 'linux/ppc64le', goppc64: 'power10' },
      'power10',
      'linux-ppc64le-power10-musl',
      'powerpc64le-linux-musl',
      'pwr10',
    ],
    [
      { target: 'linux/riscv64', goriscv64: 'rva20u64' },
      'rva20u64',
      'linux-riscv64-musl',
      'riscv64-linux-musl',
      'generic_rv64+m+a+f+d+c',
    ],
    [
      { target: 'linux/riscv64', goriscv64: 'rva22u64' },
      'rva22u64',
      'linux-riscv64-rva22u64-musl',
      'riscv64-linux-musl',
      'generic_rv64+m+a+f+d+c+zba+zbb+zbs+zfhmin+zicbom+zicbop+zicboz+zihintpause+zkt',
    ],
    [
      { target: 'linux/riscv64', goriscv64: 'rva23u64' },
      'rva23u64',
      'linux-riscv64-rva23u64-musl',
      'riscv64-linux-musl',
      'generic_rv64+rva23u64',
    ],
    [{ target: 'linux/arm64', goarm64: 'v8.0' }, 'v8.0', 'linux-arm64-musl', 'aarch64-linux-musl', 'generic'],
    [
      { target: 'linux/arm64', goarm64: 'v8.0,lse' },
      'v8.0,lse',
      'linux-arm64-v8.0-lse-musl',
      'aarch64-linux-musl',
      'generic+lse',
    ],
    [
      { target: 'linux/arm64', goarm64: 'v8.0,crypto' },
      'v8.0,crypto',
      'linux-arm64-v8.0-crypto-musl',
      'aarch64-linux-musl',
      'generic+aes+sha2',
    ],
    [
      { target: 'linux/arm64', goarm64: 'v8.0,crypto,lse' },
      'v8.0,lse,crypto',
      'linux-arm64-v8.0-lse-crypto-musl',
      'aarch64-linux-musl',
      'generic+lse+aes+sha2',
    ],
    [
      { target: 'linux/arm64', goarm64: 'v8.1' },
      'v8.1',
      'linux-arm64-v8.1-musl',
      'aarch64-linux-musl',
      'generic+v8_1a',
    ],
    [
      { target: 'linux/arm64', goarm64: 'v8.2,lse' },
      'v8.2',
      'linux-arm64-v8.2-musl',
      'aarch64-linux-musl',
      'generic+v8_2a',
    ],
    [
      { target: 'linux/arm64', goarm64: 'v8.3' },
      'v8.3',
      'linux-arm64-v8.3-musl',
      'aarch64-linux-musl',
      'generic+v8_3a',
    ],
    [
      { target: 'linux/arm64', goarm64: 'v8.4' },
      'v8.4',
      'linux-arm64-v8.4-musl',
      'aarch64-linux-musl',
      'generic+v8_4a',
    ],
    [
      { target: 'linux/arm64', goarm64: 'v8.5' },
      'v8.5',
      'linux-arm64-v8.5-musl',
      'aarch64-linux-musl',
      'generic+v8_5a',
    ],
    [
      { target: 'linux/arm64', goarm64: 'v8.6' },
      'v8.6',
      'linux-arm64-v8.6-musl',
      'aarch64-linux-musl',
      'generic+v8_6a',
    ],
    [
      { target: 'linux/arm64', goarm64: 'v8.7' },
      'v8.7',
      'linux-arm64-v8.7-musl',
      'aarch64-linux-musl',
      'generic+v8_7a',
    ],
    [
      { target: 'linux/arm64', goarm64: 'v8.8' },
      'v8.8',
      'linux-arm64-v8.8-musl',
      'aarch64-linux-musl',
      'generic+v8_8a',
    ],
    [
      { target: 'linux/arm64', goarm64: 'v8.9' },
      'v8.9',
      'linux-arm64-v8.9-musl',
      'aarch64-linux-musl',
      'generic+v8_9a',
    ],
    [
      { target: 'linux/arm64', goarm64: 'v9.0' },
      'v9.0',
      'linux-arm64-v9.0-musl',
      'aarch64-linux-musl',
      'generic+v9a',
    ],
    [
      { target: 'linux/arm64', goarm64: 'v9.1' },
      'v9.1',
      'linux-arm64-v9.1-musl',
      'aarch64-linux-musl',
      'generic+v9_1a',
    ],
    [
      { target: 'linux/arm64', goarm64: 'v9.2' },
      'v9.2',
      'linux-arm64-v9.2-musl',
      'aarch64-linux-musl',
      'generic+v9_2a',
    ],
    [
      { target: 'linux/arm64', goarm64: 'v9.3' },
      'v9.3',
      'linux-arm64-v9.3-musl',
      'aarch64-linux-musl',
      'generic+v9_3a',
    ],
    [
      { target: 'linux/arm64', goarm64: 'v9.4' },
      'v9.4',
      'linux-arm64-v9.4-musl',
      'aarch64-linux-musl',
      'generic+v9_4a',
    ],
    [
      { target: 'linux/arm64', goarm64: 'v9.5,crypto' },
      'v9.5,crypto',
      'linux-arm64-v9.5-crypto-musl',
      'aarch64-linux-musl',
      'generic+v9_5a+aes+sha2',
    ],
    [{ target: 'linux/arm64/v8' }, 'v8.0', 'linux-arm64-musl', 'aarch64-linux-musl', 'generic'],
    [
      { target: 'linux/arm64/v8', goarm64: 'v8.2' },
      'v8.2',
      'linux-arm64-v8.2-musl',
      'aarch64-linux-musl',
      'generic+v8_2a',
    ],
    [{ target: 'linux/arm64/v9.1' }, 'v9.1', 'linux-arm64-v9.1-musl', 'aarch64-linux-musl', 'generic+v9_1a'],
  ])('%j', (request, value, id, zigTarget, zigCpu) => {
    const target = resolve(request);
    expect(target.subArch?.value).toBe(value);
    expect(target.env[target.subArch!.variable]).toBe(value);
    expect({ id: target.id, zigTarget: target.zigTarget, zigCpu: target.zigCpu }).toEqual({
      id,
      zigTarget,
      zigCpu,
    });
  });
});

describe('resolveTarget: names that changed between zig releases', () => {
  it.each<[TargetRequest, string, string, string | null]>([
    // request, zig version, zig target, zig cpu
    [{ target: 'linux/386' }, '0.11.0', 'x86-linux-musl', 'pentium4'],
    [{ target: 'linux/mipsle' }, '0.13.0', 'mipsel-linux-musl', 'mips32'],
    [{ target: 'linux/mipsle' }, '0.14.0', 'mipsel-linux-musleabihf', 'mips32'],
    [{ target: 'linux/mips', gomips: 'softfloat' }, '0.13.0', 'mips-linux-musl', 'mips32+soft_float'],
    [{ target: 'linux/mips', gomips: 'softfloat' }, '0.14.1', 'mips-linux-musleabi', 'mips32+soft_float'],
    [{ target: 'linux/mips64le' }, '0.13.0', 'mips64el-linux-musl', 'mips64'],
    [{ target: 'linux/mips64le' }, '0.14.0', 'mips64el-linux-muslabi64', 'mips64'],
    [{ target: 'linux/loong64' }, '0.13.0', 'loongarch64-linux-musl', null],
    [{ target: 'linux/s390x' }, '0.13.0', 's390x-linux-musl', 'z13'],
    [
      { target: 'linux/riscv64', libc: 'glibc' },
      '0.11.0',
      'riscv64-linux-gnu.2.28',
      'generic_rv64+m+a+f+d+c',
    ],
    [
      { target: 'linux/riscv64', libc: 'glibc' },
      '0.14.0',
      'riscv64-linux-gnu.2.28',
      'generic_rv64+m+a+f+d+c',
    ],
    [{ target: 'linux/arm64', goarm64: 'v9.5' }, '0.12.1', 'aarch64-linux-musl', 'generic+v9_4a'],
    [{ target: 'linux/arm64', goarm64: 'v9.5,lse' }, '0.13.0', 'aarch64-linux-musl', 'generic+v9_5a'],
    [
      { target: 'linux/riscv64', goriscv64: 'rva23u64' },
      '0.14.1',
      'riscv64-linux-musl',
      'generic_rv64+m+a+f+d+c+zba+zbb+zbs+zfhmin+zicbom+zicbop+zicboz+zihintpause+zkt+v',
    ],
    [
      { target: 'linux/riscv64', goriscv64: 'rva23u64' },
      '0.15.1',
      'riscv64-linux-musl',
      'generic_rv64+rva23u64',
    ],
    [{ target: 'freebsd/arm64' }, '0.15.1', 'aarch64-freebsd-none', 'generic'],
    [{ target: 'openbsd/amd64' }, '0.16.0', 'x86_64-openbsd-none', 'x86_64'],
    [{ target: 'openbsd/arm' }, '0.17.1', 'arm-openbsd-eabi', 'generic+v7a-neon-d32'],
    [{ target: 'openbsd/riscv64' }, '0.16.0', 'riscv64-openbsd-none', 'generic_rv64+m+a+f+d+c'],
    [{ target: 'linux/amd64', glibcVersion: '2.34' }, '0.11.0', 'x86_64-linux-gnu.2.34', 'x86_64'],
    [{ target: 'linux/amd64', glibcVersion: '2.38' }, '0.12.0', 'x86_64-linux-gnu.2.38', 'x86_64'],
    [{ target: 'linux/amd64', glibcVersion: '2.39' }, '0.13.0', 'x86_64-linux-gnu.2.39', 'x86_64'],
    [{ target: 'linux/amd64', glibcVersion: '2.41' }, '0.14.0', 'x86_64-linux-gnu.2.41', 'x86_64'],
    [{ target: 'linux/amd64', glibcVersion: '2.43' }, '0.16.0', 'x86_64-linux-gnu.2.43', 'x86_64'],
    [{ target: 'linux/amd64', glibcVersion: '2.44' }, '0.17.1', 'x86_64-linux-gnu.2.44', 'x86_64'],
    // A development build sorts before its release: it keeps the previous release's names.
    [{ target: 'linux/mipsle' }, '0.14.0-dev.2456+a68119f8f', 'mipsel-linux-musl', 'mips32'],
    // A release newer than the table knows gets the newest names.
    [{ target: 'openbsd/arm64', glibcVersion: undefined }, '0.99.0', 'aarch64-openbsd-none', 'generic'],
  ])('%j with zig %s', (request, zigVersion, zigTarget, zigCpu) => {
    const target = resolve(request, zigVersion);
    expect({ zigTarget: target.zigTarget, zigCpu: target.zigCpu, zigVersion: target.zigVersion }).toEqual({
      zigTarget,
      zigCpu,
      zigVersion,
    });
  });
});

describe('resolveTarget: bad input is one line saying what to change', () => {
  it.each<[TargetRequest, string, string?]>([
    [{ target: '' }, "empty target; write GOOS/GOARCH, e.g. linux/arm64 (run 'xcc targets' for the list)"],
    [
      { target: 'linux' },
      "target 'linux' has no GOARCH; write GOOS/GOARCH, e.g. linux/amd64 (run 'xcc targets' for the list)",
    ],
    [
      { target: 'linux/' },
      "target 'linux/' has no GOARCH; write GOOS/GOARCH (run 'xcc targets' for the list)",
    ],
    [{ target: 'linux/arm/' }, "target 'linux/arm/' ends with '/'; write GOOS/GOARCH/VARIANT"],
    [
      { target: 'linux/arm/v7/x' },
      "target 'linux/arm/v7/x' has too many parts; write GOOS/GOARCH or GOOS/GOARCH/VARIANT",
    ],
    [{ target: 'linux-arm64' }, "'linux-arm64' is not GOOS/GOARCH; did you mean 'linux/arm64'?"],
    [{ target: 'x86_64-linux-musl' }, "'x86_64-linux-musl' is not GOOS/GOARCH; did you mean 'linux/amd64'?"],
    [
      { target: 'aarch64-macos-none' },
      "'aarch64-macos-none' is not GOOS/GOARCH; did you mean 'darwin/arm64'?",
    ],
    [{ target: 'hello' }, "'hello' is not GOOS/GOARCH, e.g. linux/arm64 (run 'xcc targets' for the list)"],
    [{ target: 'linx/amd64' }, "unknown GOOS 'linx' in 'linx/amd64'; did you mean 'linux/amd64'?"],
    [{ target: 'Linux/arm64' }, "unknown GOOS 'Linux' in 'Linux/arm64'; did you mean 'linux/arm64'?"],
    [{ target: 'macos/arm64' }, "unknown GOOS 'macos' in 'macos/arm64'; did you mean 'darwin/arm64'?"],
    [{ target: 'osx/amd64' }, "unknown GOOS 'osx' in 'osx/amd64'; did you mean 'darwin/amd64'?"],
    [{ target: 'win/amd64' }, "unknown GOOS 'win' in 'win/amd64'; did you mean 'windows/amd64'?"],
    [{ target: 'beos/amd64' }, "unknown GOOS 'beos' in 'beos/amd64'; run 'xcc targets' for the list"],
    [{ target: 'linux/x86_64' }, "unknown GOARCH 'x86_64' in 'linux/x86_64'; did you mean 'linux/amd64'?"],
    [{ target: 'windows/x64' }, "unknown GOARCH 'x64' in 'windows/x64'; did you mean 'windows/amd64'?"],
    [{ target: 'linux/aarch64' }, "unknown GOARCH 'aarch64' in 'linux/aarch64'; did you mean 'linux/arm64'?"],
    [{ target: 'linux/i386' }, "unknown GOARCH 'i386' in 'linux/i386'; did you mean 'linux/386'?"],
    [{ target: 'windows/x86' }, "unknown GOARCH 'x86' in 'windows/x86'; did you mean 'windows/386'?"],
    [{ target: 'linux/armv7' }, "unknown GOARCH 'armv7' in 'linux/armv7'; did you mean 'linux/arm/v7'?"],
    [{ target: 'linux/armhf' }, "unknown GOARCH 'armhf' in 'linux/armhf'; did you mean 'linux/arm/v7'?"],
    [{ target: 'linux/amd46' }, "unknown GOARCH 'amd46' in 'linux/amd46'; did you mean 'linux/amd64'?"],
    [{ target: 'linux/riscv' }, "unknown GOARCH 'riscv' in 'linux/riscv'; did you mean 'linux/riscv64'?"],
    [{ target: 'darwin/x86_64' }, "unknown GOARCH 'x86_64' in 'darwin/x86_64'; did you mean 'darwin/amd64'?"],
    [{ target: 'darwin/riscv64' }, 'darwin/riscv64 is not a Go port; darwin has amd64, arm64'],
    [
      { target: 'linux/ppc64' },
      'linux/ppc64 has no cgo in Go (CgoSupported=false); build it with CGO_ENABLED=0, no C toolchain needed',
    ],
    [
      { target: 'js/wasm' },
      'js/wasm has no cgo in Go (CgoSupported=false); build it with CGO_ENABLED=0, no C toolchain needed',
    ],
    [
      { target: 'android/arm64' },
      "android/arm64 is not supported: zig ships no Android libc (Bionic); use the Android NDK's clang as CC",
    ],
    [
      { target: 'ios/arm64' },
      "ios/arm64 is not supported: zig ships no iOS libc and xcc does not wire an iOS SDK; use Xcode's clang as CC",
    ],
    [
      { target: 'openbsd/amd64' },
      'zig 0.15.2 cannot provide libc for openbsd/amd64; use zig 0.16.0 or newer',
    ],
    [
      { target: 'linux/loong64' },
      'zig 0.12.1 cannot provide musl for linux/loong64; use zig 0.13.0 or newer',
      '0.12.1',
    ],
    [
      { target: 'freebsd/amd64' },
      'zig 0.14.1 cannot provide libc for freebsd/amd64; use zig 0.15.0 or newer',
      '0.14.1',
    ],
    [
      { target: 'linux/s390x' },
      'zig 0.12.1 cannot provide musl for linux/s390x; use zig 0.13.0 or newer',
      '0.12.1',
    ],
    [
      { target: 'linux/riscv64', libc: 'glibc' },
      'zig 0.13.0 cannot provide glibc for linux/riscv64; use zig 0.14.0 or newer',
      '0.13.0',
    ],
    [
      { target: 'linux/mips64le', gomips64: 'softfloat' },
      'zig has no soft-float musl for linux/mips64le; use GOMIPS64=hardfloat',
    ],
    [
      { target: 'linux/amd64' },
      'zig 0.10.1 is older than 0.11.0, the oldest zig xcc supports; use zig 0.11.0 or newer',
      '0.10.1',
    ],
    [{ target: 'linux/amd64' }, "malformed zig version '0.15'; write MAJOR.MINOR.PATCH, e.g. 0.15.2", '0.15'],
    [
      { target: 'linux/amd64' },
      "malformed zig version 'v0.15.2'; write MAJOR.MINOR.PATCH, e.g. 0.15.2",
      'v0.15.2',
    ],
    [
      { target: 'windows/amd64', libc: 'musl' },
      'windows/amd64 cannot use musl: it links against mingw; drop --musl',
    ],
    [
      { target: 'windows/arm64', libc: 'glibc' },
      'windows/arm64 cannot use glibc: it links against mingw; drop --glibc',
    ],
    [
      { target: 'darwin/arm64', libc: 'glibc' },
      "darwin/arm64 cannot use glibc: it links against darwin's own libc; drop --glibc",
    ],
    [
      { target: 'darwin/amd64', libc: 'musl' },
      "darwin/amd64 cannot use musl: it links against darwin's own libc; drop --musl",
    ],
    [
      { target: 'freebsd/amd64', libc: 'musl' },
      "freebsd/amd64 cannot use musl: it links against freebsd's own libc; drop --musl",
    ],
    [
      { target: 'linux/amd64', libc: 'mingw' },
      'linux/amd64 cannot use mingw: choose musl or glibc; drop --mingw',
    ],
    [{ target: 'linux/amd64', libc: 'system' }, 'linux/amd64 cannot use system: choose musl or glibc'],
    [
      { target: 'linux/amd64', libc: 'musl', glibcVersion: '2.28' },
      'a glibc version was given with libc musl; drop one of them',
    ],
    [
      { target: 'linux/amd64', glibcVersion: '2.x' },
      "malformed glibc version '2.x'; write MAJOR.MINOR, e.g. 2.28",
    ],
    [
      { target: 'linux/amd64', glibcVersion: '2' },
      "malformed glibc version '2'; write MAJOR.MINOR, e.g. 2.28",
    ],
    [
      { target: 'linux/amd64', glibcVersion: '2.28.1' },
      "malformed glibc version '2.28.1'; write MAJOR.MINOR, e.g. 2.28",
    ],
    [
      { target: 'linux/amd64', glibcVersion: 'linux/amd64' },
      "malformed glibc version 'linux/amd64' (--glibc took the next word as its version: put the target first or write --glibc=VERSION); write MAJOR.MINOR, e.g. 2.28",
    ],
    [
      { target: 'linux/amd64', glibcVersion: '2.16' },
      'glibc 2.16 is too old for linux/amd64 (the oldest is 2.17); use glibc 2.17 or newer',
    ],
    [
      { target: 'linux/arm64', glibcVersion: '2.16' },
      'glibc 2.16 is too old for linux/arm64 (the oldest is 2.17); use glibc 2.17 or newer',
    ],
    [
      { target: 'linux/riscv64', glibcVersion: '2.26' },
      'glibc 2.26 is too old for linux/riscv64 (the oldest is 2.27); use glibc 2.27 or newer',
    ],
    [
      { target: 'linux/loong64', glibcVersion: '2.35' },
      'glibc 2.35 is too old for linux/loong64 (the oldest is 2.36); use glibc 2.36 or newer',
    ],
    [
      { target: 'linux/amd64', glibcVersion: '2.43' },
      'glibc 2.43 is newer than 2.42, the newest zig 0.15.2 knows; use glibc 2.42 or older, or a newer zig',
    ],
    [
      { target: 'linux/amd64', glibcVersion: '3.0' },
      'glibc 3.0 is newer than 2.42, the newest zig 0.15.2 knows; use glibc 2.42 or older, or a newer zig',
    ],
    [
      { target: 'linux/arm', goarm: '8' },
      'GOARM=8 does not exist: 64-bit ARM is GOARCH=arm64; use linux/arm64',
    ],
    [
      { target: 'linux/arm', goarm: '4' },
      "invalid GOARM '4'; use 5, 6 or 7, optionally followed by ,softfloat or ,hardfloat",
    ],
    [
      { target: 'linux/arm', goarm: '7,soft' },
      "invalid GOARM '7,soft'; use 5, 6 or 7, optionally followed by ,softfloat or ,hardfloat",
    ],
    [
      { target: 'linux/arm', goarm: 'v7' },
      "invalid GOARM 'v7'; use 5, 6 or 7, optionally followed by ,softfloat or ,hardfloat",
    ],
    [
      { target: 'linux/amd64', goarm: '7' },
      'GOARM is for GOARCH=arm, but the target is linux/amd64 (its variable is GOAMD64); drop GOARM',
    ],
    [
      { target: 'linux/mips64', gomips: 'softfloat' },
      'GOMIPS is for GOARCH=mips and mipsle, but the target is linux/mips64 (its variable is GOMIPS64); drop GOMIPS',
    ],
    [
      { target: 'linux/s390x', goppc64: 'power9' },
      'GOPPC64 is for GOARCH=ppc64 and ppc64le, but the target is linux/s390x (it has no sub-architecture variable); drop GOPPC64',
    ],
    [
      { target: 'linux/amd64', goamd64: 'v5' },
      "invalid GOAMD64 'v5'; use v1, v2, v3 or v4; did you mean 'v1'?",
    ],
    [
      { target: 'linux/amd64', goamd64: '3' },
      "invalid GOAMD64 '3'; use v1, v2, v3 or v4; did you mean 'v3'?",
    ],
    [
      { target: 'linux/arm64', goarm64: 'v9' },
      "invalid GOARM64 'v9'; use v8.0-v8.9 or v9.0-v9.5, optionally followed by ,lse and/or ,crypto; did you mean 'v9.0'?",
    ],
    [
      { target: 'linux/arm64', goarm64: 'v8.0,aes' },
      "invalid GOARM64 'v8.0,aes'; use v8.0-v8.9 or v9.0-v9.5, optionally followed by ,lse and/or ,crypto",
    ],
    [
      { target: 'linux/arm64', goarm64: 'v9.6' },
      "invalid GOARM64 'v9.6'; use v8.0-v8.9 or v9.0-v9.5, optionally followed by ,lse and/or ,crypto; did you mean 'v9.0'?",
    ],
    [{ target: 'linux/386', go386: '387' }, 'GO386=387 was removed in Go 1.16; use softfloat'],
    [
      { target: 'linux/386', go386: 'sse' },
      "invalid GO386 'sse'; use sse2 or softfloat; did you mean 'sse2'?",
    ],
    [{ target: 'linux/mips', gomips: 'soft' }, "invalid GOMIPS 'soft'; use hardfloat or softfloat"],
    [{ target: 'linux/ppc64le', goppc64: 'pwr9' }, "invalid GOPPC64 'pwr9'; use power8, power9 or power10"],
    [
      { target: 'linux/riscv64', goriscv64: 'rv64gc' },
      "invalid GORISCV64 'rv64gc'; use rva20u64, rva22u64 or rva23u64",
    ],
    [
      { target: 'linux/arm/v9' },
      "unknown variant 'v9' in 'linux/arm/v9'; use v5, v6 or v7; did you mean 'v5'?",
    ],
    [{ target: 'linux/arm/7' }, "unknown variant '7' in 'linux/arm/7'; use v5, v6 or v7; did you mean 'v7'?"],
    [
      { target: 'linux/arm/v8' },
      'linux/arm/v8 has no Go equivalent (GOARM stops at 7); use linux/arm64, or linux/arm/v7 for 32-bit code',
    ],
    [
      { target: 'linux/amd64/v5' },
      "unknown variant 'v5' in 'linux/amd64/v5'; use v1, v2, v3 or v4; did you mean 'v1'?",
    ],
    [{ target: 'linux/386/v2' }, "linux/386 has no platform variants; drop '/v2' and set GO386 instead"],
    [{ target: 'linux/s390x/z13' }, "linux/s390x has no platform variants; drop '/z13'"],
    [
      { target: 'linux/arm/v6', goarm: '7' },
      "platform variant 'v6' means GOARM=6 but GOARM is 7; drop one of them",
    ],
    [
      { target: 'linux/amd64/v2', goamd64: 'v3' },
      "platform variant 'v2' means GOAMD64=v2 but GOAMD64 is v3; drop one of them",
    ],
    [
      { target: 'linux/arm64/v8', goarm64: 'v9.0' },
      "platform variant 'v8' means GOARM64=v8.0 but GOARM64 is v9.0; drop one of them",
    ],
    [
      { target: 'freebsd/arm', goarm: '6,softfloat' },
      'zig has no soft-float libc for freebsd/arm; use GOARM=6 or 7',
    ],
    [
      { target: 'linux/mips64', gomips64: 'softfloat', libc: 'glibc' },
      'zig has no soft-float glibc for linux/mips64; use GOMIPS64=hardfloat',
    ],
    [
      { target: 'linux/amd64', macosSdk: '/sdk' },
      'a macOS SDK is only for darwin targets, not linux/amd64; drop --macos-sdk',
    ],
    [
      { target: 'windows/amd64', sysroot: '/sysroot' },
      'a sysroot is for linux targets, not windows/amd64; drop sysroot',
    ],
    [
      { target: 'darwin/arm64', sysroot: '/sysroot' },
      'a sysroot is for linux targets, not darwin/arm64; drop sysroot (a darwin target takes a macOS SDK)',
    ],
  ])('%j', (request, message, zigVersion = '0.15.2') => {
    let thrown: unknown;
    try {
      resolveTarget(request, { zigVersion });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(UsageError);
    expect((thrown as UsageError).message).toBe(message);
    expect((thrown as UsageError).exitCode).toBe(2);
  });
});

describe('resolveTarget: a sysroot', () => {
  it('is kept absolute, taken from the current directory when relative, and leaves the id alone', () => {
    const target = resolve({ target: 'linux/arm64', sysroot: 'rel/../sysroot' });
    expect(target.sysroot).toBe(path.resolve('sysroot'));
    expect(target.id).toBe('linux-arm64-musl');
    expect(resolve({ target: 'linux/arm64', sysroot: '/abs/root/' }).sysroot).toBe('/abs/root');
    expect(resolve('linux/arm64').sysroot).toBeNull();
  });
});

describe('resolveTarget: defaults', () => {
  it('raises the default glibc to the oldest an architecture supports', () => {
    expect(resolve({ target: 'linux/loong64', libc: 'glibc' }).glibcVersion).toBe('2.36');
    expect(resolve({ target: 'linux/riscv64', libc: 'glibc' }).glibcVersion).toBe('2.28');
  });

  it('always sets the sub-architecture variable, so that Go and the C compiler agree', () => {
    expect(resolve('linux/amd64').env).toHaveProperty('GOAMD64', 'v1');
    expect(resolve('windows/386').env).toHaveProperty('GO386', 'sse2');
  });

  it('does not read the environment', () => {
    const before = process.env.SDKROOT;
    process.env.SDKROOT = '/from/env';
    try {
      expect(resolve('darwin/arm64').macosSdk).toBeNull();
    } finally {
      if (before === undefined) delete process.env.SDKROOT;
      else process.env.SDKROOT = before;
    }
  });

  it('gives distinct ids to distinct targets and the same id to the same target', () => {
    expect(resolve('linux/arm').id).toBe(resolve('linux/arm/v7').id);
    expect(resolve({ target: 'linux/arm', goarm: '7,hardfloat' }).id).toBe(resolve('linux/arm').id);
    expect(resolve('linux/arm/v6').id).not.toBe(resolve('linux/arm').id);
    expect(resolve({ target: 'linux/amd64', glibcVersion: '2.28' }).id).toBe(
      resolve({ target: 'linux/amd64', libc: 'glibc' }).id,
    );
  });
});
