import { execFileSync, spawnSync } from 'node:child_process';
import { createReadStream, existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { crc32 } from 'node:zlib';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import {
  buildLiblzmaWasm,
  type LiblzmaRecord,
  liblzmaRecordPath,
  liblzmaWasmPath,
  XZ_SOURCE,
} from '../../scripts/build-liblzma-wasm.js';
import { decodeXzWithWasm } from '../../src/zig/archive/xz-wasm.js';
import { needFullSuite, needTestZig } from '../support/provided-zig.js';
import { fileSha256, sha256Hex, testCacheDir } from '../support/test-zig.js';
import { needCommand, requireOrSkip } from '../support/tools.js';

/**
 * The WebAssembly liblzma xcc decodes with where no `xz` program exists: checked against the `xz`
 * program (the reference) on real .xz files of every kind xz writes, on Zig's tarball, and on broken
 * input; and the committed toolchains/liblzma.wasm is what its build script makes from the pinned source.
 */

const scratch = await mkdtemp(path.join(os.tmpdir(), 'xcc-xz-wasm-'));
afterAll(() => rm(scratch, { recursive: true, force: true }));

async function decodeAll(chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>): Promise<Buffer> {
  const parts: Buffer[] = [];
  async function* source() {
    yield* chunks;
  }
  for await (const part of decodeXzWithWasm(source())) parts.push(part);
  return Buffer.concat(parts);
}

function xz(input: Buffer, args: string[]): Buffer {
  return execFileSync('xz', ['--compress', '--stdout', ...args], { input, maxBuffer: 1 << 30 });
}

/** Text and machine code, so that every filter has something to do. */
const sample = Buffer.concat([
  Buffer.from('hello xz '.repeat(50_000)),
  readFileSync(process.execPath).subarray(0, 3 << 20),
]);

describe('decodeXzWithWasm against the xz program', { timeout: 300_000 }, () => {
  beforeEach((context) => needCommand(context, 'xz'));

  it.each([
    ['the default (LZMA2, CRC64)', []],
    ['CRC32', ['--check=crc32']],
    ['SHA-256', ['--check=sha256']],
    ['no check', ['--check=none']],
    ['xz -9 (a 64 MiB dictionary)', ['-9']],
    ['several blocks', ['--block-size=100KiB']],
    ['the x86 BCJ filter', ['--x86', '--lzma2']],
    ['the ARM64 BCJ filter', ['--arm64', '--lzma2']],
    ['the delta filter', ['--delta=dist=4', '--lzma2']],
  ])('%s', async (_kind, args) => {
    const compressed = xz(sample, args);
    const decoded = await decodeAll([compressed]);
    expect(decoded.equals(sample)).toBe(true);
  });

  it('takes its input in any slicing, one byte at a time included', async () => {
    const small = Buffer.from('sliced input '.repeat(300));
    const compressed = xz(small, []);
    const bytes = [...compressed].map((byte) => Uint8Array.of(byte));
    expect((await decodeAll(bytes)).equals(small)).toBe(true);
    const halves = [compressed.subarray(0, 7), compressed.subarray(7)];
    expect((await decodeAll(halves)).equals(small)).toBe(true);
  });

  it('stops at the end of the first stream and reads the rest (xz --single-stream)', async () => {
    const first = xz(Buffer.from('first'), []);
    const second = xz(Buffer.from('second'), []);
    expect((await decodeAll([first, second])).toString()).toBe('first');
  });

  it.each([
    ['truncated', (good: Buffer) => good.subarray(0, good.length - 30), /unexpected end of input/],
    ['cut in its header', (good: Buffer) => good.subarray(0, 8), /unexpected end of input/],
    ['empty', () => Buffer.alloc(0), /unexpected end of input/],
    ['not xz', () => Buffer.from('plain text, not xz'), /not in the \.xz format/],
    [
      'a flipped bit',
      (good: Buffer) => {
        const bad = Buffer.from(good);
        bad[bad.length >> 1]! ^= 0x04;
        return bad;
      },
      /compressed data is corrupt/,
    ],
  ])('refuses input that is %s', async (_kind, damage, message) => {
    const good = xz(sample.subarray(0, 200_000), []);
    await expect(decodeAll([damage(good)])).rejects.toThrow(message);
  });

  it('refuses a stream whose dictionary needs more memory than the limit', async () => {
    // A real stream whose block header is rewritten to claim a 1 GiB dictionary (LZMA2 property 36),
    // with the header's CRC32 made right again: liblzma must refuse it before allocating anything.
    const stream = xz(Buffer.from('tiny'), ['-T1', '--lzma2=dict=1MiB']);
    const header = 12;
    const headerSize = (stream[header]! + 1) * 4;
    const filter = stream.indexOf(Buffer.of(0x21, 0x01), header);
    expect(filter).toBeGreaterThan(header);
    stream[filter + 2] = 36;
    stream.writeUInt32LE(crc32(stream.subarray(header, header + headerSize - 4)), header + headerSize - 4);
    await expect(decodeAll([stream])).rejects.toThrow(/needs more than 512 MiB of memory/);
  });

  it("decodes Zig's tarball to the same bytes as xz -dc", async (context) => {
    const release = needTestZig(context).release.path;
    const expected = sha256Hex(execFileSync('xz', ['-dc', release], { maxBuffer: 1 << 30 }));
    const decoded = await decodeAll(createReadStream(release));
    expect(sha256Hex(decoded)).toBe(expected);
  });
});

describe('toolchains/liblzma.wasm', { timeout: 600_000 }, () => {
  const record = JSON.parse(readFileSync(liblzmaRecordPath, 'utf8')) as LiblzmaRecord;

  it('is the file its record describes', async () => {
    expect(await fileSha256(liblzmaWasmPath)).toBe(record.sha256);
    expect(record.xz).toEqual(XZ_SOURCE);
  });

  it('is what scripts/build-liblzma-wasm.ts builds from the pinned xz source', async (context) => {
    needFullSuite(context, 'zig builds wasi-libc for it in a fresh cache (a minute of CPU)');
    const zig = needTestZig(context);
    if (zig.version !== record.zig)
      requireOrSkip(
        context,
        `toolchains/liblzma.wasm was built with zig ${record.zig}, the test Zig is ${zig.version}`,
        `rebuild it with scripts/build-liblzma-wasm.ts and zig ${zig.version}`,
      );
    const source = xzSource();
    if (source === undefined)
      requireOrSkip(
        context,
        `cannot fetch ${XZ_SOURCE.url}`,
        'let the tests reach the Debian archive once (the source is cached in $XCC_TEST_CACHE/xz-source)',
      );
    const output = path.join(scratch, 'liblzma.wasm');
    const rebuilt = buildLiblzmaWasm(zig.install.zig, source!, output);
    expect(rebuilt).toEqual(record);
  });
});

/** The xz source tarball, fetched once into the test cache (Debian's archive is reachable like PyPI). */
function xzSource(): string | undefined {
  const file = path.join(testCacheDir(), 'xz-source', path.basename(XZ_SOURCE.url));
  if (!existsSync(file)) {
    mkdirSync(path.dirname(file), { recursive: true });
    const fetched = spawnSync('curl', ['-fsSL', '--retry', '3', '-o', `${file}.part`, XZ_SOURCE.url]);
    if (fetched.status !== 0) return undefined;
    renameSync(`${file}.part`, file);
  }
  return file;
}
