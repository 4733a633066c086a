import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, type TestContext } from 'vitest';
import { checkExpectations, parseExpectations } from '../../src/inspect/expect.js';
import type { BinaryFacts } from '../../src/inspect/facts.js';
import { detectHost } from '../../src/inspect/host.js';
import { inspectFile } from '../../src/inspect/report.js';
import { type Host, judge } from '../../src/inspect/verdicts.js';
import { cc, goBuild, goModule, HELLO_C, HELLO_CGO, run, zigCc } from '../support/builds.js';
import { fileType, llvmNeededLibraries, readelf } from '../support/oracles.js';
import { needTestZig, providedZigCompiler } from '../support/provided-zig.js';
import { needCommand, needHost, requireOrSkip } from '../support/tools.js';

/**
 * Binaries that need a C cross-compiler, built with a real Zig: static musl cgo,
 * dynamic musl, ARM hard- and soft-float objects, glibc-versioned cgo for arm64 and armhf, Windows cgo
 * importing a DLL of its own, and a Mac program linking its own dylib. The Zig is the suite's test Zig.
 */

const zig = providedZigCompiler();
const work = mkdtempSync(path.join(os.tmpdir(), 'xcc-inspect-zig-'));
const bin = (name: string) => path.join(work, 'bin', name);
afterAll(() => rmSync(work, { recursive: true, force: true }));

const LINUX_AMD64: Host = { os: 'linux', arch: 'amd64' };

const ANSWER_C = 'int answer(void) { return 42; }\n';
const ANSWER_MAIN_C =
  '#include <stdio.h>\nint answer(void);\nint main(void) { printf("%d\\n", answer()); return 0; }\n';
const ANSWER_CGO = `package main

/*
#cgo LDFLAGS: -L\${SRCDIR} -lanswer
int answer(void);
*/
import "C"

import "fmt"

func main() { fmt.Println(C.answer()) }
`;

beforeAll(() => {
  if (zig === undefined) return;
  mkdirSync(path.join(work, 'bin'));
  const src = path.join(work, 'src');
  mkdirSync(src);
  writeFileSync(path.join(src, 'hello.c'), HELLO_C);
  writeFileSync(path.join(src, 'answer.c'), ANSWER_C);
  writeFileSync(path.join(src, 'main.c'), ANSWER_MAIN_C);
  const zigcc = (triple: string, ...flags: string[]) => [zig.zig, 'cc', '-target', triple, ...flags];
  const hello = goModule(work, 'cgohello', { 'main.go': HELLO_CGO });
  const cgo = (output: string, triple: string, env: Record<string, string>) =>
    goBuild(hello, bin(output), { CGO_ENABLED: '1', CC: zigCc(zig.zig, triple), ...env, ...zigCacheEnv() });

  cgo('cgo-musl', 'x86_64-linux-musl', { GOOS: 'linux', GOARCH: 'amd64' });
  cgo('cgo-arm64-glibc', 'aarch64-linux-gnu.2.28', { GOOS: 'linux', GOARCH: 'arm64' });
  cgo('cgo-armhf-glibc', 'arm-linux-gnueabihf.2.28', { GOOS: 'linux', GOARCH: 'arm', GOARM: '7' });
  cc(zigcc('x86_64-linux-musl', '-dynamic'), bin('musl-dynamic'), ['hello.c'], src, zig.env);
  cc(zigcc('arm-linux-musleabihf', '-c'), bin('armhf.o'), ['hello.c'], src, zig.env);
  cc(zigcc('arm-linux-musleabi', '-mcpu=arm1176jzf_s', '-c'), bin('armel.o'), ['hello.c'], src, zig.env);
  cc(zigcc('arm-linux-musleabihf', '-mcpu=cortex_a53', '-c'), bin('armv8.o'), ['hello.c'], src, zig.env);

  cc(zigcc('x86_64-windows-gnu'), bin('hello-c.exe'), ['hello.c'], src, zig.env);
  const windows = goModule(work, 'answer', { 'main.go': ANSWER_CGO });
  cc(zigcc('x86_64-windows-gnu', '-shared'), path.join(windows, 'answer.dll'), ['answer.c'], src, zig.env);
  goBuild(windows, bin('cgo-dll.exe'), {
    CGO_ENABLED: '1',
    GOOS: 'windows',
    GOARCH: 'amd64',
    CC: zigCc(zig.zig, 'x86_64-windows-gnu'),
    ...zigCacheEnv(),
  });

  cc(zigcc('aarch64-macos', '-shared'), bin('libanswer.dylib'), ['answer.c'], src, zig.env);
  cc(
    zigcc('aarch64-macos'),
    bin('mac-answer'),
    ['main.c', `-L${path.join(work, 'bin')}`, '-lanswer'],
    src,
    zig.env,
  );
}, 3_600_000);

function zigCacheEnv(): Record<string, string> {
  return {
    ZIG_GLOBAL_CACHE_DIR: zig!.env.ZIG_GLOBAL_CACHE_DIR!,
    ZIG_LOCAL_CACHE_DIR: zig!.env.ZIG_LOCAL_CACHE_DIR!,
  };
}

/** Without the test Zig, needTestZig skips or fails. */
function needZig(context: TestContext): void {
  if (zig === undefined) needTestZig(context);
}

async function image(name: string): Promise<BinaryFacts> {
  const [facts] = await inspectFile(bin(name));
  return facts!;
}

function texts(facts: BinaryFacts, host: Host, topic: string): string[] {
  return judge(facts, host)
    .filter((verdict) => verdict.topic === topic)
    .map((verdict) => verdict.text);
}

describe('musl', () => {
  it('static cgo with musl: runs on scratch and here, musl linked in', async (context) => {
    needZig(context);
    const facts = await image('cgo-musl');
    expect({ linkage: facts.linkage, libc: facts.libc, cgo: facts.go?.settings.CGO_ENABLED }).toEqual({
      linkage: 'static',
      libc: 'musl',
      cgo: '1',
    });
    expect(fileType(bin('cgo-musl'))).toMatch(/statically linked/);
    expect(facts.compilers.some((line) => /^clang version/.test(line))).toBe(true);
    expect(texts(facts, LINUX_AMD64, 'libc')).toEqual([
      'musl is linked in: needs no C library on the target',
    ]);
    expect(texts(facts, LINUX_AMD64, 'scratch')[0]).toMatch(/^runs on scratch\/distroless-static: yes/);
    expect(
      checkExpectations([facts], parseExpectations('linux/amd64,static,musl,cgo,!glibc')).every(
        (result) => result.ok,
      ),
    ).toBe(true);
    needHost(context, { platform: 'linux', arch: 'x64' });
    expect(run(bin('cgo-musl'), []).stdout).toBe('hello from C\n');
  });

  it('dynamic musl on a glibc host: the loader is missing, and that is the "no such file or directory"', async (context) => {
    needZig(context);
    const facts = await image('musl-dynamic');
    const oracle = readelf(bin('musl-dynamic'));
    expect(facts.interpreter).toBe(oracle.interpreter);
    expect(facts.libc).toBe('musl');
    expect(texts(facts, LINUX_AMD64, 'libc')).toEqual([
      `needs musl's loader ${oracle.interpreter}: runs on Alpine and other musl systems, not on glibc distributions`,
    ]);
    needHost(context, { platform: 'linux', arch: 'x64' });
    const host = detectHost();
    if (host.hasFile?.(oracle.interpreter!))
      requireOrSkip(
        context,
        `this host has musl's loader ${oracle.interpreter}`,
        'run it on a glibc host without musl (apt-get remove musl)',
      );
    expect(texts(facts, host, 'host')).toEqual([
      `cannot run on this host (linux/amd64): its loader ${oracle.interpreter} does not exist here, so running it fails with "no such file or directory" (a musl binary: run it on Alpine, or build it static)`,
    ]);
    const result = run(bin('musl-dynamic'), []);
    expect((result.error as NodeJS.ErrnoException | undefined)?.code).toBe('ENOENT');
  });
});

describe('32-bit ARM float ABI', () => {
  it.for([
    ['armhf.o', 'hard', 0x5000400, 'VFP registers'],
    ['armel.o', 'soft', 0x5000200, null],
  ] as const)(
    '%s: %s-float, as e_flags and .ARM.attributes say',
    async ([name, abi, flags, vfpArgs], context) => {
      needZig(context);
      const facts = await image(name);
      const oracle = readelf(bin(name));
      expect(oracle.flags).toBe(flags);
      expect(oracle.armVfpArgs).toBe(vfpArgs);
      expect(facts.kind).toBe('object');
      expect(facts.arm).toMatchObject({ eabi: 5, floatAbi: abi, cpuArch: oracle.armCpuArch });
      expect(checkExpectations([facts], parseExpectations(`${abi}float`))[0]?.ok).toBe(true);
    },
  );

  it('the verdicts: CPU from the attributes, and what each float ABI links with', async (context) => {
    needZig(context);
    const armel = await image('armel.o');
    expect(judge(armel, LINUX_AMD64).map((verdict) => verdict.topic)).toEqual([
      'kind',
      'cpu',
      'float-abi',
      'symbols',
    ]);
    expect(texts(armel, LINUX_AMD64, 'kind')).toEqual([
      'an object file, not a program: it is not run directly',
    ]);
    expect(texts(armel, LINUX_AMD64, 'cpu')).toEqual([
      'needs an ARMv6 CPU with an FPU (VFPv2) (from .ARM.attributes)',
    ]);
    const armv8 = await image('armv8.o');
    expect(readelf(bin('armv8.o')).armCpuArch).toBe('v8');
    expect(texts(armv8, LINUX_AMD64, 'cpu')).toEqual([
      `needs an ARMv8 CPU with an FPU (${armv8.arm?.fpu}) (from .ARM.attributes)`,
    ]);
    expect(texts(armel, LINUX_AMD64, 'float-abi')).toEqual([
      'soft-float ABI (armel, EABI5): floats pass in integer registers; links only with armel (soft-float) libraries',
    ]);
    expect(texts(await image('armhf.o'), LINUX_AMD64, 'float-abi')).toEqual([
      'hard-float ABI (armhf, EABI5): floats pass in VFP registers; needs a CPU with VFP and, if dynamic, armhf libraries',
    ]);
  });

  it('cgo for linux/arm with glibc 2.28: armhf loader, hard-float, GOARM=7', async (context) => {
    needZig(context);
    const facts = await image('cgo-armhf-glibc');
    const oracle = readelf(bin('cgo-armhf-glibc'));
    expect(facts.interpreter).toBe(oracle.interpreter);
    expect(facts.arm?.floatAbi).toBe('hard');
    expect(facts.glibc?.version).toBe(oracle.glibc);
    const results = checkExpectations(
      [facts],
      parseExpectations('linux/arm/v7,hardfloat,dynamic,glibc,glibc<=2.28,cgo'),
    );
    expect(results.filter((result) => !result.ok)).toEqual([]);
  });
});

describe('glibc-versioned cross builds', () => {
  it('linux/arm64 against glibc 2.28: the versions it needs, qemu and its sysroot', async (context) => {
    needZig(context);
    const facts = await image('cgo-arm64-glibc');
    const oracle = readelf(bin('cgo-arm64-glibc'));
    expect(facts.interpreter).toBe(oracle.interpreter);
    expect(facts.libraries).toEqual(oracle.needed);
    expect(facts.glibc?.version).toBe(oracle.glibc);
    expect(checkExpectations([facts], parseExpectations('glibc<=2.28'))[0]?.ok).toBe(true);
    expect(texts(facts, { ...LINUX_AMD64, emulators: ['qemu-aarch64'] }, 'host')).toEqual([
      "runs on this host (linux/amd64) through qemu-aarch64 (binfmt_misc); it is dynamically linked, so qemu also needs the target's loader and libraries (QEMU_LD_PREFIX=<sysroot>)",
    ]);
    needCommand(context, 'qemu-aarch64-static');
    // Without a sysroot, qemu looks for the target's loader on the host: the reason for QEMU_LD_PREFIX.
    const result = run('qemu-aarch64-static', [bin('cgo-arm64-glibc')], {
      env: { ...process.env, QEMU_LD_PREFIX: work },
    });
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain(oracle.interpreter!);
  });
});

describe('libraries the OS does not ship', () => {
  it('Windows cgo importing its own DLL: not self-contained, UCRT as libc', async (context) => {
    needZig(context);
    const facts = await image('cgo-dll.exe');
    expect(facts.libraries).toContain('answer.dll');
    expect(facts.libc).toBe('ucrt');
    expect(facts.linkage).toBe('dynamic');
    needCommand(context, 'llvm-readobj');
    expect([...facts.libraries].sort()).toEqual(llvmNeededLibraries(bin('cgo-dll.exe')));
    expect(run('objdump', ['-p', bin('cgo-dll.exe')]).stdout).toContain('DLL Name: answer.dll');
    expect(texts(facts, LINUX_AMD64, 'libraries')).toEqual([
      'self-contained: no, it needs answer.dll, which Windows does not ship; put them next to the .exe or link them statically',
    ]);
    expect(texts(facts, LINUX_AMD64, 'cgo')).toEqual(['cgo was enabled (CGO_ENABLED=1)']);
    // lld writes 6.0 (Vista); Go and the UCRT ask for more.
    expect(facts.minOsVersion).toBe('6.0');
    expect(texts(facts, LINUX_AMD64, 'os-version')).toEqual([
      `needs Windows 10 or newer (Go ${facts.go!.version.slice(2)} runs on no older Windows, whatever the header says: subsystem version 6.0, Windows Vista); its C code uses the Universal C Runtime (UCRT), which Windows 10 includes`,
    ]);
    const c = await image('hello-c.exe');
    expect(c.libc).toBe('ucrt');
    expect(texts(c, LINUX_AMD64, 'os-version')).toEqual([
      'needs Windows 10 or newer, or an older one with the Universal C Runtime (UCRT) installed (subsystem version 6.0, Windows Vista)',
    ]);
    expect(checkExpectations([facts], parseExpectations('windows/amd64,cgo,static'))).toEqual([
      { expectation: 'windows/amd64', ok: true, actual: 'windows/amd64/v1' },
      { expectation: 'cgo', ok: true, actual: 'CGO_ENABLED=1' },
      { expectation: 'static', ok: false, actual: `dynamic (needs ${facts.libraries.join(', ')})` },
    ]);
  });

  it('a Mac program linking its own dylib: not self-contained', async (context) => {
    needZig(context);
    const facts = await image('mac-answer');
    expect(fileType(bin('mac-answer'))).toMatch(/^Mach-O 64-bit arm64 executable/);
    expect(facts.libraries).toContain('/usr/lib/libSystem.B.dylib');
    const own = facts.libraries.filter((library) => library !== '/usr/lib/libSystem.B.dylib');
    expect(own).toEqual([expect.stringMatching(/libanswer\.dylib$/)]);
    needCommand(context, 'llvm-readobj');
    expect([...facts.libraries].sort()).toEqual(llvmNeededLibraries(bin('mac-answer')).sort());
    expect(texts(facts, LINUX_AMD64, 'libraries')).toEqual([
      `self-contained: no, it needs ${own[0]}, which macOS does not ship; ship them in the app bundle or link them statically`,
    ]);
    expect((await image('libanswer.dylib')).kind).toBe('shared-library');
  });
});
