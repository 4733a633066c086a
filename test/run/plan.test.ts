import { describe, expect, it } from 'vitest';
import { resolveTarget, type TargetRequest } from '../../src/resolve/index.js';
import { type Host, runnerPlan } from '../../src/run/index.js';
import { MATRIX } from '../e2e/matrix.js';
import { runnerDisagreement } from '../e2e/runners.js';

/** What runs each target's programs on a host: written from QEMU's and Wine's own names, not computed. */
const linuxAmd64: Host = { platform: 'linux', arch: 'x64' };
const linuxArm64: Host = { platform: 'linux', arch: 'arm64' };

function plan(request: TargetRequest | string, host: Host = linuxAmd64) {
  const target = resolveTarget(typeof request === 'string' ? { target: request } : request, {
    zigVersion: '0.15.2',
  });
  return runnerPlan(target, host);
}

describe('runnerPlan', () => {
  it('runs the host and its 32-bit sibling natively; glibc 386 needs the 32-bit loader', () => {
    expect(plan('linux/amd64')).toEqual({ kind: 'native' });
    expect(plan({ target: 'linux/amd64', glibcVersion: '2.28' })).toEqual({ kind: 'native' });
    expect(plan('linux/386')).toEqual({ kind: 'native' });
    expect(plan({ target: 'linux/386', libc: 'glibc' })).toMatchObject({
      kind: 'native',
      needs: { file: '/lib/ld-linux.so.2', install: expect.stringContaining('libc6:i386') },
    });
    expect(plan('windows/amd64', { platform: 'win32', arch: 'x64' })).toEqual({ kind: 'native' });
    expect(plan('windows/386', { platform: 'win32', arch: 'x64' })).toEqual({ kind: 'native' });
    // Rosetta.
    expect(plan('darwin/amd64', { platform: 'darwin', arch: 'arm64' })).toEqual({ kind: 'native' });
  });

  it('runs other Linux architectures under qemu-user, with glibc sysroots where cross packages put them', () => {
    expect(plan('linux/arm64')).toEqual({ kind: 'qemu', arch: 'aarch64', raceUnsupported: true });
    expect(plan({ target: 'linux/arm64', glibcVersion: '2.28' })).toEqual({
      kind: 'qemu',
      arch: 'aarch64',
      sysroot: {
        dirs: ['/usr/aarch64-linux-gnu', '/usr/aarch64-linux-gnu/sys-root'],
        install: 'libc6-arm64-cross',
      },
      raceUnsupported: true,
    });
    expect(plan('linux/riscv64')).toEqual({ kind: 'qemu', arch: 'riscv64', raceUnsupported: false });
    expect(plan('linux/ppc64le')).toMatchObject({ kind: 'qemu', arch: 'ppc64le' });
    expect(plan('linux/mips64le')).toMatchObject({ kind: 'qemu', arch: 'mips64el' });
    expect(plan('linux/loong64')).toMatchObject({ kind: 'qemu', arch: 'loongarch64' });
    expect(plan({ target: 'linux/riscv64', libc: 'glibc' })).toMatchObject({
      sysroot: { install: 'libc6-riscv64-cross' },
    });
    expect(plan({ target: 'linux/amd64', libc: 'glibc' }, linuxArm64)).toMatchObject({
      kind: 'qemu',
      arch: 'x86_64',
      sysroot: { dirs: ['/usr/x86_64-linux-gnu', '/usr/x86_64-linux-gnu/sys-root'] },
    });
  });

  it("uses the toolchain's sysroot for qemu's -L, before the cross packages, for glibc and musl", () => {
    expect(plan({ target: 'linux/arm64', glibcVersion: '2.28', sysroot: '/srv/arm64' })).toEqual({
      kind: 'qemu',
      arch: 'aarch64',
      sysroot: {
        dirs: ['/usr/aarch64-linux-gnu', '/usr/aarch64-linux-gnu/sys-root'],
        install: 'libc6-arm64-cross',
        given: '/srv/arm64',
      },
      raceUnsupported: true,
    });
    // A musl program linked against a sysroot's shared libraries needs its loader and libraries too.
    expect(plan({ target: 'linux/arm64', sysroot: '/srv/alpine' })).toMatchObject({
      sysroot: { dirs: [], given: '/srv/alpine' },
    });
    expect(plan({ target: 'linux/arm/v7', libc: 'glibc', sysroot: '/srv/armhf' })).toMatchObject({
      sysroot: { install: 'libc6-armhf-cross', given: '/srv/armhf' },
    });
    expect(plan({ target: 'linux/arm/v5', libc: 'glibc' })).toMatchObject({
      sysroot: { install: 'libc6-armel-cross' },
    });
    // The host's own programs need no runner, whatever the sysroot.
    expect(plan({ target: 'linux/amd64', sysroot: '/srv/amd64' })).toEqual({ kind: 'native' });
  });

  it('picks a QEMU CPU model that has the sub-architecture', () => {
    // Exactly the GOARM level: a later instruction faults.
    expect(plan('linux/arm/v5')).toMatchObject({ arch: 'arm', cpu: 'arm926' });
    expect(plan('linux/arm/v6')).toMatchObject({ arch: 'arm', cpu: 'arm1176' });
    expect(plan('linux/arm/v7')).toMatchObject({ arch: 'arm', cpu: 'cortex-a7' });
    // Debian's armhf glibc is ARMv7 code: an ARMv6 CPU could not run the sysroot.
    expect(plan({ target: 'linux/arm/v6', libc: 'glibc' })).not.toHaveProperty('cpu');
    expect(plan({ target: 'linux/arm/v7', libc: 'glibc' })).toMatchObject({
      cpu: 'cortex-a7',
      sysroot: {
        dirs: ['/usr/arm-linux-gnueabihf', '/usr/arm-linux-gnueabihf/sys-root'],
        install: 'libc6-armhf-cross',
      },
    });
    expect(plan({ target: 'linux/arm/v5', libc: 'glibc' })).toMatchObject({
      cpu: 'arm926',
      sysroot: { install: 'libc6-armel-cross' },
    });
    expect(plan('linux/amd64', linuxArm64)).not.toHaveProperty('cpu');
    expect(plan('linux/amd64/v3', linuxArm64)).toMatchObject({ arch: 'x86_64', cpu: 'max' });
    expect(plan({ target: 'linux/riscv64', goriscv64: 'rva22u64' })).toMatchObject({ cpu: 'max' });
    expect(plan({ target: 'linux/ppc64le', goppc64: 'power10' })).toMatchObject({ cpu: 'power10' });
    expect(plan({ target: 'linux/arm64', goarm64: 'v8.2' })).toMatchObject({ cpu: 'max' });
  });

  it('runs x86 Windows programs under Wine on x86-64 hosts', () => {
    expect(plan('windows/amd64')).toEqual({ kind: 'wine', bits: 64 });
    expect(plan('windows/386')).toEqual({ kind: 'wine', bits: 32 });
  });

  it('says why where nothing runs them', () => {
    expect(plan('windows/arm64')).toEqual({ kind: 'none', reason: expect.stringMatching(/Wine runs x86/) });
    expect(plan('windows/amd64', linuxArm64)).toMatchObject({ kind: 'none' });
    expect(plan('darwin/arm64')).toEqual({
      kind: 'none',
      reason: 'no runner for darwin/arm64 programs on linux/amd64 (QEMU user mode runs Linux programs only)',
    });
    expect(plan('freebsd/amd64')).toMatchObject({ kind: 'none' });
    expect(plan('linux/arm64', { platform: 'darwin', arch: 'arm64' })).toEqual({
      kind: 'none',
      reason: 'QEMU user mode runs on Linux hosts only, not on darwin/arm64',
    });
    // qemu-i386 cannot run Go's 386 runtime.
    expect(plan('linux/386', linuxArm64)).toMatchObject({
      kind: 'none',
      reason: expect.stringMatching(/QEMU cannot/),
    });
  });

  it('agrees with the runner each row of the e2e matrix writes down (from QEMU and Wine, not from xcc)', () => {
    const disagreements = MATRIX.map((row) => runnerDisagreement(row, '0.15.2')).filter(
      (text) => text !== null,
    );
    expect(disagreements).toEqual([]);
    const v7 = MATRIX.find((row) => row.id === 'linux/arm/v7 musl')!;
    expect(
      runnerDisagreement({ ...v7, runner: { kind: 'qemu', arch: 'arm', cpu: 'cortex-a15' } }, '0.15.2'),
    ).toMatch(/the matrix says qemu-arm -cpu cortex-a15/);
  });
});
