import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { XccError } from '../../src/errors.js';
import { FormatError } from '../../src/inspect/bytes.js';
import { inspectBytes } from '../../src/inspect/facts.js';
import { createUniversal } from '../../src/inspect/lipo.js';
import { readMacho } from '../../src/inspect/macho.js';
import { inspectFile } from '../../src/inspect/report.js';
import { cc, goBuild, goModule, HELLO_C, HELLO_GO } from '../support/builds.js';
import { dylibCommand, loadCommand, machoImage } from '../support/macho-images.js';
import { hasCommand, needCommand } from '../support/tools.js';

/**
 * Garbage in, one line out: random bytes behind every magic number, and real binaries cut short or with
 * bytes changed, must give facts or a FormatError, never another exception or a hang.
 */

const work = mkdtempSync(path.join(os.tmpdir(), 'xcc-inspect-fuzz-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const real = new Map<string, Buffer>();

beforeAll(() => {
  const dir = goModule(work, 'hello', { 'main.go': HELLO_GO });
  const bin = path.join(work, 'bin');
  mkdirSync(bin);
  const targets = {
    elf: ['linux', 'amd64'],
    pe: ['windows', 'amd64'],
    macho: ['darwin', 'arm64'],
    'macho-amd64': ['darwin', 'amd64'],
  } as const;
  for (const [name, [goos, goarch]] of Object.entries(targets)) {
    real.set(name, readFileSync(goBuild(dir, path.join(bin, name), { GOOS: goos, GOARCH: goarch })));
  }
  const slices = ['macho-amd64', 'macho'].map((name) => ({ name, bytes: real.get(name)! }));
  real.set('fat', Buffer.from(createUniversal(slices).bytes));
  if (hasCommand('gcc')) {
    writeFileSync(path.join(work, 'hello.c'), HELLO_C);
    real.set('gcc', readFileSync(cc(['gcc'], path.join(bin, 'gcc'), ['-O2', 'hello.c'], work)));
  }
}, 1_800_000);

/** Facts, or a FormatError with a one-line message: anything else is a bug. */
function survives(bytes: Uint8Array): void {
  try {
    inspectBytes(bytes);
  } catch (error) {
    if (!(error instanceof FormatError)) throw error;
    expect(error.message).not.toMatch(/\n/);
  }
}

/** Up to `most` bytes set to random values at positions drawn from `position`. */
function changes(position: fc.Arbitrary<number>, most: number) {
  return fc.array(fc.tuple(position, fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: most });
}

function changed(bytes: Buffer, list: readonly [number, number][]): Buffer {
  const copy = Buffer.from(bytes);
  for (const [at, value] of list) copy[at] = value;
  return copy;
}

const MAGICS = [
  [0x7f, 0x45, 0x4c, 0x46, 1, 1],
  [0x7f, 0x45, 0x4c, 0x46, 2, 1],
  [0x7f, 0x45, 0x4c, 0x46, 1, 2],
  [0x7f, 0x45, 0x4c, 0x46, 2, 2],
  [0x4d, 0x5a],
  [0xcf, 0xfa, 0xed, 0xfe],
  [0xfe, 0xed, 0xfa, 0xce],
  [0xca, 0xfe, 0xba, 0xbe, 0, 0, 0, 2],
  [0xca, 0xfe, 0xba, 0xbf, 0, 0, 0, 1],
  [],
];

describe('inspect never crashes', () => {
  it('on random bytes behind each magic number', () => {
    fc.assert(
      fc.property(fc.constantFrom(...MAGICS), fc.uint8Array({ maxLength: 4096 }), (magic, rest) => {
        survives(Uint8Array.from([...magic, ...rest]));
      }),
      { numRuns: 3000 },
    );
  });

  it('on random truncations of real binaries', (context) => {
    needCommand(context, 'gcc');
    for (const bytes of real.values()) {
      fc.assert(
        fc.property(fc.nat({ max: bytes.length }), (length) => {
          survives(bytes.subarray(0, length));
        }),
        { numRuns: 150, examples: [[0], [4], [63], [64], [bytes.length - 1]] },
      );
    }
  });

  it('on real binaries with random bytes changed, most of them in the headers', (context) => {
    needCommand(context, 'gcc');
    for (const bytes of real.values()) {
      const position = fc.oneof(fc.nat({ max: 4095 }), fc.nat({ max: bytes.length - 1 }));
      fc.assert(
        fc.property(changes(position, 12), (list) => survives(changed(bytes, list))),
        { numRuns: 100 },
      );
    }
  });

  it('on a Mach-O image with random bytes in its bind opcodes and code signature', () => {
    const bytes = real.get('macho')!;
    const info = readMacho(bytes);
    const { bind, lazyBind } = info.dyldInfo!;
    const signature = info.codeSignature!;
    const inside = (range: { offset: number; size: number }) =>
      fc.integer({ min: range.offset, max: range.offset + range.size - 1 });
    const ranges = [bind, lazyBind, { ...signature, size: 256 }].filter((range) => range.size > 0);
    const position = fc.oneof(...ranges.map(inside));
    fc.assert(
      fc.property(changes(position, 24), (list) => survives(changed(bytes, list))),
      { numRuns: 300 },
    );
  });

  it('on chained-fixups imports tables of random content', () => {
    const field = fc.oneof(fc.nat({ max: 64 }), fc.constant(0xffffffff), fc.nat());
    fc.assert(
      fc.property(
        fc.array(field, { minLength: 7, maxLength: 7 }),
        fc.integer({ min: 0, max: 4 }),
        fc.boolean(),
        fc.uint8Array({ maxLength: 256 }),
        (header, format, plainSymbols, rest) => {
          const blob = Buffer.alloc(28 + rest.length);
          header.forEach((value, index) => {
            blob.writeUInt32LE(value >>> 0, index * 4);
          });
          blob.writeUInt32LE(format, 20);
          if (plainSymbols) blob.writeUInt32LE(0, 24);
          blob.set(rest, 28);
          const image = machoImage(
            [
              dylibCommand(0xc, '/usr/lib/libSystem.B.dylib'),
              (at) => loadCommand(0x80000034, [at, blob.length]),
            ],
            blob,
          );
          survives(image);
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('on universal headers with random entries over a real image', () => {
    const thin = real.get('macho')!;
    const entry = fc.tuple(
      fc.constantFrom(0x0100000c, 0x01000007, 7, 0, 0xffffffff),
      fc.oneof(fc.nat({ max: thin.length + 16384 }), fc.constant(16384), fc.constant(0xffffffff)),
      fc.oneof(fc.nat({ max: thin.length + 1 }), fc.constant(thin.length), fc.constant(0xffffffff)),
    );
    fc.assert(
      fc.property(fc.boolean(), fc.array(entry, { minLength: 1, maxLength: 4 }), (wide, entries) => {
        const size = wide ? 32 : 20;
        const header = Buffer.alloc(16384);
        header.writeUInt32BE(wide ? 0xcafebabf : 0xcafebabe, 0);
        header.writeUInt32BE(entries.length, 4);
        entries.forEach(([cputype, offset, length], index) => {
          const at = 8 + index * size;
          header.writeUInt32BE(cputype, at);
          if (wide) {
            header.writeBigUInt64BE(BigInt(offset), at + 8);
            header.writeBigUInt64BE(BigInt(length), at + 16);
          } else {
            header.writeUInt32BE(offset, at + 8);
            header.writeUInt32BE(length, at + 12);
          }
        });
        survives(Buffer.concat([header, thin]));
      }),
      { numRuns: 300 },
    );
  });

  it('a file that is not a binary is one line naming the file', async () => {
    const file = path.join(work, 'notes.txt');
    writeFileSync(file, 'just text\n');
    await expect(inspectFile(file)).rejects.toThrow(
      new XccError(`${file}: not an executable: no ELF, PE or Mach-O header`),
    );
    const truncated = path.join(work, 'truncated');
    writeFileSync(truncated, real.get('elf')!.subarray(0, 100));
    await expect(inspectFile(truncated)).rejects.toThrow(
      /truncated: ELF program header table lies past the end of the file \(truncated\?\)$/,
    );
  });
});
