import {
  appendFileSync,
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { describeDifference, firstDifference } from '../../src/release/compare.js';
import { needTestZig, providedZigCompiler } from '../support/provided-zig.js';
import { mustRun } from '../support/toolchains.js';

/**
 * `firstDifference` on real binaries from the test Zig (no libc: -nostdlib shared libraries link in
 * milliseconds): two builds that differ in one known place, for ELF, PE and Mach-O.
 */

const zig = providedZigCompiler();
const work = mkdtempSync(path.join(os.tmpdir(), 'xcc-compare-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const STAMP_C = 'const char stamp[] = STAMP;\nint answer(void) { return 42; }\n';

/** `zig cc` a shared library without libc from `source` written in `dir`; returns its path. */
function build(
  name: string,
  triple: string,
  flags: string[],
  options: { dir?: string; source?: string } = {},
): string {
  const dir = options.dir ?? path.join(work, 'src');
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'stamp.c'), options.source ?? STAMP_C);
  const output = path.join(work, name);
  // Windows needs an entry point when there is no C runtime to provide DllMainCRTStartup.
  const entry = triple.includes('windows') ? ['-Wl,--entry=answer'] : [];
  mustRun(
    zig!.zig,
    [
      'cc',
      '-target',
      triple,
      '-shared',
      '-nostdlib',
      '-O2',
      ...entry,
      ...flags,
      '-o',
      output,
      path.join(dir, 'stamp.c'),
    ],
    {
      cwd: dir,
      env: zig!.env,
    },
  );
  return output;
}

describe('firstDifference', () => {
  it('is null for two builds of the same source', async (context) => {
    needTestZig(context);
    const a = build('same-a.so', 'x86_64-linux-musl', ['-DSTAMP="one"']);
    const b = build('same-b.so', 'x86_64-linux-musl', ['-DSTAMP="one"']);
    expect(await firstDifference(a, b)).toBeNull();
  });

  it.for([
    ['ELF', 'x86_64-linux-musl', '.rodata'],
    ['PE', 'x86_64-windows-gnu', '.rdata'],
    ['Mach-O', 'aarch64-macos', '__TEXT,__const'],
  ] as const)('names the %s section a string constant lives in', async ([, triple, section], context) => {
    needTestZig(context);
    const a = build(`const-${triple}-a`, triple, ['-DSTAMP="one"']);
    const b = build(`const-${triple}-b`, triple, ['-DSTAMP="two"']);
    const difference = await firstDifference(a, b);
    expect(difference).toMatchObject({ where: section, sectionOffset: 0 });
    expect(describeDifference(difference!)).toMatch(
      new RegExp(`^section ${section.replace('.', '\\.')} differs at 0x0 \\(file offset 0x`),
    );
  });

  it('pairs sections by name: a string that grew is blamed on its section, not on the headers that moved', async (context) => {
    needTestZig(context);
    const a = build('grow-a.so', 'x86_64-linux-musl', ['-DSTAMP="one"']);
    const b = build('grow-b.so', 'x86_64-linux-musl', [`-DSTAMP="${'longer '.repeat(200)}"`]);
    const difference = await firstDifference(a, b);
    // The symbol table comes first in the file and records the array's size: it differs first.
    expect(difference).toMatchObject({ where: '.dynsym' });
    expect(difference!.others).toContain('.rodata');
    expect(describeDifference(difference!)).toMatch(
      /^section \.dynsym differs at 0x[0-9a-f]+ \(file offset 0x[0-9a-f]+\); also .*\.rodata/,
    );
  });

  it('finds the build directory in debug info, and nothing once -ffile-prefix-map maps it', async (context) => {
    needTestZig(context);
    // The source by its absolute path, as Go passes cgo files: zig's cache keys on it (not on the
    // working directory, so a relative name compiled elsewhere may come back with the other's DW_AT_comp_dir).
    const debug = ['-g', '-DSTAMP="one"'];
    const a = build('debug-a.so', 'x86_64-linux-musl', debug, { dir: path.join(work, 'checkout') });
    const b = build('debug-b.so', 'x86_64-linux-musl', debug, { dir: path.join(work, 'another-checkout') });
    expect((await firstDifference(a, b))?.where).toMatch(/^\.debug_/);
    const mapped = (dir: string) => [...debug, `-ffile-prefix-map=${path.join(work, dir)}=.`];
    const c = build('mapped-a.so', 'x86_64-linux-musl', mapped('checkout'), {
      dir: path.join(work, 'checkout'),
    });
    const d = build('mapped-b.so', 'x86_64-linux-musl', mapped('another-checkout'), {
      dir: path.join(work, 'another-checkout'),
    });
    expect(await firstDifference(c, d)).toBeNull();
  });

  it('says header when every section is the same', async (context) => {
    needTestZig(context);
    // No zig flag changes a header field alone (lld ignores -z stack-size for a shared library), so
    // the second file is the first with its ELF OS ABI byte (e_ident[EI_OSABI]) set to GNU/Linux.
    const a = build('osabi-a.so', 'x86_64-linux-musl', ['-DSTAMP="one"']);
    const bytes = readFileSync(a);
    bytes[7] = 3;
    const b = path.join(work, 'osabi-b.so');
    writeFileSync(b, bytes);
    const difference = await firstDifference(a, b);
    expect(difference).toMatchObject({ where: 'header', offset: 7, sectionOffset: null, others: [] });
    expect(describeDifference(difference!)).toBe(
      'the headers differ at file offset 0x7 (every section is the same)',
    );
  });

  it('says size when one file is the other with bytes added', async (context) => {
    needTestZig(context);
    const a = build('tail-a.dll', 'x86_64-windows-gnu', ['-DSTAMP="one"']);
    const b = path.join(work, 'tail-b.dll');
    copyFileSync(a, b);
    appendFileSync(b, 'trailing bytes');
    const difference = await firstDifference(a, b);
    expect(difference).toMatchObject({ where: 'size', sizes: [difference!.offset, difference!.offset + 14] });
  });

  it('compares files of no known format as bytes, and files of different formats as such', async (context) => {
    needTestZig(context);
    const a = path.join(work, 'plain-a');
    const b = path.join(work, 'plain-b');
    writeFileSync(a, 'same start, then A');
    writeFileSync(b, 'same start, then B');
    expect(await firstDifference(a, b)).toMatchObject({ where: 'bytes', offset: 17 });
    const elf = build('format.so', 'x86_64-linux-musl', ['-DSTAMP="one"']);
    expect((await firstDifference(elf, a))?.where).toBe('format');
  });
});
