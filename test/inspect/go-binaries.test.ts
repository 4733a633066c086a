import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkExpectations, parseExpectations } from '../../src/inspect/expect.js';
import type { BinaryFacts } from '../../src/inspect/facts.js';
import { createUniversal } from '../../src/inspect/lipo.js';
import { inspectFile } from '../../src/inspect/report.js';
import { type Host, judge } from '../../src/inspect/verdicts.js';
import { goBuild, goModule, HELLO_GO, run } from '../support/builds.js';
import { fileType, goToolBuildId, goVersionM, llvmNeededLibraries, readelf } from '../support/oracles.js';
import { needCommand } from '../support/tools.js';

/**
 * Go binaries for many GOOS/GOARCH pairs, built here with CGO_ENABLED=0, checked against readelf,
 * file(1), `go version -m` and `go tool buildid`, then judged.
 */

interface GoTarget {
  name: string;
  env: Record<string, string>;
  format: BinaryFacts['format'];
  target: string;
  bits: 32 | 64;
  endian: 'little' | 'big';
  cpuVariant: string | null;
  file: RegExp;
  /** The CPU verdict's text, or null when there is none (arm64 v8.0, s390x). */
  cpu: string | null;
}

const elf = (bits: 32 | 64, endian: 'LSB' | 'MSB', machine: string) =>
  new RegExp(`^ELF ${bits}-bit ${endian} executable, ${machine}.*, statically linked`);

const TARGETS: GoTarget[] = [
  {
    name: 'linux-amd64',
    env: { GOOS: 'linux', GOARCH: 'amd64' },
    format: 'elf',
    target: 'linux/amd64',
    bits: 64,
    endian: 'little',
    cpuVariant: 'v1',
    file: elf(64, 'LSB', 'x86-64'),
    cpu: 'runs on any x86-64 CPU (GOAMD64=v1)',
  },
  {
    name: 'linux-amd64-v3',
    env: { GOOS: 'linux', GOARCH: 'amd64', GOAMD64: 'v3' },
    format: 'elf',
    target: 'linux/amd64',
    bits: 64,
    endian: 'little',
    cpuVariant: 'v3',
    file: elf(64, 'LSB', 'x86-64'),
    cpu: 'needs an x86-64-v3 CPU (AVX2, BMI2, FMA: Intel Haswell, AMD Excavator or newer) (GOAMD64=v3)',
  },
  {
    name: 'linux-arm64',
    env: { GOOS: 'linux', GOARCH: 'arm64' },
    format: 'elf',
    target: 'linux/arm64',
    bits: 64,
    endian: 'little',
    cpuVariant: 'v8.0',
    file: elf(64, 'LSB', 'ARM aarch64'),
    cpu: null,
  },
  {
    name: 'linux-arm64-v8.2',
    env: { GOOS: 'linux', GOARCH: 'arm64', GOARM64: 'v8.2,lse' },
    format: 'elf',
    target: 'linux/arm64',
    bits: 64,
    endian: 'little',
    cpuVariant: 'v8.2',
    file: elf(64, 'LSB', 'ARM aarch64'),
    cpu: 'needs an ARM v8.2 CPU (GOARM64=v8.2,lse)',
  },
  {
    name: 'linux-arm-5',
    env: { GOOS: 'linux', GOARCH: 'arm', GOARM: '5' },
    format: 'elf',
    target: 'linux/arm',
    bits: 32,
    endian: 'little',
    cpuVariant: 'v5',
    file: elf(32, 'LSB', 'ARM, EABI5'),
    cpu: 'runs on any ARMv5 or newer CPU; floating point in software (GOARM=5)',
  },
  {
    name: 'linux-arm-6',
    env: { GOOS: 'linux', GOARCH: 'arm', GOARM: '6' },
    format: 'elf',
    target: 'linux/arm',
    bits: 32,
    endian: 'little',
    cpuVariant: 'v6',
    file: elf(32, 'LSB', 'ARM, EABI5'),
    cpu: 'needs an ARMv6 CPU with hardware floating point (VFP) (GOARM=6)',
  },
  {
    name: 'linux-arm-7',
    env: { GOOS: 'linux', GOARCH: 'arm', GOARM: '7' },
    format: 'elf',
    target: 'linux/arm',
    bits: 32,
    endian: 'little',
    cpuVariant: 'v7',
    file: elf(32, 'LSB', 'ARM, EABI5'),
    cpu: 'needs an ARMv7 CPU with hardware floating point (VFP) (GOARM=7)',
  },
  {
    name: 'linux-arm-7-softfloat',
    env: { GOOS: 'linux', GOARCH: 'arm', GOARM: '7,softfloat' },
    format: 'elf',
    target: 'linux/arm',
    bits: 32,
    endian: 'little',
    cpuVariant: 'v7',
    file: elf(32, 'LSB', 'ARM, EABI5'),
    cpu: 'needs an ARMv7 CPU; floating point in software (GOARM=7,softfloat)',
  },
  {
    name: 'linux-386-softfloat',
    env: { GOOS: 'linux', GOARCH: '386', GO386: 'softfloat' },
    format: 'elf',
    target: 'linux/386',
    bits: 32,
    endian: 'little',
    cpuVariant: 'softfloat',
    file: elf(32, 'LSB', 'Intel 80386'),
    cpu: 'runs on any x86 CPU (GO386=softfloat)',
  },
  {
    name: 'linux-mips-softfloat',
    env: { GOOS: 'linux', GOARCH: 'mips', GOMIPS: 'softfloat' },
    format: 'elf',
    target: 'linux/mips',
    bits: 32,
    endian: 'big',
    cpuVariant: 'softfloat',
    file: elf(32, 'MSB', 'MIPS'),
    cpu: 'runs on MIPS CPUs without an FPU; floating point in software (GOMIPS=softfloat)',
  },
  {
    name: 'linux-mipsle-hardfloat',
    env: { GOOS: 'linux', GOARCH: 'mipsle', GOMIPS: 'hardfloat' },
    format: 'elf',
    target: 'linux/mipsle',
    bits: 32,
    endian: 'little',
    cpuVariant: 'hardfloat',
    file: elf(32, 'LSB', 'MIPS'),
    cpu: 'needs a MIPS CPU with an FPU (GOMIPS=hardfloat)',
  },
  {
    name: 'linux-s390x',
    env: { GOOS: 'linux', GOARCH: 's390x' },
    format: 'elf',
    target: 'linux/s390x',
    bits: 64,
    endian: 'big',
    cpuVariant: null,
    file: elf(64, 'MSB', 'IBM S/390'),
    cpu: null,
  },
  {
    name: 'linux-ppc64le-power9',
    env: { GOOS: 'linux', GOARCH: 'ppc64le', GOPPC64: 'power9' },
    format: 'elf',
    target: 'linux/ppc64le',
    bits: 64,
    endian: 'little',
    cpuVariant: 'power9',
    file: elf(64, 'LSB', '64-bit PowerPC'),
    cpu: 'needs an IBM POWER9 CPU or newer (GOPPC64=power9)',
  },
  {
    name: 'linux-riscv64-rva22u64',
    env: { GOOS: 'linux', GOARCH: 'riscv64', GORISCV64: 'rva22u64' },
    format: 'elf',
    target: 'linux/riscv64',
    bits: 64,
    endian: 'little',
    cpuVariant: 'rva22u64',
    file: elf(64, 'LSB', 'UCB RISC-V'),
    cpu: 'needs a RISC-V CPU with the RVA22U64 profile (GORISCV64=rva22u64)',
  },
  {
    name: 'freebsd-amd64',
    env: { GOOS: 'freebsd', GOARCH: 'amd64' },
    format: 'elf',
    target: 'freebsd/amd64',
    bits: 64,
    endian: 'little',
    cpuVariant: 'v1',
    file: /^ELF 64-bit LSB executable, x86-64, version 1 \(FreeBSD\), statically linked/,
    cpu: 'runs on any x86-64 CPU (GOAMD64=v1)',
  },
  {
    name: 'windows-amd64.exe',
    env: { GOOS: 'windows', GOARCH: 'amd64' },
    format: 'pe',
    target: 'windows/amd64',
    bits: 64,
    endian: 'little',
    cpuVariant: 'v1',
    file: /^PE32\+ executable \(console\) x86-64/,
    cpu: 'runs on any x86-64 CPU (GOAMD64=v1)',
  },
  {
    name: 'windows-386.exe',
    env: { GOOS: 'windows', GOARCH: '386' },
    format: 'pe',
    target: 'windows/386',
    bits: 32,
    endian: 'little',
    cpuVariant: 'sse2',
    file: /^PE32 executable \(console\) Intel 80386/,
    cpu: 'needs a CPU with SSE2: Pentium 4 or newer (GO386=sse2)',
  },
  {
    name: 'darwin-arm64',
    env: { GOOS: 'darwin', GOARCH: 'arm64' },
    format: 'macho',
    target: 'darwin/arm64',
    bits: 64,
    endian: 'little',
    cpuVariant: 'v8.0',
    file: /^Mach-O 64-bit arm64 executable/,
    cpu: null,
  },
  {
    name: 'darwin-amd64',
    env: { GOOS: 'darwin', GOARCH: 'amd64' },
    format: 'macho',
    target: 'darwin/amd64',
    bits: 64,
    endian: 'little',
    cpuVariant: 'v1',
    file: /^Mach-O 64-bit x86_64 executable/,
    cpu: 'runs on any x86-64 CPU (GOAMD64=v1)',
  },
];

const LINUX_AMD64: Host = { os: 'linux', arch: 'amd64' };

const work = mkdtempSync(path.join(os.tmpdir(), 'xcc-inspect-go-'));
const bin = (name: string) => path.join(work, 'bin', name);
afterAll(() => rmSync(work, { recursive: true, force: true }));

let hello: string;
const facts = new Map<string, BinaryFacts>();

async function only(name: string): Promise<BinaryFacts> {
  const cached = facts.get(name);
  if (cached !== undefined) return cached;
  const [image, ...rest] = await inspectFile(bin(name));
  expect(rest).toEqual([]);
  facts.set(name, image!);
  return image!;
}

function texts(image: BinaryFacts, host: Host = LINUX_AMD64, topic?: string): string[] {
  return judge(image, host)
    .filter((verdict) => topic === undefined || verdict.topic === topic)
    .map((verdict) => verdict.text);
}

beforeAll(() => {
  mkdirSync(path.join(work, 'bin'));
  hello = goModule(work, 'hello', { 'main.go': HELLO_GO });
  for (const target of TARGETS) goBuild(hello, bin(target.name), target.env);
  goBuild(hello, bin('release'), { GOOS: 'linux', GOARCH: 'amd64' }, [
    '-trimpath',
    '-buildvcs=false',
    '-ldflags=-s -w -buildid=',
  ]);
  goBuild(hello, bin('pie'), { GOOS: 'linux', GOARCH: 'amd64' }, ['-buildmode=pie']);
  goBuild(hello, bin('dwarfless'), { GOOS: 'linux', GOARCH: 'amd64' }, ['-ldflags=-w']);
  writeFileSync(
    bin('universal'),
    createUniversal(
      ['darwin-amd64', 'darwin-arm64'].map((name) => ({ name, bytes: readFileSync(bin(name)) })),
    ).bytes,
  );
}, 1_800_000);

describe('Go binaries for many targets', () => {
  it.each(TARGETS)('$name: format, target, word size and byte order', async (target) => {
    const image = await only(target.name);
    expect({
      format: image.format,
      target: `${image.os}/${image.arch}`,
      bits: image.bits,
      endian: image.endian,
    }).toEqual({
      format: target.format,
      target: target.target,
      bits: target.bits,
      endian: target.endian,
    });
    expect(image.kind).toBe('executable');
    expect(image.cpuVariant).toBe(target.cpuVariant);
    expect(fileType(bin(target.name))).toMatch(target.file);
    if (target.format === 'elf') {
      const oracle = readelf(bin(target.name));
      expect({ bits: image.bits, endian: image.endian }).toEqual({
        bits: oracle.bits,
        endian: oracle.endian,
      });
      expect(image.interpreter).toBe(oracle.interpreter);
      expect(image.libraries).toEqual(oracle.needed);
      expect(image.stripped).toBe(!oracle.symtab);
      expect(image.debugInfo).toBe(oracle.debugInfo);
    }
  });

  it.each(TARGETS)('$name: Go build info equals `go version -m`', async (target) => {
    const image = await only(target.name);
    const oracle = goVersionM(bin(target.name));
    expect(image.go?.version).toBe(oracle.version);
    expect(buildInfoLines(image)).toEqual(oracle.lines);
  });

  it.each(TARGETS)('$name: Go build ID equals `go tool buildid`', async (target) => {
    expect((await only(target.name)).go?.buildId).toBe(goToolBuildId(bin(target.name)));
  });

  it.each(TARGETS)('$name: the CPU verdict', async (target) => {
    expect(texts(await only(target.name), LINUX_AMD64, 'cpu')).toEqual(
      target.cpu === null ? [] : [target.cpu],
    );
  });

  it('reads the imported DLLs and dylibs as llvm-readobj does', async (context) => {
    needCommand(context, 'llvm-readobj');
    for (const name of ['windows-amd64.exe', 'windows-386.exe', 'darwin-arm64']) {
      expect([...(await only(name)).libraries].sort()).toEqual(llvmNeededLibraries(bin(name)));
    }
  });
});

/** runtime/debug.BuildInfo.String()'s lines, rebuilt from the facts (strconv.Quote is JSON's quoting for ASCII). */
function buildInfoLines(image: BinaryFacts): string[] {
  const go = image.go!;
  const quote = (value: string) => (/[\s"`]/.test(value) ? JSON.stringify(value) : value);
  const lines = [`path\t${go.path}`, `mod\t${go.main!.path}\t${go.main!.version}\t${go.main!.sum}`];
  for (const [key, value] of Object.entries(go.settings)) lines.push(`build\t${key}=${quote(value)}`);
  return lines;
}

describe('where a Go binary runs', () => {
  it('runs on its own host, and a foreign architecture names the qemu to use', async () => {
    expect(texts(await only('linux-amd64'), LINUX_AMD64, 'host')).toEqual([
      'runs on this host (linux/amd64): yes',
    ]);
    expect(texts(await only('linux-arm64'), LINUX_AMD64, 'host')).toEqual([
      'cannot run on this host (linux/amd64): it is a linux/arm64 binary; run it under qemu-aarch64 or on the target',
    ]);
    expect(texts(await only('linux-arm64'), { ...LINUX_AMD64, emulators: ['qemu-aarch64'] }, 'host')).toEqual(
      ['runs on this host (linux/amd64) through qemu-aarch64 (binfmt_misc)'],
    );
  });

  it('a linux/arm64 binary really runs under the qemu the verdict names', (context) => {
    needCommand(context, 'qemu-aarch64-static');
    expect(execFileSync('qemu-aarch64-static', [bin('linux-arm64')], { encoding: 'utf8' })).toBe('hello\n');
    expect(execFileSync('qemu-arm-static', [bin('linux-arm-5')], { encoding: 'utf8' })).toBe('hello\n');
  });

  it('other operating systems: wine, a Mac, Linux', async () => {
    expect(texts(await only('windows-amd64.exe'), LINUX_AMD64, 'host')).toEqual([
      'cannot run on this host (linux/amd64): it is a windows/amd64 binary; run it under wine or on Windows',
    ]);
    expect(texts(await only('darwin-arm64'), LINUX_AMD64, 'host')).toEqual([
      'cannot run on this host (linux/amd64): it is a darwin/arm64 binary; run it on a Mac',
    ]);
    expect(texts(await only('freebsd-amd64'), LINUX_AMD64, 'host')).toEqual([
      'cannot run on this host (linux/amd64): it is a freebsd/amd64 binary; run it on freebsd',
    ]);
    expect(texts(await only('darwin-arm64'), { os: 'darwin', arch: 'amd64' }, 'host')).toEqual([
      'cannot run on this host (darwin/amd64): it is a darwin/arm64 binary; run it on the target',
    ]);
    expect(texts(await only('linux-amd64'), { os: 'darwin', arch: 'arm64' }, 'host')).toEqual([
      'cannot run on this host (darwin/arm64): it is a linux/amd64 binary; run it on Linux (or under qemu-x86_64 on a Linux host), e.g. in a container',
    ]);
  });

  it.each([
    [
      'linux-386-softfloat',
      LINUX_AMD64,
      'runs on this host: yes, as a 32-bit x86 program on x86-64 (linux/amd64)',
    ],
    [
      'linux-arm-7',
      { os: 'linux', arch: 'arm64' },
      'may run on this host: only if the CPU executes 32-bit ARM code (many arm64 servers and Apple Silicon do not; else use qemu-arm) (linux/arm64)',
    ],
    [
      'darwin-amd64',
      { os: 'darwin', arch: 'arm64' },
      'runs on this host under Rosetta 2 (once installed) (darwin/arm64)',
    ],
    [
      'windows-amd64.exe',
      { os: 'windows', arch: 'arm64' },
      "runs on this host under Windows' x86 emulation (windows/arm64)",
    ],
  ])('%s on a compatible host', async (name, host, text) => {
    expect(texts(await only(name), host, 'host')).toEqual([text]);
  });

  it('a GOAMD64=v3 binary on an older CPU stops with the message its runtime carries', async () => {
    const message = 'This program can only be run on AMD64 processors with v3 microarchitecture support.';
    expect(readFileSync(bin('linux-amd64-v3')).includes(message)).toBe(true);
    expect(texts(await only('linux-amd64-v3'), { ...LINUX_AMD64, amd64Level: 2 }, 'host')).toEqual([
      `cannot run on this host (linux/amd64): it needs an x86-64-v3 CPU and this one is x86-64-v2; it stops at startup with "${message}"`,
    ]);
    expect(texts(await only('linux-amd64-v3'), { ...LINUX_AMD64, amd64Level: 3 }, 'host')).toEqual([
      'runs on this host (linux/amd64): yes',
    ]);
  });

  it('static binaries run on scratch; a -buildmode=pie one needs the loader', async () => {
    expect(texts(await only('linux-amd64'), LINUX_AMD64, 'scratch')).toEqual([
      'runs on scratch/distroless-static: yes, because it is statically linked (no loader, no shared libraries)',
    ]);
    const pie = await only('pie');
    const oracle = readelf(bin('pie'));
    expect(pie.interpreter).toBe(oracle.interpreter);
    expect(pie.linkage).toBe('dynamic');
    expect(fileType(bin('pie'))).toMatch(/pie executable.*dynamically linked/);
    expect(texts(pie, LINUX_AMD64, 'scratch')).toEqual([
      `runs on scratch/distroless-static: no, because it needs the loader ${oracle.interpreter}, which those images do not have (the kernel reports "no such file or directory"); drop -buildmode=pie or link it statically`,
    ]);
  });

  it('Windows and macOS binaries of Go need only what the OS ships, from a minimum OS version', async () => {
    const windows = await only('windows-amd64.exe');
    expect(texts(windows, LINUX_AMD64, 'libraries')).toEqual([
      'self-contained: yes, it needs only libraries that ship with Windows',
    ]);
    expect(texts(windows, LINUX_AMD64, 'os-version')).toEqual([
      'needs Windows 7 or newer (subsystem version 6.1)',
    ]);
    const mac = await only('darwin-arm64');
    expect(texts(mac, LINUX_AMD64, 'libraries')).toEqual([
      'self-contained: yes, it needs only libraries that ship with macOS',
    ]);
    expect(mac.minOsVersion).toMatch(/^\d+\.\d+/);
    expect(texts(mac, LINUX_AMD64, 'os-version')).toEqual([`needs macOS ${mac.minOsVersion} or newer`]);
  });

  it('cgo disabled is said in plain words', async () => {
    expect(texts(await only('linux-amd64'), LINUX_AMD64, 'cgo')).toEqual([
      'cgo was disabled (CGO_ENABLED=0): no C code inside, net and os/user use their pure-Go versions, and packages ' +
        'that need C (e.g. mattn/go-sqlite3) fail at run time; if you meant to use C, build with CGO_ENABLED=1 and a C ' +
        'cross-compiler (CC) for the target',
    ]);
  });
});

describe('stripping and build IDs', () => {
  it('-s -w -buildid=: no symbols, no DWARF, no build ID, and file(1) agrees', async () => {
    const release = await only('release');
    expect({
      stripped: release.stripped,
      debugInfo: release.debugInfo,
      buildId: release.go?.buildId,
    }).toEqual({
      stripped: true,
      debugInfo: false,
      buildId: null,
    });
    expect(fileType(bin('release'))).toMatch(/, stripped$/);
    expect(goToolBuildId(bin('release'))).toBe('');
    expect(texts(release, LINUX_AMD64, 'symbols')).toEqual([
      'stripped (no symbol table), no DWARF, Go build ID cleared (-buildid=)',
    ]);
  });

  it('-w drops DWARF and keeps the symbol table', async () => {
    const image = await only('dwarfless');
    expect({ stripped: image.stripped, debugInfo: image.debugInfo }).toEqual({
      stripped: false,
      debugInfo: false,
    });
    expect(fileType(bin('dwarfless'))).toMatch(/not stripped$/);
    expect(texts(await only('linux-amd64'), LINUX_AMD64, 'symbols')).toEqual([
      "not stripped (symbol table present), with DWARF debug info, Go build ID present; -ldflags='-s -w' makes it smaller",
    ]);
  });

  it('stripped Mach-O and PE: the same facts through their own symbol tables', async () => {
    const home = goModule(work, 'strip', { 'main.go': HELLO_GO });
    goBuild(home, bin('darwin-s'), { GOOS: 'darwin', GOARCH: 'arm64' }, ['-ldflags=-s -w -buildid=']);
    goBuild(home, bin('windows-s.exe'), { GOOS: 'windows', GOARCH: 'amd64' }, ['-ldflags=-s -w -buildid=']);
    for (const name of ['darwin-s', 'windows-s.exe']) {
      const image = await only(name);
      expect({
        name,
        stripped: image.stripped,
        debugInfo: image.debugInfo,
        buildId: image.go?.buildId,
      }).toEqual({
        name,
        stripped: true,
        debugInfo: false,
        buildId: null,
      });
      expect(goToolBuildId(bin(name))).toBe('');
    }
    for (const name of ['darwin-arm64', 'windows-amd64.exe']) {
      const image = await only(name);
      expect({ name, stripped: image.stripped, debugInfo: image.debugInfo }).toEqual({
        name,
        stripped: false,
        debugInfo: true,
      });
    }
  });
});

describe('reproducible build flags', () => {
  function git(dir: string, ...args: string[]) {
    const result = run('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], { cwd: dir });
    if (result.status !== 0) throw new Error(result.stderr);
  }

  it('missing -trimpath is named; -trimpath with -buildvcs=false is enough', async () => {
    expect(texts(await only('linux-amd64'), LINUX_AMD64, 'reproducible')).toEqual([
      "reproducible build flags: no, missing -trimpath (it embeds this machine's source and module paths)",
    ]);
    expect(texts(await only('release'), LINUX_AMD64, 'reproducible')).toEqual([
      'reproducible build flags: yes (-trimpath)',
    ]);
  });

  it('a clean checkout stamps its revision; a modified tree is not reproducible', async (context) => {
    needCommand(context, 'git');
    const repo = goModule(work, 'stamped', { 'main.go': HELLO_GO });
    git(repo, 'init', '-q');
    git(repo, 'add', '.');
    git(repo, 'commit', '-qm', 'hello');
    const revision = run('git', ['rev-parse', 'HEAD'], { cwd: repo }).stdout.trim();
    goBuild(repo, bin('clean'), { GOOS: 'linux', GOARCH: 'amd64' }, ['-trimpath', '-buildvcs=true']);
    writeFileSync(path.join(repo, 'main.go'), `${HELLO_GO}\n// changed\n`);
    goBuild(repo, bin('modified'), { GOOS: 'linux', GOARCH: 'amd64' }, ['-trimpath', '-buildvcs=true']);

    const clean = await only('clean');
    expect(clean.go?.settings['vcs.revision']).toBe(revision);
    expect(texts(clean, LINUX_AMD64, 'reproducible')).toEqual([
      `reproducible build flags: yes (-trimpath, clean tree at ${revision.slice(0, 12)})`,
    ]);
    const modified = await only('modified');
    expect(modified.go?.settings['vcs.modified']).toBe('true');
    expect(texts(modified, LINUX_AMD64, 'reproducible')).toEqual([
      'reproducible build flags: no, built from a modified working tree (vcs.modified=true)',
    ]);
    expect(buildInfoLines(modified)).toEqual(goVersionM(bin('modified')).lines);
  });
});

describe('universal Mach-O files', () => {
  it('reads every image of a fat file, as file(1) and go version do', async () => {
    expect(fileType(bin('universal'))).toMatch(/^Mach-O universal binary with 2 architectures/);
    const images = await inspectFile(bin('universal'));
    expect(images.map((image) => `${image.os}/${image.arch}`)).toEqual(['darwin/amd64', 'darwin/arm64']);
    // Go's debug/buildinfo reads the first image of a fat file.
    expect(images[0]!.go?.version).toBe(goVersionM(bin('universal')).version);
    expect(images[1]!.go?.buildId).toBe(goToolBuildId(bin('darwin-arm64')));
  });

  it('judges the code signature per slice: arm64 must be signed, amd64 may not be', async () => {
    const [amd64, arm64] = await inspectFile(bin('universal'));
    expect(texts(amd64!, LINUX_AMD64, 'signature')).toEqual([
      'code signature: none (Intel Macs run unsigned programs)',
    ]);
    expect(texts(arm64!, LINUX_AMD64, 'signature')).toEqual([
      'code signature: valid, signed ad hoc (to pass Gatekeeper when downloaded, it also needs a Developer ID signature and notarization)',
    ]);
    const unsigned = { ...arm64!, macho: { ...arm64!.macho!, codeSignature: null } };
    expect(texts(unsigned, LINUX_AMD64, 'signature')).toEqual([
      'code signature: none, so macOS on Apple silicon kills it at start; sign it ad hoc (codesign -s - FILE)',
    ]);
    const broken = { ...arm64!, macho: { ...arm64!.macho!, codeSignature: { adhoc: true, valid: false } } };
    expect(texts(broken, LINUX_AMD64, 'signature')).toEqual([
      'code signature: INVALID, its page hashes do not match the file (changed after signing?), so macOS kills it at start; sign it again',
    ]);
  });
});

describe('--expect against real binaries', () => {
  const cases: [string, string, { ok: boolean; actual: string }[]][] = [
    [
      'linux-amd64',
      'linux/amd64,static,!cgo,go,buildid,!stripped',
      [
        { ok: true, actual: 'linux/amd64/v1' },
        { ok: true, actual: 'static' },
        { ok: true, actual: 'CGO_ENABLED=0' },
        { ok: true, actual: expect.stringMatching(/^a Go binary \(go1\./) as unknown as string },
        { ok: true, actual: 'Go build ID present' },
        { ok: true, actual: 'not stripped' },
      ],
    ],
    [
      'linux-amd64',
      'linux/arm64,cgo,stripped,trimpath,reproducible,glibc,go>=99.0',
      [
        { ok: false, actual: 'linux/amd64/v1' },
        { ok: false, actual: 'CGO_ENABLED=0' },
        { ok: false, actual: 'not stripped' },
        { ok: false, actual: 'no -trimpath' },
        { ok: false, actual: "missing -trimpath (it embeds this machine's source and module paths)" },
        { ok: false, actual: 'no known C library' },
        { ok: false, actual: expect.stringMatching(/^built with go1\./) as unknown as string },
      ],
    ],
    [
      'linux-amd64',
      'glibc<=2.17,go>=1.21,!dynamic,!static-pie',
      [
        { ok: true, actual: 'needs no glibc symbol version' },
        { ok: true, actual: expect.stringMatching(/^built with go1\./) as unknown as string },
        { ok: true, actual: 'static' },
        { ok: true, actual: 'static' },
      ],
    ],
    [
      'linux-amd64-v3',
      'linux/amd64/v3,linux/amd64/v1',
      [
        { ok: true, actual: 'linux/amd64/v3' },
        { ok: false, actual: 'linux/amd64/v3' },
      ],
    ],
    [
      'linux-arm-7',
      'linux/arm/v7,linux/arm/7,linux/arm/v6,hardfloat,softfloat',
      [
        { ok: true, actual: 'linux/arm/v7' },
        { ok: true, actual: 'linux/arm/v7' },
        { ok: false, actual: 'linux/arm/v7' },
        { ok: true, actual: 'hard-float' },
        { ok: false, actual: 'hard-float' },
      ],
    ],
    ['linux-arm-5', 'softfloat', [{ ok: true, actual: 'soft-float' }]],
    ['linux-arm-7-softfloat', 'softfloat', [{ ok: true, actual: 'soft-float' }]],
    ['linux-amd64', 'hardfloat', [{ ok: false, actual: 'not a 32-bit ARM binary' }]],
    [
      'release',
      'stripped,trimpath,!buildid,reproducible',
      [
        { ok: true, actual: 'stripped' },
        { ok: true, actual: '-trimpath' },
        { ok: true, actual: 'Go build ID cleared' },
        { ok: true, actual: 'reproducible' },
      ],
    ],
    [
      'windows-amd64.exe',
      'windows/amd64,static',
      [
        { ok: true, actual: 'windows/amd64/v1' },
        { ok: true, actual: 'static' },
      ],
    ],
    [
      'darwin-arm64',
      'macos<=12.0,macos<12.0,signed',
      [
        { ok: true, actual: 'needs macOS 12.0' },
        { ok: false, actual: 'needs macOS 12.0' },
        { ok: true, actual: 'signed ad hoc, valid' },
      ],
    ],
    [
      'darwin-amd64',
      'macos<=12,!signed',
      [
        { ok: true, actual: 'needs macOS 12.0' },
        { ok: true, actual: 'not signed' },
      ],
    ],
    [
      'linux-amd64',
      'macos<=12.0,signed',
      [
        { ok: false, actual: 'not a Mach-O binary' },
        { ok: false, actual: 'not a Mach-O binary' },
      ],
    ],
    [
      'universal',
      'macos<=12.0,signed',
      [
        { ok: true, actual: 'needs macOS 12.0' },
        { ok: false, actual: 'not signed + signed ad hoc, valid' },
      ],
    ],
    [
      'universal',
      'darwin/arm64,darwin/amd64,!darwin/arm64,linux/arm64,static',
      [
        { ok: true, actual: 'darwin/amd64/v1 + darwin/arm64/v8.0' },
        { ok: true, actual: 'darwin/amd64/v1 + darwin/arm64/v8.0' },
        { ok: false, actual: 'darwin/amd64/v1 + darwin/arm64/v8.0' },
        { ok: false, actual: 'darwin/amd64/v1 + darwin/arm64/v8.0' },
        { ok: true, actual: 'static' },
      ],
    ],
  ];

  it('pie: dynamic, because of its loader alone', async () => {
    const loader = readelf(bin('pie')).interpreter;
    expect(checkExpectations(await inspectFile(bin('pie')), parseExpectations('dynamic,!static'))).toEqual([
      { expectation: 'dynamic', ok: true, actual: `dynamic (needs ${loader})` },
      { expectation: '!static', ok: true, actual: `dynamic (needs ${loader})` },
    ]);
  });

  it.each(cases)('%s: %s', async (name, list, expected) => {
    const results = checkExpectations(await inspectFile(bin(name)), parseExpectations(list));
    expect(results).toEqual(
      expected.map((result, index) => ({ expectation: list.split(',')[index], ...result })),
    );
  });
});

describe('the host parameter', () => {
  it("a missing loader is reported in the kernel's words", async () => {
    const pie = await only('pie');
    expect(texts(pie, { ...LINUX_AMD64, hasFile: () => false }, 'host')).toEqual([
      `cannot run on this host (linux/amd64): its loader ${pie.interpreter} does not exist here, so running it fails with "no such file or directory"`,
    ]);
  });

  it('an executable gets its verdicts in a fixed order', async () => {
    const topics = judge(await only('linux-amd64'), LINUX_AMD64).map((verdict) => verdict.topic);
    expect(topics).toEqual(['host', 'scratch', 'cpu', 'cgo', 'reproducible', 'symbols']);
  });
});
