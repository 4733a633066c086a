import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { XccError } from '../../src/errors.js';
import { FormatError } from '../../src/inspect/bytes.js';
import { inspectBytes } from '../../src/inspect/facts.js';
import { inspectFile } from '../../src/inspect/report.js';
import { cc, goBuild, goModule, HELLO_C, HELLO_GO, universal } from '../support/builds.js';
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
  const targets = { elf: ['linux', 'amd64'], pe: ['windows', 'amd64'], macho: ['darwin', 'arm64'] } as const;
  for (const [name, [goos, goarch]] of Object.entries(targets)) {
    real.set(name, readFileSync(goBuild(dir, path.join(bin, name), { GOOS: goos, GOARCH: goarch })));
  }
  real.set('fat', universal([real.get('macho')!, real.get('macho')!]));
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

const MAGICS = [
  [0x7f, 0x45, 0x4c, 0x46, 1, 1],
  [0x7f, 0x45, 0x4c, 0x46, 2, 1],
  [0x7f, 0x45, 0x4c, 0x46, 1, 2],
  [0x7f, 0x45, 0x4c, 0x46, 2, 2],
  [0x4d, 0x5a],
  [0xcf, 0xfa, 0xed, 0xfe],
  [0xfe, 0xed, 0xfa, 0xce],
  [0xca, 0xfe, 0xba, 0xbe, 0, 0, 0, 2],
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
        fc.property(
          fc.array(fc.tuple(position, fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 12 }),
          (changes) => {
            const copy = Buffer.from(bytes);
            for (const [at, value] of changes) copy[at] = value;
            survives(copy);
          },
        ),
        { numRuns: 100 },
      );
    }
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
