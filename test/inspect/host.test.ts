import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { amd64LevelFromFlags, detectHost, goarch, goos } from '../../src/inspect/host.js';
import { run } from '../support/builds.js';
import { needHost, requireOrSkip } from '../support/tools.js';

describe('the host in Go words', () => {
  it('names this machine as Go does (go env GOHOSTOS GOHOSTARCH)', () => {
    const [os, arch] = run('go', ['env', 'GOHOSTOS', 'GOHOSTARCH']).stdout.trim().split('\n');
    const host = detectHost();
    expect({ os: host.os, arch: host.arch }).toEqual({ os, arch });
  });

  it.each([
    ['win32', 'windows'],
    ['darwin', 'darwin'],
    ['linux', 'linux'],
    ['freebsd', 'freebsd'],
    ['sunos', 'solaris'],
    ['aix', 'aix'],
  ])('platform %s is GOOS %s', (platform, expected) => {
    expect(goos(platform)).toBe(expected);
  });

  it.each([
    ['x64', 'LE', 'amd64'],
    ['ia32', 'LE', '386'],
    ['arm', 'LE', 'arm'],
    ['arm64', 'LE', 'arm64'],
    ['ppc64', 'LE', 'ppc64le'],
    ['ppc64', 'BE', 'ppc64'],
    ['s390x', 'BE', 's390x'],
    ['riscv64', 'LE', 'riscv64'],
    ['loong64', 'LE', 'loong64'],
    ['mipsel', 'LE', 'mipsle'],
  ] as const)('arch %s (%s) is GOARCH %s', (arch, endianness, expected) => {
    expect(goarch(arch, endianness)).toBe(expected);
  });

  it('a host given by name is not probed', () => {
    expect(detectHost('linux', 'riscv64')).toEqual({ os: 'linux', arch: 'riscv64' });
  });
});

describe('x86-64 levels from /proc/cpuinfo flags', () => {
  const v2 = ['cx16', 'lahf_lm', 'popcnt', 'sse4_1', 'sse4_2', 'ssse3'];
  const v3 = [...v2, 'avx', 'avx2', 'bmi1', 'bmi2', 'f16c', 'fma', 'abm', 'movbe', 'xsave'];
  const v4 = [...v3, 'avx512f', 'avx512bw', 'avx512cd', 'avx512dq', 'avx512vl'];

  it.each([
    [['fpu', 'sse2'], 1],
    [v2, 2],
    [v3, 3],
    [v4, 4],
    [v3.filter((flag) => flag !== 'movbe'), 2],
    [[...v2, 'avx512f', 'avx512bw', 'avx512cd', 'avx512dq', 'avx512vl'], 2],
  ])('%j is level %i', (flags, level) => {
    expect(amd64LevelFromFlags(flags)).toBe(level);
  });

  it('unknown flags give no level', () => {
    expect(amd64LevelFromFlags(null)).toBeNull();
  });

  it('this machine: the level its CPU flags give, as glibc counts them', (context) => {
    needHost(context, { platform: 'linux', arch: 'x64' });
    // glibc's loader prints the levels this CPU supports, the same psABI definition (glibc 2.33+).
    const loader = run('/lib64/ld-linux-x86-64.so.2', ['--help']);
    if (loader.status !== 0)
      requireOrSkip(context, 'no glibc loader that prints its --help', 'run it on glibc 2.33 or newer');
    const supported = [...loader.stdout.matchAll(/x86-64-v(\d) \(supported, searched\)/g)].map((match) =>
      Number(match[1]),
    );
    const flags =
      readFileSync('/proc/cpuinfo', 'utf8')
        .match(/^flags\s*:\s*(.*)$/m)?.[1]
        ?.split(/\s+/) ?? null;
    expect(amd64LevelFromFlags(flags)).toBe(Math.max(1, ...supported));
    expect(detectHost().amd64Level).toBe(Math.max(1, ...supported));
  });
});
