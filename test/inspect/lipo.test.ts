import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inspectBytes } from '../../src/inspect/facts.js';
import { createUniversal, lipo } from '../../src/inspect/lipo.js';
import { readCodeSignature, readFatArches, readMacho } from '../../src/inspect/macho.js';
import { goBuild, run } from '../support/builds.js';
import { runXcc } from '../support/cli.js';
import { usageError } from '../support/errors.js';
import { fileType, llvmUniversalHeaders } from '../support/oracles.js';
import { fixturesDir } from '../support/paths.js';
import { needLlvmTool } from '../support/tools.js';

/**
 * `xcc lipo` and its library function: a universal file laid out exactly as llvm-lipo lays it out, each
 * slice the input's own bytes (so an arm64 slice's ad-hoc signature still holds), and one line for every
 * input it cannot merge.
 */

const work = mkdtempSync(path.join(os.tmpdir(), 'xcc-lipo-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const file = (name: string) => path.join(work, name);
let amd64: Buffer;
let arm64: Buffer;

beforeAll(() => {
  // The darwin link tests' program without cgo: Go's linker alone, which signs arm64 builds ad hoc.
  const program = path.join(fixturesDir, 'darwin-cgo');
  amd64 = readFileSync(goBuild(program, file('app-amd64'), { GOOS: 'darwin', GOARCH: 'amd64' }));
  arm64 = readFileSync(goBuild(program, file('app-arm64'), { GOOS: 'darwin', GOARCH: 'arm64' }));
  writeFileSync(file('notes.txt'), 'not a program\n');
}, 600_000);

describe('createUniversal', () => {
  it('lays the slices out as llvm-lipo does: x86_64 on a 4 KiB page, arm64 last on a 16 KiB page', () => {
    const universal = createUniversal([
      { name: 'app-arm64', bytes: arm64 },
      { name: 'app-amd64', bytes: amd64 },
    ]);
    const arm64Offset = Math.ceil((4096 + amd64.length) / 16384) * 16384;
    expect(universal.slices).toEqual([
      { arch: 'x86_64', cputype: 0x01000007, cpusubtype: 3, offset: 4096, size: amd64.length, align: 12 },
      {
        arch: 'arm64',
        cputype: 0x0100000c,
        cpusubtype: 0,
        offset: arm64Offset,
        size: arm64.length,
        align: 14,
      },
    ]);
    expect(universal.bytes.length).toBe(arm64Offset + arm64.length);
    const header = Buffer.from(universal.bytes.subarray(0, 48));
    expect(header.readUInt32BE(0)).toBe(0xcafebabe);
    expect(header.readUInt32BE(4)).toBe(2);
    expect(header.subarray(48).every((byte) => byte === 0)).toBe(true);
  });

  it('copies each input byte for byte, so the arm64 slice keeps a valid ad-hoc signature', () => {
    const { bytes } = createUniversal([
      { name: 'app-amd64', bytes: amd64 },
      { name: 'app-arm64', bytes: arm64 },
    ]);
    const [x86, arm] = readFatArches(bytes).map((arch) =>
      bytes.subarray(arch.offset, arch.offset + arch.size),
    );
    expect(Buffer.from(x86!).equals(amd64)).toBe(true);
    expect(Buffer.from(arm!).equals(arm64)).toBe(true);
    expect(readCodeSignature(arm!, readMacho(arm!))).toEqual({ adhoc: true, valid: true });
    expect(inspectBytes(bytes).map((image) => `${image.os}/${image.arch}`)).toEqual([
      'darwin/amd64',
      'darwin/arm64',
    ]);
  });

  it('gives the same bytes whatever the order of the inputs', () => {
    const one = createUniversal([
      { name: 'a', bytes: amd64 },
      { name: 'b', bytes: arm64 },
    ]);
    const other = createUniversal([
      { name: 'b', bytes: arm64 },
      { name: 'a', bytes: amd64 },
    ]);
    expect(Buffer.from(one.bytes).equals(Buffer.from(other.bytes))).toBe(true);
  });

  it('refuses what it cannot merge, naming the file', () => {
    const fat = createUniversal([
      { name: 'a', bytes: amd64 },
      { name: 'b', bytes: arm64 },
    ]).bytes;
    const object = Buffer.from(arm64);
    object.writeUInt32LE(1, 12); // MH_OBJECT
    const dylib = Buffer.from(amd64);
    dylib.writeUInt32LE(6, 12); // MH_DYLIB
    const cases: [{ name: string; bytes: Uint8Array }[], string | RegExp][] = [
      [[{ name: 'app-arm64', bytes: arm64 }], /^lipo merges two or more thin Mach-O files/],
      [
        [
          { name: 'one', bytes: arm64 },
          { name: 'two', bytes: arm64 },
        ],
        'one and two are both arm64; give one file per architecture',
      ],
      [
        [
          { name: 'fat', bytes: fat },
          { name: 'two', bytes: arm64 },
        ],
        'fat is already a universal file; give thin Mach-O files, one per architecture',
      ],
      [
        [
          { name: 'notes.txt', bytes: Buffer.from('not a program\n') },
          { name: 'two', bytes: arm64 },
        ],
        'notes.txt is not a Mach-O file; give darwin builds (GOOS=darwin), one per architecture',
      ],
      [
        [
          { name: 'main.o', bytes: object },
          { name: 'two', bytes: amd64 },
        ],
        'main.o is an object file (.o); lipo merges linked programs and libraries',
      ],
      [
        [
          { name: 'app-arm64', bytes: arm64 },
          { name: 'lib.dylib', bytes: dylib },
        ],
        /^app-arm64 and lib\.dylib are different kinds of Mach-O file/,
      ],
      [
        [
          { name: 'cut', bytes: arm64.subarray(0, 100) },
          { name: 'two', bytes: amd64 },
        ],
        'cut: Mach-O load commands lies past the end of the file (truncated?)',
      ],
    ];
    for (const [inputs, message] of cases) {
      expect(() => createUniversal(inputs)).toThrow(usageError(message));
    }
  });
});

describe('xcc lipo', () => {
  it('writes the file llvm-lipo writes, executable, and file(1) and llvm-objdump read it', async (context) => {
    const llvmLipo = needLlvmTool(context, 'llvm-lipo');
    const objdump = needLlvmTool(context, 'llvm-objdump');
    const result = await runXcc(['lipo', '-o', 'dist/app', 'app-arm64', 'app-amd64'], { cwd: work });
    expect(result).toEqual({ exitCode: 0, stdout: '', stderr: '' });
    const ours = file('dist/app');
    expect(statSync(ours).mode & 0o777).toBe(0o755);
    const theirs = file('llvm-lipo-app');
    const made = run(llvmLipo, ['-create', file('app-amd64'), file('app-arm64'), '-output', theirs]);
    expect(made.status, made.stderr).toBe(0);
    expect(readFileSync(ours).equals(readFileSync(theirs))).toBe(true);

    const headers = llvmUniversalHeaders(objdump, ours);
    expect(headers.magic).toBe('FAT_MAGIC');
    const bytes = readFileSync(ours);
    expect(headers.arches).toEqual(
      readFatArches(bytes).map((arch, index) => ({
        arch: ['x86_64', 'arm64'][index],
        offset: arch.offset,
        size: arch.size,
        align: index === 0 ? 12 : 14,
      })),
    );
    expect(fileType(ours)).toMatch(/^Mach-O universal binary with 2 architectures: \[x86_64:/);
    const archs = run(llvmLipo, ['-archs', ours]);
    expect(archs.stdout.trim()).toBe('x86_64 arm64');
  });

  it('replaces an existing output atomically and leaves no temporary file', async () => {
    const output = file('replace/app');
    mkdirSync(path.dirname(output), { recursive: true });
    writeFileSync(output, 'old');
    chmodSync(output, 0o600);
    const result = await runXcc(['lipo', '--output', output, file('app-amd64'), file('app-arm64')]);
    expect(result.exitCode).toBe(0);
    expect(statSync(output).mode & 0o777).toBe(0o755);
    expect(readFatArches(readFileSync(output))).toHaveLength(2);
    expect(readdirSync(path.dirname(output))).toEqual(['app']);
  });

  it('a directory in the way of the output: exit 1, one line, nothing left behind', async () => {
    const output = file('taken');
    mkdirSync(output);
    const result = await runXcc(['lipo', '-o', output, file('app-amd64'), file('app-arm64')]);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(new RegExp(`^xcc: cannot write ${output}: [^\\n]+\\n$`));
    expect(readdirSync(work).filter((name) => name.endsWith('.tmp'))).toEqual([]);
  });

  it.each([
    [['lipo', 'app-amd64', 'app-arm64'], "xcc: lipo needs the output file: 'xcc lipo -o OUT IN1 IN2'\n"],
    [
      ['lipo', '-o', 'a', '-o', 'b', 'app-amd64', 'app-arm64'],
      'xcc: --output was given 2 times (a, b); give it once\n',
    ],
    [
      ['lipo', '-o', 'app-amd64', 'app-amd64', 'app-arm64'],
      'xcc: the output app-amd64 is also an input; write the universal file to another path\n',
    ],
    [
      ['lipo', '-o', 'link-to-arm64', 'app-amd64', 'app-arm64'],
      'xcc: the output link-to-arm64 is also an input; write the universal file to another path\n',
    ],
    [['lipo', '-o', 'out', 'app-amd64', 'missing'], 'xcc: missing does not exist\n'],
    [
      ['lipo', '-o', 'out', 'app-amd64', 'notes.txt'],
      'xcc: notes.txt is not a Mach-O file; give darwin builds (GOOS=darwin), one per architecture\n',
    ],
    [
      ['lipo', '-o', 'out', 'app-arm64', 'app-arm64'],
      'xcc: app-arm64 and app-arm64 are both arm64; give one file per architecture\n',
    ],
  ])('%j: exit 2 and one line', async (args, stderr) => {
    if (!readdirSync(work).includes('link-to-arm64')) symlinkSync('app-arm64', file('link-to-arm64'));
    const before = readFileSync(file('app-arm64'));
    expect(await runXcc(args, { cwd: work })).toEqual({ exitCode: 2, stdout: '', stderr });
    expect(readFileSync(file('app-arm64')).equals(before)).toBe(true);
    expect(readdirSync(work)).not.toContain('out');
  });

  it('the library function returns the slices it wrote', async () => {
    const slices = await lipo({ inputs: [file('app-arm64'), file('app-amd64')], output: file('lib/app') });
    expect(slices.map((slice) => [slice.arch, slice.align])).toEqual([
      ['x86_64', 12],
      ['arm64', 14],
    ]);
    await expect(lipo({ inputs: [file('app-arm64')], output: file('lib/one') })).rejects.toThrow(
      usageError(/^lipo merges two or more/),
    );
  });
});
