import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { prewarmLinks } from '../../src/toolchain/prewarm.js';
import { quirksTable } from '../../src/toolchain/quirks.js';
import { run } from '../support/builds.js';
import { needFullSuite, needTestZig } from '../support/provided-zig.js';
import { type TestZig, testZigBuildCache } from '../support/test-zig.js';
import { mustRun, provisionForTest } from '../support/toolchains.js';
import { hasCommand, installHint } from '../support/tools.js';

/**
 * Every entry of toolchains/quirks.json, shown with real zig twice: zig alone gets it wrong (so the
 * entry is still needed for the zig versions it names), and the wrapper xcc writes gets it right.
 * A quirk without a test here fails the first test.
 */

let work: string;
beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'xcc-quirks-'));
});

const zigEnv = () => ({
  ...process.env,
  ZIG_GLOBAL_CACHE_DIR: testZigBuildCache(),
  ZIG_LOCAL_CACHE_DIR: testZigBuildCache(),
});

function source(name: string, text: string): string {
  const file = path.join(work, name);
  writeFileSync(file, text);
  return file;
}

/** The Windows subsystem from a PE file's optional header: 2 = GUI, 3 = console. */
function peSubsystem(file: string): number {
  const bytes = readFileSync(file);
  const optionalHeader = bytes.readUInt32LE(0x3c) + 24;
  return bytes.readUInt16LE(optionalHeader + 68);
}

/** The libc.a builds in a zig cache: one `o/<hash>/libc.a` per distinct set of build options. */
function libcBuilds(zigCache: string): number {
  const objects = path.join(zigCache, 'o');
  return readdirSync(objects).filter((dir) => existsSync(path.join(objects, dir, 'libc.a'))).length;
}

/**
 * Rewrites a MIPS object's DWARF sections from SHT_MIPS_DWARF (how LLVM writes them) to SHT_PROGBITS (how
 * Go's linker writes them into go.o). ELF64 little-endian only (mips64el).
 */
function asGoDwarf(object: string): void {
  const bytes = readFileSync(object);
  const sections = Number(bytes.readBigUInt64LE(0x28));
  const entrySize = bytes.readUInt16LE(0x3a);
  const names = Number(bytes.readBigUInt64LE(sections + bytes.readUInt16LE(0x3e) * entrySize + 0x18));
  for (let index = 0; index < bytes.readUInt16LE(0x3c); index++) {
    const header = sections + index * entrySize;
    const start = names + bytes.readUInt32LE(header);
    const name = bytes.toString('latin1', start, bytes.indexOf(0, start));
    if (name.startsWith('.debug_') && bytes.readUInt32LE(header + 4) === 0x7000001e)
      bytes.writeUInt32LE(1, header + 4);
  }
  writeFileSync(object, bytes);
}

/** `zig cc -target TARGET ...` without xcc's wrapper: how zig alone answers what Go passes. */
function bareCc(test: TestZig, target: string, args: string[]) {
  return run(test.install.zig, ['cc', '-target', target, ...args], { env: zigEnv() });
}

const tested = new Set<string>();
/** The STAB (debug map) entries of a 64-bit little-endian Mach-O file's symbol table: n_type & N_STAB. */
function stabCount(file: string): number {
  const bytes = readFileSync(file);
  let at = 32;
  for (let index = 0; index < bytes.readUInt32LE(16); index++) {
    if (bytes.readUInt32LE(at) === 0x2) {
      const symbols = bytes.readUInt32LE(at + 8);
      let stabs = 0;
      for (let symbol = 0; symbol < bytes.readUInt32LE(at + 12); symbol++) {
        if (bytes[symbols + symbol * 16 + 4]! & 0xe0) stabs++;
      }
      return stabs;
    }
    at += bytes.readUInt32LE(at + 4);
  }
  return 0;
}

function quirk(
  id: string,
  title: string,
  body: (test: TestZig) => Promise<void>,
  /** cold: the proof builds a C library in a fresh zig cache, so it runs only in the full suite. */
  options: { cold?: boolean } = {},
) {
  tested.add(id);
  it(`${id}: ${title}`, { timeout: 1_500_000 }, async (context) => {
    if (options.cold) needFullSuite(context, 'it builds a C library in a fresh zig cache (minutes of CPU)');
    await body(needTestZig(context));
  });
}

describe('toolchains/quirks.json, each entry against real zig', () => {
  it('has a test for every entry', () => {
    expect(
      quirksTable()
        .map((entry) => entry.id)
        .sort(),
    ).toEqual([...tested].sort());
  });

  quirk('no-ubsan-runtime', 'an -O0 object links with -O2 (as cgo does)', async (test) => {
    const c = source(
      'overflow.c',
      'int add(int a, int b) { return a + b; }\nint main(int argc, char **argv) { (void)argv; return add(argc, 41) == 42 ? 0 : 1; }\n',
    );
    const target = 'x86_64-linux-gnu.2.28';
    const bare = path.join(work, 'bare.o');
    mustRun(test.install.zig, ['cc', '-target', target, '-O0', '-c', c, '-o', bare], { env: zigEnv() });
    const link = bareCc(test, target, ['-O2', bare, '-o', path.join(work, 'bare')]);
    expect(link.status).not.toBe(0);
    expect(link.stderr).toContain('undefined symbol: __ubsan_handle_add_overflow');

    const toolchain = await provisionForTest(test, { target: 'linux/amd64', glibcVersion: '2.28' });
    const object = path.join(work, 'wrapped.o');
    const program = path.join(work, 'wrapped');
    mustRun(toolchain.tools.cc!, ['-O0', '-c', c, '-o', object]);
    mustRun(toolchain.tools.cc!, ['-O2', object, '-o', program]);
    // Dynamic against glibc 2.28: runs on this (newer glibc) host.
    expect(run(program, []).status).toBe(0);
  });

  quirk('mips-hard-float', "Go's -mhard-float for GOMIPS64=hardfloat compiles", async (test) => {
    const c = source('mips.c', 'double half(double x) { return x / 2; }\n');
    const bare = bareCc(test, 'mips64el-linux-muslabi64', [
      '-mhard-float',
      '-c',
      c,
      '-o',
      path.join(work, 'bare-mips.o'),
    ]);
    expect(bare.stderr).toContain("has no LLVM CPU feature named 'hard-float'");

    const toolchain = await provisionForTest(test, { target: 'linux/mips64le', gomips64: 'hardfloat' });
    const object = path.join(work, 'mips.o');
    mustRun(toolchain.tools.cc!, ['-mabi=64', '-mhard-float', '-c', c, '-o', object]);
    // Still the hard-float ABI: zig's default for the abi64 target, which the wrapper does not change.
    expect(mustRun('readelf', ['-h', object])).toMatch(/Machine:\s+MIPS R3000/);
  });

  quirk('mips-dwarf-section-type', "Go's PROGBITS DWARF links with LLVM's MIPS DWARF", async (test) => {
    const toolchain = await provisionForTest(test, { target: 'linux/mips64le' });
    const compile = (name: string, text: string) => {
      const object = path.join(work, name.replace(/\.c$/, '.o'));
      mustRun(toolchain.tools.cc!, ['-g', '-O2', '-c', source(name, text), '-o', object]);
      return object;
    };
    const cgo = compile(
      'mips-main.c',
      'int answer(void);\nint main(void) { return answer() == 42 ? 0 : 1; }\n',
    );
    const go = compile('mips-go.c', 'int answer(void) { return 42; }\n');
    // The flag is for links only: cgo learns C types from the DWARF of the objects it compiles.
    expect(mustRun('readelf', ['-S', cgo])).toMatch(/\.debug_info\s+MIPS_DWARF/);
    asGoDwarf(go);
    expect(mustRun('readelf', ['-S', go])).toMatch(/\.debug_abbrev\s+PROGBITS/);
    // Without libc (-nostdlib): the mismatch is between the objects, and no musl build is needed to show it.
    const link = ['-nostdlib', '-Wl,-e,main', cgo, go];
    const { zigTarget, zigCpu } = toolchain.target;
    const bare = bareCc(test, zigTarget, [
      `-mcpu=${zigCpu}`,
      ...link,
      '-o',
      path.join(work, 'bare-mips-dwarf'),
    ]);
    expect(bare.status).not.toBe(0);
    expect(bare.stderr).toContain('section type mismatch for .debug_');

    const wrapped = path.join(work, 'mips-dwarf');
    mustRun(toolchain.tools.cc!, [...link, '-o', wrapped]);
    expect(mustRun('readelf', ['-S', wrapped])).not.toContain('.debug_');
  });

  quirk(
    'musl-external-link',
    'a program whose only cgo is net and os/user links against static musl',
    async (test) => {
      if (!hasCommand('go')) throw new Error(`go is not on PATH: ${installHint('go')}`);
      const dir = path.join(work, 'stdonly');
      mustRun('mkdir', ['-p', dir]);
      writeFileSync(path.join(dir, 'go.mod'), 'module xcc.test/stdonly\n\ngo 1.21\n');
      writeFileSync(
        path.join(dir, 'main.go'),
        [
          '//go:debug netdns=cgo',
          'package main',
          '',
          'import (',
          '\t"fmt"',
          '\t"net"',
          '\t"os/user"',
          ')',
          '',
          'func main() {',
          '\t_, err := net.LookupHost("localhost")',
          '\t_, uerr := user.Current()',
          '\tfmt.Println(err == nil, uerr == nil)',
          '}',
          '',
        ].join('\n'),
      );
      const toolchain = await provisionForTest(test, { target: 'linux/amd64', libc: 'musl' });
      expect(toolchain.env.GO_EXTLINK_ENABLED).toBe('1');
      const goEnv: NodeJS.ProcessEnv = { ...process.env, ...toolchain.env, GOFLAGS: '-mod=mod' };
      const withoutQuirk = { ...goEnv };
      delete withoutQuirk.GO_EXTLINK_ENABLED;
      const internal = run('go', ['build', '-o', 'internal', '.'], { cwd: dir, env: withoutQuirk });
      expect(internal.status).not.toBe(0);
      expect(internal.stderr).toMatch(/relocation target \w+ not defined/);

      mustRun('go', ['build', '-o', 'external', '.'], { cwd: dir, env: goEnv });
      const ran = run(path.join(dir, 'external'), []);
      expect(ran.stdout.trim()).toBe('true true');
    },
  );

  quirk(
    'musl-pic',
    "Go's two links share one musl libc build; mips64 compiles without -fPIC under -Werror",
    async (test) => {
      // Cold on purpose (it builds musl twice): a fresh zig cache, for this test only.
      const zigCache = await mkdtemp(path.join(os.tmpdir(), 'xcc-quirks-zig-cache-'));
      const toolchain = await provisionForTest(
        test,
        { target: 'linux/amd64', libc: 'musl' },
        { home: process.env.XCC_HOME!, zigCache },
      );
      const { zigTarget, zigCpu } = toolchain.target;
      const cpu = zigCpu === null ? [] : [`-mcpu=${zigCpu}`];
      const c = source('pic.c', '#include <stdio.h>\nint main(void) { puts("xcc"); return 0; }\n');
      const object = path.join(work, 'pic.o');
      mustRun(toolchain.tools.cc!, ['-fPIC', '-pthread', '-O2', '-g', '-c', c, '-o', object]);
      // cmd/go's link of _cgo_.o (with -fPIC) and cmd/link's final link (without), as prewarm models them.
      const goLinks = prewarmLinks('linux').filter((link) => link.input === 'object');
      expect(goLinks.map((link) => link.flags.includes('-fPIC'))).toEqual([true, false]);
      const link = (zig: string[], flags: string[], name: string) =>
        mustRun(zig[0]!, [...zig.slice(1), ...flags, object, '-o', path.join(work, name)], {
          env: { ...process.env, ZIG_GLOBAL_CACHE_DIR: zigCache, ZIG_LOCAL_CACHE_DIR: zigCache },
        });

      const wrapped = goLinks.map(({ flags }, index) => {
        link([toolchain.tools.cc!], flags, `wrapped-${index}`);
        return libcBuilds(zigCache);
      });
      expect(wrapped).toEqual([1, 1]);
      // Still a static, non-PIE executable (ELF type EXEC, no program interpreter).
      const final = path.join(work, `wrapped-${goLinks.length - 1}`);
      expect(mustRun('readelf', ['-h', final])).toMatch(/Type:\s+EXEC/);
      expect(mustRun('readelf', ['-l', final])).not.toContain('INTERP');
      expect(run(final, []).stdout).toBe('xcc\n');

      // Bare zig, same target and CPU, in the same cache: the -fPIC link finds the wrapper's libc,
      // the final link needs a second, non-PIC one.
      const bare = goLinks.map(({ flags }, index) => {
        link([test.install.zig, 'cc', '-target', zigTarget, ...cpu], flags, `bare-${index}`);
        return libcBuilds(zigCache);
      });
      expect(bare).toEqual([1, 2]);

      // zig passes clang -fno-PIC for a non-PIC module, which the N64 ABI ignores with a warning; runtime/cgo
      // compiles with -Werror, and cgo's own compiles of it carry no -fPIC.
      const mips = source('mips64.c', 'int twice(int x) { return 2 * x; }\n');
      const bareMips = bareCc(test, 'mips64el-linux-muslabi64', [
        '-Werror',
        '-c',
        mips,
        '-o',
        path.join(work, 'bare-mips64.o'),
      ]);
      expect(bareMips.status).not.toBe(0);
      expect(bareMips.stderr).toContain("ignoring '-fno-PIC' option");
      const mipsToolchain = await provisionForTest(test, { target: 'linux/mips64le' });
      mustRun(mipsToolchain.tools.cc!, ['-Werror', '-c', mips, '-o', path.join(work, 'mips64.o')]);
    },
    { cold: true },
  );

  quirk('windows-gui-subsystem', "-mwindows (Go's -H=windowsgui) makes a GUI program", async (test) => {
    const c = source('gui.c', 'int main(void) { return 0; }\n');
    const bare = path.join(work, 'bare-gui.exe');
    mustRun(test.install.zig, ['cc', '-target', 'x86_64-windows-gnu', '-mwindows', c, '-o', bare], {
      env: zigEnv(),
    });
    expect(peSubsystem(bare)).toBe(3);

    const toolchain = await provisionForTest(test, { target: 'windows/amd64' });
    const wrapped = path.join(work, 'gui.exe');
    mustRun(toolchain.tools.cc!, ['-mwindows', c, '-o', wrapped]);
    expect(peSubsystem(wrapped)).toBe(2);
  });

  quirk(
    'windows-synchronization-lib',
    "the race runtime's WaitOnAddress family links without -lsynchronization",
    async (test) => {
      const c = source(
        'wake.c',
        '#include <windows.h>\nint main(void) { LONG x = 0; WakeByAddressAll(&x); return 0; }\n',
      );
      const bare = bareCc(test, 'x86_64-windows-gnu', [c, '-o', path.join(work, 'bare-wake.exe')]);
      expect(bare.status).not.toBe(0);
      expect(bare.stderr).toContain('WakeByAddressAll');
      // zig answers Go's probe for the library with its bare name, so Go does not pass -lsynchronization.
      expect(
        mustRun(
          test.install.zig,
          ['cc', '-target', 'x86_64-windows-gnu', '--print-file-name=libsynchronization.a'],
          {
            env: zigEnv(),
          },
        ).trim(),
      ).toBe('libsynchronization.a');

      const toolchain = await provisionForTest(test, { target: 'windows/amd64' });
      const wrapped = path.join(work, 'wake.exe');
      mustRun(toolchain.tools.cc!, [c, '-o', wrapped]);
      expect(existsSync(wrapped)).toBe(true);
    },
  );

  quirk(
    'c-unwind-library',
    'C code calling _Unwind_Backtrace links on musl, glibc and mingw, and walks the stack',
    async (test) => {
      const c = source(
        'backtrace.c',
        '#include <unwind.h>\n#include <stdio.h>\nstatic _Unwind_Reason_Code step(struct _Unwind_Context *context, void *frames) { (void)context; ++*(int *)frames; return _URC_NO_REASON; }\nint frames(void) { int n = 0; _Unwind_Backtrace(step, &n); return n; }\nint main(void) { printf("%d\\n", frames() > 1); return 0; }\n',
      );
      const targets = [
        { zig: 'x86_64-linux-musl', request: { target: 'linux/amd64' }, exe: 'backtrace-musl' },
        {
          zig: 'x86_64-linux-gnu.2.28',
          request: { target: 'linux/amd64', glibcVersion: '2.28' },
          exe: 'backtrace-glibc',
        },
        { zig: 'x86_64-windows-gnu', request: { target: 'windows/amd64' }, exe: 'backtrace.exe' },
      ];
      for (const { zig, request, exe } of targets) {
        const bare = bareCc(test, zig, ['-fPIC', c, '-o', path.join(work, `bare-${exe}`)]);
        expect(bare.status, zig).not.toBe(0);
        expect(bare.stderr, zig).toContain('undefined symbol: _Unwind_Backtrace');

        const toolchain = await provisionForTest(test, request);
        mustRun(toolchain.tools.cc!, [c, '-o', path.join(work, exe)]);
        // Compiling alone is left as it was: -lunwind only on links.
        mustRun(toolchain.tools.cc!, ['-c', c, '-o', path.join(work, `${exe}.o`)]);
      }
      expect(run(path.join(work, 'backtrace-musl'), []).stdout).toBe('1\n');
      expect(run(path.join(work, 'backtrace-glibc'), []).stdout).toBe('1\n');

      // The same C code in a cgo program, built by go as users build it (called from Go, it runs on the
      // system stack, whose walk stops at cgo's trampoline: a frame or two).
      if (!hasCommand('go')) throw new Error(`go is needed: ${installHint('go')}`);
      const toolchain = await provisionForTest(test, { target: 'linux/amd64' });
      const module = path.join(work, 'cgo-backtrace');
      mkdirSync(module, { recursive: true });
      writeFileSync(path.join(module, 'go.mod'), 'module example.com/backtrace\n\ngo 1.22\n');
      writeFileSync(
        path.join(module, 'main.go'),
        'package main\n\n/*\n#include <unwind.h>\nstatic _Unwind_Reason_Code step(struct _Unwind_Context *context, void *frames) { (void)context; ++*(int *)frames; return _URC_NO_REASON; }\nstatic int frames(void) { int n = 0; _Unwind_Backtrace(step, &n); return n; }\n*/\nimport "C"\nimport "fmt"\n\nfunc main() { fmt.Println(C.frames() > 0) }\n',
      );
      const program = path.join(work, 'cgo-backtrace-musl');
      mustRun('go', ['build', '-o', program, '.'], {
        cwd: module,
        env: { ...process.env, ...toolchain.env, GOFLAGS: '', GOENV: 'off' },
      });
      expect(run(program, []).stdout).toBe('true\n');
    },
  );

  quirk('ar-program-name', "Go's c-archive archiver is the target's zig ar, not the host's", async (test) => {
    const host = mustRun(test.install.zig, ['cc', '-target', 'aarch64-linux-musl', '--print-prog-name=ar'], {
      env: zigEnv(),
    }).trim();
    const toolchain = await provisionForTest(test, { target: 'linux/arm64' });
    expect(host).not.toBe(toolchain.tools.ar);

    for (const args of [['--print-prog-name=ar'], ['-print-prog-name=ar'], ['--print-prog-name', 'ar']]) {
      expect(mustRun(toolchain.tools.cc!, args).trim()).toBe(toolchain.tools.ar);
      expect(mustRun(toolchain.tools['c++']!, args).trim()).toBe(toolchain.tools.ar);
    }
    // Go runs the answer as `ar -q -c -s ARCHIVE OBJECTS...`: the wrapper's ar does that for arm64 objects.
    const object = path.join(work, 'arm64.o');
    mustRun(toolchain.tools.cc!, ['-c', source('lib.c', 'int answer(void) { return 42; }\n'), '-o', object]);
    const archive = path.join(work, 'libanswer.a');
    mustRun(toolchain.tools.ar!, ['-q', '-c', '-s', archive, object]);
    expect(mustRun(toolchain.tools.ar!, ['t', archive]).trim()).toBe('arm64.o');
    // Other arguments still reach zig.
    expect(mustRun(toolchain.tools.cc!, ['--version'])).toContain('clang version');
  });
  quirk(
    'darwin-dwarf-tools',
    "Go's DWARF step for darwin finds tools that run instead of the host's",
    async (test) => {
      const toolchain = await provisionForTest(test, { target: 'darwin/arm64' });
      const program = path.join(work, 'darwin-tools');
      mustRun(toolchain.tools.cc!, [
        source('darwin-tools.c', 'int main(void) { return 0; }\n'),
        '-o',
        program,
      ]);
      for (const tool of ['dsymutil', 'strip']) {
        const host = mustRun(
          test.install.zig,
          ['cc', '-target', 'aarch64-macos', '--print-prog-name', tool],
          {
            env: zigEnv(),
          },
        ).trim();
        expect(host).toBe(`/usr/bin/${tool}`);
        // The host's strip is missing, or GNU strip, which cannot read Mach-O: Go's link fails either way.
        // (A host may have LLVM's dsymutil, which can; that alone does not save the link.)
        if (tool === 'strip') expect(run(host, ['-S', program]).status).not.toBe(0);
        for (const args of [
          ['--print-prog-name', tool],
          [`--print-prog-name=${tool}`],
          [`-print-prog-name=${tool}`],
        ]) {
          const answer = mustRun(toolchain.tools.cc!, args).trim();
          expect(answer).toBe('true');
          expect(
            run(answer, tool === 'strip' ? ['-S', program] : ['-f', program, '-o', `${program}.dwarf`])
              .status,
          ).toBe(0);
        }
      }
      // A whole `go build` without -ldflags=-w for both darwin ports: test/toolchain/darwin-sdkless.test.ts.
    },
  );

  quirk('darwin-no-stabs', 'darwin links write no debug map naming temporary objects', async (test) => {
    const file = source('darwin-stabs.c', 'int main(void) { return 0; }\n');
    const alone = path.join(work, 'darwin-stabs-zig');
    mustRun(test.install.zig, ['cc', '-target', 'aarch64-macos', '-g', file, '-o', alone], { env: zigEnv() });
    expect(stabCount(alone)).toBeGreaterThan(0);
    const toolchain = await provisionForTest(test, { target: 'darwin/arm64' });
    const wrapped = path.join(work, 'darwin-stabs-wrapped');
    mustRun(toolchain.tools.cc!, ['-g', file, '-o', wrapped]);
    expect(stabCount(wrapped)).toBe(0);
    // A compile keeps its debug information (cgo reads the object's DWARF to learn C types).
    const object = path.join(work, 'darwin-stabs.o');
    mustRun(toolchain.tools.cc!, ['-g', '-c', file, '-o', object]);
    expect(readFileSync(object).includes('__debug_info')).toBe(true);
  });

  quirk(
    'darwin-probe-scratch',
    "Go's compiler probe leaves no file in the user's directory",
    async (test) => {
      const toolchain = await provisionForTest(test, { target: 'darwin/arm64' });
      for (const [language, compiler] of [
        ['c', toolchain.tools.cc!],
        ['c++', toolchain.tools['c++']!],
      ] as const) {
        const probe = ['-###', '-x', language, '-c', '-'];
        const bare = mkdtempSync(path.join(work, 'probe-zig-'));
        run(test.install.zig, ['cc', '-target', 'aarch64-macos', ...probe], { cwd: bare, env: zigEnv() });
        expect(readdirSync(bare)).toEqual(['-.o']);
        const user = mkdtempSync(path.join(work, 'probe-wrapped-'));
        // What Go reads: the version line (cmd/go gccToolID), from the same zig.
        const ran = run(compiler, probe, { cwd: user });
        expect(ran.status).toBe(0);
        expect(`${ran.stdout}${ran.stderr}`).toMatch(/^clang version \d/m);
        expect(readdirSync(user)).toEqual([]);
      }
    },
  );

  quirk(
    'target-library-headers',
    "a missing system-library header gets clang's error, then one line on --sysroot",
    async (test) => {
      const hint = (header: string) =>
        `xcc: '${header}' belongs to a target system library: give xcc a sysroot with it (--sysroot DIR; see README "Target system libraries")\n`;
      let count = 0;
      // Each a file of its own: zig's cache must not answer for clang.
      const compile = (compiler: string, text: string) => {
        const file = source(`library-header-${count++}-${Math.random().toString(36).slice(2)}.c`, text);
        return run(compiler, ['-c', file, '-o', `${file}.o`], { env: zigEnv() });
      };
      const bare = bareCc(test, 'aarch64-linux-gnu.2.28', [
        '-c',
        source('xlib.c', '#include <X11/Xlib.h>\n'),
      ]);
      expect(bare.status).toBe(1);
      expect(bare.stderr).toContain("fatal error: 'X11/Xlib.h' file not found");
      expect(bare.stderr).not.toContain('xcc:');

      for (const request of [{ target: 'linux/arm64', glibcVersion: '2.28' }, { target: 'linux/amd64' }]) {
        const toolchain = await provisionForTest(test, request);
        for (const header of ['X11/Xlib.h', 'zlib.h', 'GL/gl.h', 'libpq-fe.h', 'pcap/pcap.h']) {
          const failed = compile(toolchain.tools.cc!, `#include <stdio.h>\n#include <${header}>\n`);
          expect(failed.status).toBe(1);
          expect(failed.stderr).toContain(`fatal error: '${header}' file not found`);
          expect(failed.stderr.endsWith(hint(header))).toBe(true);
        }
        // C++ too; a project's own header, and errors that are not a missing header, get zig's words only.
        const cxx = run(
          toolchain.tools['c++']!,
          ['-c', source('sdl.cc', '#include <SDL2/SDL.h>\n'), '-o', path.join(work, 'sdl.o')],
          { env: zigEnv() },
        );
        expect(cxx.stderr.endsWith(hint('SDL2/SDL.h'))).toBe(true);
        for (const text of ['#include "myproject/config.h"\n', 'int f(void) { return undeclared; }\n']) {
          const failed = compile(toolchain.tools.cc!, text);
          expect(failed.status).toBe(1);
          expect(failed.stderr).not.toContain('xcc:');
        }
        expect(
          compile(toolchain.tools.cc!, '#include <stdio.h>\nint f(void) { return puts("x"); }\n'),
        ).toMatchObject({
          status: 0,
          stderr: '',
        });
      }
    },
  );
});
