import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it, type TestContext } from 'vitest';
import { type ArchiveFacts, archiveFacts } from '../../src/inspect/archive.js';
import { FormatError } from '../../src/inspect/bytes.js';
import { inspectFile } from '../../src/inspect/report.js';
import { type Host, judge } from '../../src/inspect/verdicts.js';
import { cc, goBuild, goModule, run, zigCc } from '../support/builds.js';
import { needTestZig, providedZigCompiler } from '../support/provided-zig.js';
import { needCommand } from '../support/tools.js';

/**
 * Static libraries (`ar` archives, what `-buildmode=c-archive` writes) and the libc a shared library
 * needs, on files made by the real tools: zig's compiler and archiver (GNU, BSD and thin archives of ELF,
 * COFF and Mach-O objects), go's c-archive and c-shared modes. binutils' `ar t` is the oracle for members.
 */

const zig = providedZigCompiler();
const work = mkdtempSync(path.join(os.tmpdir(), 'xcc-inspect-ar-'));
const file = (name: string) => path.join(work, name);
afterAll(() => rmSync(work, { recursive: true, force: true }));

const LINUX_AMD64: Host = { os: 'linux', arch: 'amd64' };
/** Longer than the 15 characters a GNU member header holds: it goes to the `//` table. */
const LONG = 'x86_64-linux-answer-object.o';
const HELLO_SO_C = '#include <stdio.h>\nint hello(void) { return puts("hello"); }\n';
const LIBRARY_GO =
  'package main\n\nimport "C"\n\n//export Add\nfunc Add(a, b C.int) C.int { return a + b }\n\nfunc main() {}\n';

beforeAll(() => {
  if (zig === undefined) return;
  writeFileSync(file('answer.c'), 'int answer(void) { return 42; }\n');
  writeFileSync(file('hello.c'), HELLO_SO_C);
  const zigcc = (triple: string, ...flags: string[]) => [zig.zig, 'cc', '-target', triple, ...flags];
  // Compiling without linking needs no libc: these take a second on a cold zig cache.
  cc(zigcc('x86_64-linux-musl', '-c'), file(LONG), ['answer.c'], work, zig.env);
  cc(zigcc('aarch64-linux-gnu', '-c'), file('arm64.o'), ['answer.c'], work, zig.env);
  cc(zigcc('x86_64-windows-gnu', '-c'), file('win.o'), ['answer.c'], work, zig.env);
  cc(zigcc('aarch64-macos', '-c'), file('mac.o'), ['answer.c'], work, zig.env);
  const ar = (args: string[]) => run(zig.zig, ['ar', ...args], { cwd: work, env: zig.env });
  ar(['rcs', '--format=gnu', 'gnu.a', LONG, 'arm64.o', 'win.o', 'mac.o']);
  ar(['rcs', '--format=darwin', 'bsd.a', LONG, 'arm64.o', 'mac.o']);
  ar(['rcsT', 'thin.a', 'arm64.o', LONG]);
  cc(zigcc('x86_64-linux-musl', '-shared'), file('libhello-musl.so'), ['hello.c'], work, zig.env);
  cc(zigcc('x86_64-linux-gnu.2.28', '-shared'), file('libhello-glibc.so'), ['hello.c'], work, zig.env);

  const library = goModule(work, 'library', { 'add.go': LIBRARY_GO });
  const cgo = (output: string, triple: string, mode: string, env: Record<string, string>) =>
    goBuild(library, file(output), { CGO_ENABLED: '1', CC: zigCc(zig.zig, triple), ...env, ...zigCache() }, [
      `-buildmode=${mode}`,
    ]);
  cgo('go-windows.a', 'x86_64-windows-gnu', 'c-archive', { GOOS: 'windows', GOARCH: 'amd64' });
  cgo('go-musl.so', 'x86_64-linux-musl', 'c-shared', { GOOS: 'linux', GOARCH: 'amd64' });
}, 3_600_000);

function zigCache(): Record<string, string> {
  return {
    ZIG_GLOBAL_CACHE_DIR: zig!.env.ZIG_GLOBAL_CACHE_DIR!,
    ZIG_LOCAL_CACHE_DIR: zig!.env.ZIG_LOCAL_CACHE_DIR!,
  };
}

function needZig(context: TestContext): void {
  if (zig === undefined) needTestZig(context);
}

function archive(name: string): ArchiveFacts {
  return archiveFacts(readFileSync(file(name)));
}

/** binutils' member list, without the BSD symbol table it lists as a member. */
function arList(name: string): string[] {
  return run('ar', ['t', file(name)])
    .stdout.split('\n')
    .filter((line) => line !== '' && !line.startsWith('__.SYMDEF'));
}

describe('ar archives', () => {
  it('GNU format: every member by name (long names from the // table), each object with its machine', (context) => {
    needZig(context);
    needCommand(context, 'ar');
    const facts = archive('gnu.a');
    expect(facts.thin).toBe(false);
    expect(facts.members.map((member) => member.name)).toEqual(arList('gnu.a'));
    expect(facts.members.map(({ name, format, arch, machine }) => ({ name, format, arch, machine }))).toEqual(
      [
        { name: LONG, format: 'elf', arch: 'amd64', machine: 'x86-64' },
        { name: 'arm64.o', format: 'elf', arch: 'arm64', machine: 'ARM aarch64' },
        { name: 'win.o', format: 'coff', arch: 'amd64', machine: 'x86-64' },
        { name: 'mac.o', format: 'macho', arch: 'arm64', machine: 'arm64' },
      ],
    );
    expect(facts.members[0]!.size).toBe(readFileSync(file(LONG)).length);
  });

  it('BSD (Apple) format: names stored before the data, no symbol table among the members', (context) => {
    needZig(context);
    needCommand(context, 'ar');
    const facts = archive('bsd.a');
    expect(readFileSync(file('bsd.a')).includes('#1/')).toBe(true);
    expect(facts.members.map((member) => member.name)).toEqual(arList('bsd.a'));
    expect(facts.members.map((member) => member.arch)).toEqual(['amd64', 'arm64', 'arm64']);
    expect(facts.members[0]!.size).toBe(readFileSync(file(LONG)).length);
  });

  it('a thin archive: the names it holds; the files they name are not opened', (context) => {
    needZig(context);
    needCommand(context, 'ar');
    const facts = archive('thin.a');
    expect(facts.thin).toBe(true);
    // binutils shows each name resolved against the archive's directory.
    expect(facts.members.map((member) => member.name)).toEqual(
      arList('thin.a').map((name) => path.basename(name)),
    );
    expect(facts.members.map((member) => member.name)).toEqual(['arm64.o', LONG]);
    expect(facts.members.every((member) => member.format === null && member.arch === null)).toBe(true);
  });

  it("Go's c-archive for Windows: COFF objects, go.o with the optional header Go's linker writes", (context) => {
    needZig(context);
    const facts = archive('go-windows.a');
    expect(facts.members[0]!.name).toBe('go.o');
    expect(facts.members.length).toBeGreaterThan(1);
    expect(new Set(facts.members.map((member) => `${member.format} ${member.arch}`))).toEqual(
      new Set(['coff amd64']),
    );
  });

  it('inspectFile, for executables, still refuses an archive with one line', async (context) => {
    needZig(context);
    await expect(inspectFile(file('gnu.a'))).rejects.toThrow(
      /gnu\.a: not an executable: no ELF, PE or Mach-O header$/,
    );
  });

  it('crafted archives end in one FormatError line, never another exception', () => {
    const header = (name: string, size: string) =>
      `${name.padEnd(16)}${'0'.padEnd(12)}${'0'.padEnd(6)}${'0'.padEnd(6)}${'644'.padEnd(8)}${size.padEnd(10)}\`\n`;
    const bytes = (text: string) => new Uint8Array(Buffer.from(text, 'latin1'));
    const cases: Array<[string, RegExp]> = [
      [`!<arch>\n${header('a.o/', '100')}short`, /lies past the end of the file/],
      [`!<arch>\n${header('a.o/', '-1')}`, /has no valid size/],
      [`!<arch>\n${header('/99', '2')}ab`, /points outside the long-name table/],
      [`!<arch>\n${header('#1/50', '4')}abcd`, /runs past its data/],
      [`!<arch>\n${'x'.repeat(60)}`, /is malformed/],
      [`!<arch>\n${header('a.o/', '1')}`, /lies past the end/],
    ];
    for (const [text, message] of cases) {
      expect(() => archiveFacts(bytes(text)), text).toThrow(FormatError);
      expect(() => archiveFacts(bytes(text)), text).toThrow(message);
    }
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), (tail) => {
        const data = new Uint8Array([...Buffer.from('!<arch>\n'), ...tail]);
        try {
          archiveFacts(data);
        } catch (error) {
          if (!(error instanceof FormatError)) throw error;
          expect((error as Error).message).not.toMatch(/\n/);
        }
      }),
      { numRuns: 2000 },
    );
  });
});

describe('the libc a shared library needs', () => {
  const libcTexts = async (name: string) => {
    const [facts] = await inspectFile(file(name));
    return {
      libc: facts!.libc,
      texts: judge(facts!, LINUX_AMD64)
        .filter((verdict) => verdict.topic === 'libc')
        .map((verdict) => `${verdict.ok} ${verdict.text}`),
    };
  };

  it("musl, from zig's libc.so in DT_NEEDED (no loader in a library): only musl programs load it", async (context) => {
    needZig(context);
    expect(await libcTexts('libhello-musl.so')).toEqual({
      libc: 'musl',
      texts: [
        "null needs musl's libc (libc.so): only a musl program (Alpine) can load it; a glibc program cannot",
      ],
    });
  });

  it('glibc, from libc.so.6, with the version it needs', async (context) => {
    needZig(context);
    const { libc, texts } = await libcTexts('libhello-glibc.so');
    expect(libc).toBe('glibc');
    expect(texts).toEqual([expect.stringMatching(/^null needs glibc >= 2\.[\d.]+ \(for puts\)/)]);
  });

  it("Go's c-shared for musl: says it crashes the program that loads it, and the fix", async (context) => {
    needZig(context);
    const { libc, texts } = await libcTexts('go-musl.so');
    expect(libc).toBe('musl');
    expect(texts[1]).toBe(
      "false crashes the musl program that loads it: Go's runtime reads argc and argv in .init_array, which musl does not pass (golang/go#13492); build it for glibc (xcc exec TARGET --glibc)",
    );
  });
});
