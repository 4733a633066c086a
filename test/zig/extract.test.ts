import { randomBytes } from 'node:crypto';
import {
  createReadStream,
  existsSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  ArchiveError,
  type ExtractOptions,
  extractTarXz,
  extractWheel,
  extractZip,
} from '../../src/zig/archive/extract.js';
import { recordTree } from '../../src/zig/verify/install-manifest.js';
import { type TarMember, tarArchive, xz, type ZipMember, zipArchive } from '../support/archives.js';
import { needHost } from '../support/tools.js';

const ROOT = 'zig-x86_64-linux-0.15.2';

let sandbox: string;
let target: string;
let archives: string;

beforeEach(async () => {
  sandbox = await mkdtemp(path.join(os.tmpdir(), 'xcc-extract-'));
  archives = await mkdtemp(path.join(os.tmpdir(), 'xcc-archives-'));
  target = path.join(sandbox, 'target');
});

afterEach(async () => {
  await rm(sandbox, { recursive: true, force: true });
  await rm(archives, { recursive: true, force: true });
});

function extractTar(members: readonly TarMember[], options: ExtractOptions = { root: ROOT }) {
  return extractTarXz(Readable.from([xz(tarArchive(members))]), target, options);
}

function writeArchive(name: string, bytes: Buffer): string {
  const file = path.join(archives, name);
  writeFileSync(file, bytes);
  return file;
}

/** The mode a file gets when created with `mode` under this process's umask. */
function underUmask(mode: number): number {
  const probe = path.join(archives, `umask-${mode.toString(8)}`);
  writeFileSync(probe, '', { mode });
  return statSync(probe).mode & 0o7777;
}

/** Nothing may appear in the sandbox except the target directory. */
function expectNothingOutsideTarget(): void {
  expect(readdirSync(sandbox)).toEqual(readdirSync(sandbox).includes('target') ? ['target'] : []);
}

async function expectRefused(promise: Promise<unknown>, entry: string | undefined, message: RegExp) {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(ArchiveError);
  expect((error as ArchiveError).entry).toBe(entry);
  expect((error as ArchiveError).message).toMatch(message);
  expect((error as ArchiveError).message).not.toContain('\n');
  expectNothingOutsideTarget();
}

const file = (name: string, data: string | Buffer = name, mode = 0o644): TarMember => ({
  name: `${ROOT}/${name}`,
  data,
  mode,
});
const dir = (name: string): TarMember => ({ name: `${ROOT}/${name}`, type: 'directory' });

describe('extractTarXz: a good archive', () => {
  it('strips the top-level directory and keeps contents, exec bits, symlinks and hard links', async () => {
    const progress: number[] = [];
    const compressed = xz(
      tarArchive([
        dir(''),
        file('zig', '#!/bin/sh\necho zig\n', 0o755),
        file('LICENSE', 'MIT', 0o664),
        dir('lib'),
        file('lib/std/std.zig', 'pub const x = 1;\n'),
        file('lib/suid-tool', 'x', 0o4755),
        { name: `${ROOT}/lib/std/link.zig`, type: 'symlink', linkname: 'std.zig' },
        { name: `${ROOT}/lib/up`, type: 'symlink', linkname: '../LICENSE' },
        { name: `${ROOT}/zig-again`, type: 'hardlink', linkname: `${ROOT}/zig` },
        file(`lib/${'deep/'.repeat(30)}long-name.h`, 'long'),
      ]),
    );
    const summary = await extractTarXz(Readable.from([compressed]), target, {
      root: ROOT,
      onProgress: (bytes) => progress.push(bytes),
    });

    expect(readdirSync(target).sort()).toEqual(['LICENSE', 'lib', 'zig', 'zig-again']);
    expect(readFileSync(path.join(target, 'zig'), 'utf8')).toBe('#!/bin/sh\necho zig\n');
    expect(statSync(path.join(target, 'zig')).mode & 0o7777).toBe(underUmask(0o755));
    expect(statSync(path.join(target, 'LICENSE')).mode & 0o7777).toBe(underUmask(0o644));
    expect(statSync(path.join(target, 'lib/suid-tool')).mode & 0o7777).toBe(underUmask(0o755));
    expect(readlinkSync(path.join(target, 'lib/std/link.zig'))).toBe('std.zig');
    expect(readFileSync(path.join(target, 'lib/std/link.zig'), 'utf8')).toBe('pub const x = 1;\n');
    expect(readFileSync(path.join(target, 'lib/up'), 'utf8')).toBe('MIT');
    expect(statSync(path.join(target, 'zig-again')).ino).toBe(statSync(path.join(target, 'zig')).ino);
    expect(readFileSync(path.join(target, `lib/${'deep/'.repeat(30)}long-name.h`), 'utf8')).toBe('long');
    expect(summary).toMatchObject({ entries: 10, bytes: 19 + 3 + 17 + 1 + 4 });
    expect(progress.at(-1)).toBe(compressed.length);
  });

  it('extracts as it is without a root, and accepts "./" prefixes', async () => {
    await extractTar(
      [
        { name: './', type: 'directory' },
        { name: './bin/tool', data: 'x', mode: 0o755 },
      ],
      {},
    );
    expect(readFileSync(path.join(target, 'bin/tool'), 'utf8')).toBe('x');
  });

  it('sets the time of extraction as mtime, not the archive time', async () => {
    const before = Date.now() - 1000;
    await extractTar([file('a')]);
    expect(statSync(path.join(target, 'a')).mtimeMs).toBeGreaterThan(before);
  });
});

describe('extractTarXz: the top-level directory', () => {
  it.each([
    ['a member beside the root', [file('zig'), { name: 'other/file', data: 'x' }], 'other/file'],
    [
      'a differently named root',
      [{ name: 'zig-linux-x86_64-0.15.2/zig', data: 'x' }],
      'zig-linux-x86_64-0.15.2/zig',
    ],
    ['a file at the top', [{ name: 'zig', data: 'x' }], 'zig'],
  ])('refuses %s', async (_case, members, entry) => {
    await expectRefused(
      extractTar(members as TarMember[]),
      entry,
      /outside the expected top-level directory/,
    );
  });

  it('refuses an archive without members', async () => {
    await expectRefused(extractTar([]), undefined, /tar data is corrupt \(TAR_BAD_ARCHIVE/);
  });

  it('refuses a root that is not a directory', async () => {
    await expectRefused(extractTar([{ name: ROOT, data: 'x' }]), ROOT, /replace the install directory/);
  });
});

describe('extractTarXz: refusals', () => {
  const outside = (name: string) => `${ROOT}/${name}`;
  it.each<[string, TarMember[], string, RegExp]>([
    [
      'a .. in the path',
      [file('ok'), { name: `${ROOT}/../escape`, data: 'x' }],
      `${ROOT}/../escape`,
      /'\.\.'/,
    ],
    [
      'a .. in the middle',
      [{ name: `${ROOT}/lib/../../escape`, data: 'x' }],
      `${ROOT}/lib/../../escape`,
      /'\.\.'/,
    ],
    ['an absolute path', [{ name: '/tmp/xcc-escape', data: 'x' }], '/tmp/xcc-escape', /absolute path/],
    ['a Windows drive path', [{ name: 'C:/Windows/evil', data: 'x' }], 'C:/Windows/evil', /Windows drive/],
    ['a Windows drive-relative path', [{ name: 'C:evil', data: 'x' }], 'C:evil', /Windows drive/],
    ['a UNC path', [{ name: '\\\\server\\share\\evil', data: 'x' }], '\\\\server\\share\\evil', /absolute/],
    [
      'a backslash traversal',
      [{ name: `${ROOT}\\..\\..\\evil`, data: 'x' }],
      `${ROOT}\\..\\..\\evil`,
      /'\.\.'/,
    ],
    ['an NTFS stream name', [{ name: `${ROOT}/zig:stream`, data: 'x' }], `${ROOT}/zig:stream`, /':'/],
    [
      'a symlink to an absolute path',
      [{ name: outside('passwd'), type: 'symlink', linkname: '/etc/passwd' }],
      outside('passwd'),
      /absolute path "\/etc\/passwd"/,
    ],
    [
      'a symlink that climbs out',
      [{ name: outside('lib/up'), type: 'symlink', linkname: '../../outside' }],
      outside('lib/up'),
      /leaves the install directory/,
    ],
    [
      'a symlink to a Windows drive',
      [{ name: outside('c'), type: 'symlink', linkname: 'C:\\Windows' }],
      outside('c'),
      /absolute path/,
    ],
    [
      'a symlink resolved through another symlink',
      [
        { name: outside('a/s'), type: 'symlink', linkname: '..' },
        { name: outside('t'), type: 'symlink', linkname: 'a/s/../..' },
      ],
      outside('t'),
      /goes through the symlink "a\/s"/,
    ],
    [
      'a file written through a symlink',
      [dir('real'), { name: outside('link'), type: 'symlink', linkname: 'real' }, file('link/payload')],
      outside('link/payload'),
      /written through the symlink "link"/,
    ],
    [
      'a directory written through a symlink',
      [{ name: outside('link'), type: 'symlink', linkname: '.' }, dir('link/sub')],
      outside('link/sub'),
      /written through the symlink "link"/,
    ],
    [
      'a hard link climbing out',
      [{ name: outside('h'), type: 'hardlink', linkname: `${ROOT}/../../etc/passwd` }],
      outside('h'),
      /'\.\.'/,
    ],
    [
      'a hard link to an absolute path',
      [{ name: outside('h'), type: 'hardlink', linkname: '/etc/passwd' }],
      outside('h'),
      /absolute hard link target/,
    ],
    [
      'a hard link outside the root',
      [{ name: outside('h'), type: 'hardlink', linkname: 'elsewhere/file' }],
      outside('h'),
      /outside the expected top-level directory/,
    ],
    [
      'a hard link to a file not (yet) extracted',
      [{ name: outside('h'), type: 'hardlink', linkname: `${ROOT}/later` }, file('later')],
      outside('h'),
      /not a file of this archive/,
    ],
    [
      'a hard link to a symlink',
      [
        { name: outside('s'), type: 'symlink', linkname: 'x' },
        { name: outside('h'), type: 'hardlink', linkname: `${ROOT}/s` },
      ],
      outside('h'),
      /not a file of this archive/,
    ],
    [
      'a character device',
      [{ name: outside('tty'), type: 'char-device' }],
      outside('tty'),
      /CharacterDevice/,
    ],
    ['a block device', [{ name: outside('sda'), type: 'block-device' }], outside('sda'), /BlockDevice/],
    ['a FIFO', [{ name: outside('pipe'), type: 'fifo' }], outside('pipe'), /FIFO/],
    ['a repeated file', [file('a', 'one'), file('a', 'two')], outside('a'), /appears twice/],
    [
      'a symlink replacing a file',
      [file('a'), { name: outside('a'), type: 'symlink', linkname: 'b' }],
      outside('a'),
      /appears twice/,
    ],
    ['a member below a file', [file('a'), file('a/b')], outside('a/b'), /parent "a" is a file/],
  ])('refuses %s', async (_case, members, entry, message) => {
    await expectRefused(extractTar(members), entry, message);
    expect(existsSync('/tmp/xcc-escape')).toBe(false);
  });

  it('creates no symlink at all when one is refused, so nothing can be written through them', async () => {
    await expectRefused(
      extractTar([
        { name: `${ROOT}/ok`, type: 'symlink', linkname: 'lib' },
        dir('lib'),
        { name: `${ROOT}/bad`, type: 'symlink', linkname: '../../x' },
      ]),
      `${ROOT}/bad`,
      /leaves the install directory/,
    );
    expect(existsSync(path.join(target, 'ok'))).toBe(false);
  });
});

describe('extractTarXz: bombs', () => {
  it('refuses an archive that declares more bytes than the limit, before writing them', async () => {
    await expectRefused(
      extractTar([file('a', 'x'.repeat(600)), file('b', 'y'.repeat(600))], {
        root: ROOT,
        limits: { maxTotalBytes: 1000 },
      }),
      `${ROOT}/b`,
      /more than 1000 bytes/,
    );
    expect(existsSync(path.join(target, 'b'))).toBe(false);
  });

  it('refuses too many members', async () => {
    await expectRefused(
      extractTar([file('a'), file('b'), file('c')], { root: ROOT, limits: { maxEntries: 2 } }),
      `${ROOT}/c`,
      /more than 2 members/,
    );
  });

  it('refuses xz data that expands beyond the ratio limit', async () => {
    const zeros = Buffer.alloc(8 * 1024 ** 2);
    const compressed = xz(tarArchive([file('zeros', zeros)]), '-9');
    await expectRefused(
      extractTarXz(Readable.from([compressed]), target, {
        root: ROOT,
        limits: { maxCompressionRatio: 100, ratioGraceBytes: 1024 ** 2 },
      }),
      undefined,
      /expands more than 100:1/,
    );
  });
});

describe.each(['wasm', 'system'] as const)('extractTarXz: corrupt input (%s xz decoder)', (decoder) => {
  const good = () => xz(tarArchive([file('a', 'x'.repeat(100_000)), file('b', 'y'.repeat(100_000))]));

  it.each<[string, () => Buffer, RegExp]>([
    ['truncated xz data', () => good().subarray(0, good().length - 40), /xz data is corrupt or truncated/],
    ['xz data cut in its header', () => good().subarray(0, 10), /xz data is corrupt or truncated/],
    [
      'a flipped bit',
      () => {
        const bytes = good();
        bytes[bytes.length >> 1] = (bytes[bytes.length >> 1] ?? 0) ^ 0x10;
        return bytes;
      },
      /xz data is corrupt or truncated/,
    ],
    [
      'data that is not xz',
      () => Buffer.from('this is not an xz stream at all, just text'),
      /xz data is corrupt/,
    ],
    ['empty input', () => Buffer.alloc(0), /xz data is corrupt or truncated/],
    [
      'a tar header with a bad checksum',
      () => {
        const tar = tarArchive([file('a', 'x')]);
        tar[0] = 'Z'.charCodeAt(0);
        return xz(tar);
      },
      /tar data is corrupt/,
    ],
    [
      'a truncated tar inside valid xz',
      () => xz(tarArchive([file('a', 'x'.repeat(5000))]).subarray(0, 1024)),
      /tar data is corrupt/,
    ],
    ['a tar stream that is not tar', () => xz(Buffer.alloc(4096, 'A')), /tar data is corrupt/],
  ])('fails cleanly on %s', async (_case, bytes, message) => {
    await expectRefused(
      extractTarXz(Readable.from([bytes()]), target, { root: ROOT, xz: decoder }),
      undefined,
      message,
    );
  });

  it('decodes a good archive', async () => {
    await extractTarXz(Readable.from([good()]), target, { root: ROOT, xz: decoder });
    expect(readFileSync(path.join(target, 'b'), 'utf8')).toBe('y'.repeat(100_000));
  });

  it('passes a failing download through as itself, not as corrupt data', async () => {
    const network = new Error('socket hang up');
    async function* download() {
      yield good().subarray(0, 1000);
      throw network;
    }
    await expect(extractTarXz(download(), target, { root: ROOT, xz: decoder })).rejects.toBe(network);
  });

  it('closes the archive file when extraction fails', async () => {
    const archive = writeArchive('bad.tar.xz', xz(tarArchive([file('a'), { name: '/etc/evil', data: 'x' }])));
    const source = createReadStream(archive);
    const closed = new Promise<void>((resolve) => source.once('close', () => resolve()));
    await expectRefused(extractTarXz(source, target, { root: ROOT }), '/etc/evil', /absolute path/);
    await closed;
    expect(source.destroyed).toBe(true);
  });

  // Open files are counted in /proc/self/fd.
  describe('file handles', () => {
    beforeEach((context) => needHost(context, { platform: 'linux' }));
    const openFds = () => readdirSync('/proc/self/fd').length;
    // Streams close asynchronously after destroy(); give them a few turns of the event loop.
    async function expectFdsBackTo(count: number) {
      for (let turn = 0; turn < 100 && openFds() !== count; turn += 1) {
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      expect(openFds()).toBe(count);
    }
    const bigArchive = () => xz(tarArchive([file('big', randomBytes(4 * 1024 ** 2))]));
    async function* inChunks(bytes: Buffer, onChunk: (index: number) => void = () => {}) {
      for (let offset = 0, index = 0; offset < bytes.length; offset += 65536, index += 1) {
        onChunk(index);
        yield bytes.subarray(offset, offset + 65536);
      }
    }

    it('closes the file being written when aborted in the middle of it', async () => {
      const bytes = bigArchive();
      const before = openFds();
      const controller = new AbortController();
      const half = Math.floor(bytes.length / 65536 / 2);
      const extraction = extractTarXz(
        inChunks(bytes, (index) => index === half && controller.abort()),
        target,
        { root: ROOT, signal: controller.signal, xz: decoder },
      );
      await expect(extraction).rejects.toMatchObject({ name: 'AbortError' });
      expect(statSync(path.join(target, 'big')).size).toBeLessThan(4 * 1024 ** 2);
      await expectFdsBackTo(before);
    });

    it('closes the file being written when the xz data ends in the middle of it', async () => {
      const bytes = bigArchive();
      const before = openFds();
      await expectRefused(
        extractTarXz(inChunks(bytes.subarray(0, bytes.length >> 1)), target, { root: ROOT, xz: decoder }),
        undefined,
        /xz data is corrupt or truncated/,
      );
      expect(existsSync(path.join(target, 'big'))).toBe(true);
      await expectFdsBackTo(before);
    });
  });

  it('stops when aborted', async () => {
    const controller = new AbortController();
    async function* slowDownload() {
      const bytes = good();
      yield bytes.subarray(0, 100);
      controller.abort();
      yield bytes.subarray(100);
    }
    await expect(
      extractTarXz(slowDownload(), target, { root: ROOT, signal: controller.signal }),
    ).rejects.toMatchObject({ name: 'AbortError' });
  });

  it('refuses a target directory that is not empty', async () => {
    writeArchive('x', Buffer.alloc(0));
    await expect(extractTarXz(Readable.from([good()]), archives, { root: ROOT })).rejects.toThrow(
      /not empty/,
    );
  });
});

describe('extractZip and extractWheel', () => {
  const zip = (members: ZipMember[]) => writeArchive('archive.zip', zipArchive(members));

  it('extracts a Zig zip with its root stripped, exec bits and symlinks', async () => {
    const archive = zip([
      { name: `${ROOT}/`, mode: 0o40755 },
      { name: `${ROOT}/zig`, data: 'ELF...', mode: 0o100755, deflate: true },
      { name: `${ROOT}/lib/std.zig`, data: 'const std = @This();\n'.repeat(100), deflate: true },
      { name: `${ROOT}/lib/link.zig`, data: 'std.zig', mode: 0o120777 },
      { name: `${ROOT}/doc/`, mode: 0o40755 },
    ]);
    const progress: number[] = [];
    const summary = await extractZip(archive, target, {
      root: ROOT,
      onProgress: (bytes) => progress.push(bytes),
    });
    expect(readdirSync(target).sort()).toEqual(['doc', 'lib', 'zig']);
    expect(statSync(path.join(target, 'zig')).mode & 0o7777).toBe(underUmask(0o755));
    expect(statSync(path.join(target, 'lib/std.zig')).mode & 0o7777).toBe(underUmask(0o644));
    expect(readlinkSync(path.join(target, 'lib/link.zig'))).toBe('std.zig');
    expect(readFileSync(path.join(target, 'lib/link.zig'), 'utf8')).toBe(
      'const std = @This();\n'.repeat(100),
    );
    expect(summary.entries).toBe(5);
    expect(progress.length).toBe(5);
  });

  it('treats members of a zip made on Windows as plain files', async () => {
    const archive = zip([{ name: `${ROOT}/zig.exe`, data: 'MZ', mode: 0o100755, unix: false }]);
    await extractZip(archive, target, { root: ROOT });
    expect(statSync(path.join(target, 'zig.exe')).mode & 0o7777).toBe(underUmask(0o644));
  });

  it('maps a wheel ziglang/ to the install, skips its metadata, restores exec bits', async () => {
    const wheel = writeArchive(
      'ziglang-0.15.2-py3-none-manylinux_2_12_x86_64.whl',
      zipArchive([
        { name: 'ziglang/__init__.py', data: '' },
        { name: 'ziglang/zig', data: 'ELF', mode: 0o100755, deflate: true },
        { name: 'ziglang/lib/std/std.zig', data: 'pub fn main() void {}\n', mode: 0o100644, deflate: true },
        { name: 'ziglang-0.15.2.dist-info/METADATA', data: 'Name: ziglang' },
        { name: 'ziglang-0.15.2.dist-info/licenses/ziglang/LICENSE', data: 'MIT' },
      ]),
    );
    const summary = await extractWheel(wheel, target);
    expect(readdirSync(target).sort()).toEqual(['__init__.py', 'lib', 'zig']);
    expect(statSync(path.join(target, 'zig')).mode & 0o7777).toBe(underUmask(0o755));
    expect(readFileSync(path.join(target, 'lib/std/std.zig'), 'utf8')).toBe('pub fn main() void {}\n');
    expect(summary.entries).toBe(3);
  });

  it('refuses a wheel without ziglang/', async () => {
    const wheel = writeArchive('w.whl', zipArchive([{ name: 'other/zig', data: 'x' }]));
    await expectRefused(extractWheel(wheel, target), undefined, /no members under "ziglang"/);
  });

  it.each<[string, ZipMember[], string | undefined, RegExp]>([
    ['a .. in the name', [{ name: `${ROOT}/../evil`, data: 'x' }], `${ROOT}/../evil`, /'\.\.'/],
    ['an absolute name', [{ name: '/tmp/xcc-escape', data: 'x' }], '/tmp/xcc-escape', /absolute path/],
    ['a backslash traversal', [{ name: '..\\..\\evil', data: 'x' }], '..\\..\\evil', /'\.\.'/],
    [
      'a member outside the root',
      [{ name: 'elsewhere/zig', data: 'x' }],
      'elsewhere/zig',
      /top-level directory/,
    ],
    [
      'a symlink that climbs out',
      [{ name: `${ROOT}/s`, data: '../../../etc', mode: 0o120777 }],
      `${ROOT}/s`,
      /leaves the install directory/,
    ],
    [
      'a file written through a symlink',
      [
        { name: `${ROOT}/s`, data: 'lib', mode: 0o120777 },
        { name: `${ROOT}/s/x`, data: 'x' },
      ],
      `${ROOT}/s/x`,
      /written through the symlink/,
    ],
    ['a FIFO', [{ name: `${ROOT}/p`, mode: 0o010644 }], `${ROOT}/p`, /special file/],
    [
      'more data than declared',
      [{ name: `${ROOT}/a`, data: 'x'.repeat(1000), declaredSize: 10, deflate: true }],
      `${ROOT}/a`,
      /more data than the 10 bytes/,
    ],
    [
      'less data than declared',
      [{ name: `${ROOT}/a`, data: 'x'.repeat(10), declaredSize: 1000, deflate: true }],
      `${ROOT}/a`,
      /10 bytes, not the 1000/,
    ],
    ['a wrong CRC-32', [{ name: `${ROOT}/a`, data: 'hello', declaredCrc: 1234 }], `${ROOT}/a`, /CRC-32/],
    ['an encrypted member', [{ name: `${ROOT}/a`, data: 'x', flags: 0x1 }], `${ROOT}/a`, /encrypted/],
    [
      'an unknown compression method',
      [{ name: `${ROOT}/a`, data: 'x', method: 14 }],
      `${ROOT}/a`,
      /method 14/,
    ],
    [
      'a repeated member',
      [
        { name: `${ROOT}/a`, data: '1' },
        { name: `${ROOT}/a`, data: '2' },
      ],
      `${ROOT}/a`,
      /twice/,
    ],
    [
      'a member declaring a huge ratio',
      [{ name: `${ROOT}/bomb`, data: Buffer.alloc(2 * 1024 ** 2), deflate: true }],
      `${ROOT}/bomb`,
      /expands \d+:1, more than 100:1/,
    ],
  ])('refuses %s', async (_case, members, entry, message) => {
    await expectRefused(
      extractZip(zip(members), target, { root: ROOT, limits: { ratioGraceBytes: 1024 ** 2 } }),
      entry,
      message,
    );
    expect(existsSync('/tmp/xcc-escape')).toBe(false);
  });

  it('refuses a zip bomb from its central directory, before writing anything', async () => {
    const archive = zip([
      { name: `${ROOT}/a`, data: 'x', declaredSize: 600 },
      { name: `${ROOT}/b`, data: 'x', declaredSize: 600 },
    ]);
    const limits = { maxTotalBytes: 1000, maxCompressionRatio: 1000 };
    await expectRefused(
      extractZip(archive, target, { root: ROOT, limits }),
      `${ROOT}/b`,
      /more than 1000 bytes/,
    );
    expect(readdirSync(target)).toEqual([]);
  });

  it('refuses a member whose deflate data is damaged', async () => {
    const name = `${ROOT}/a`;
    const bytes = zipArchive([{ name, data: 'hello zig '.repeat(1000), deflate: true }]);
    bytes.fill(0xff, 30 + name.length, 30 + name.length + 8);
    await expectRefused(
      extractZip(writeArchive('bad.zip', bytes), target, { root: ROOT }),
      name,
      /data is corrupt/,
    );
  });

  it('refuses a file that is not a zip', async () => {
    const archive = writeArchive('not.zip', Buffer.from('PK? no, just text'));
    await expectRefused(extractZip(archive, target, { root: ROOT }), undefined, /zip file is corrupt/);
  });

  // The central directory is read by xcc itself (zip-file.ts): the end record found behind a comment,
  // zip64's sizes and offsets, and every count and offset checked against the file.
  it('finds the central directory behind a long archive comment', async () => {
    const archive = zipArchive([{ name: `${ROOT}/zig`, data: 'ELF', mode: 0o100755 }]);
    const comment = Buffer.from('made by a tool that says so at length; '.repeat(10));
    archive.writeUInt16LE(comment.length, archive.length - 2);
    await extractZip(writeArchive('commented.zip', Buffer.concat([archive, comment])), target, {
      root: ROOT,
    });
    expect(readFileSync(path.join(target, 'zig'), 'utf8')).toBe('ELF');
  });

  it('reads the sizes and the directory of a zip64 archive', async () => {
    const name = Buffer.from(`${ROOT}/lib/std.zig`);
    const data = 'pub fn main() void {}\n';
    const classic = zipArchive([{ name: name.toString(), data }]);
    const localLength = 30 + name.length + data.length;
    const central = Buffer.from(classic.subarray(localLength, localLength + 46 + name.length));
    central.writeUInt32LE(0xffffffff, 20);
    central.writeUInt32LE(0xffffffff, 24);
    central.writeUInt16LE(20, 30);
    const extra = Buffer.alloc(20);
    extra.writeUInt16LE(0x0001, 0);
    extra.writeUInt16LE(16, 2);
    extra.writeBigUInt64LE(BigInt(data.length), 4); // uncompressed, then compressed: APPNOTE's order
    extra.writeBigUInt64LE(BigInt(data.length), 12);
    const directory = Buffer.concat([central, extra]);
    const record = Buffer.alloc(56);
    record.writeUInt32LE(0x06064b50, 0);
    record.writeBigUInt64LE(44n, 4);
    record.writeBigUInt64LE(1n, 24);
    record.writeBigUInt64LE(1n, 32);
    record.writeBigUInt64LE(BigInt(directory.length), 40);
    record.writeBigUInt64LE(BigInt(localLength), 48);
    const locator = Buffer.alloc(20);
    locator.writeUInt32LE(0x07064b50, 0);
    locator.writeBigUInt64LE(BigInt(localLength + directory.length), 8);
    locator.writeUInt32LE(1, 16);
    const end = Buffer.alloc(22);
    end.writeUInt32LE(0x06054b50, 0);
    end.writeUInt16LE(0xffff, 8);
    end.writeUInt16LE(0xffff, 10);
    end.writeUInt32LE(0xffffffff, 12);
    end.writeUInt32LE(0xffffffff, 16);
    const archive = Buffer.concat([classic.subarray(0, localLength), directory, record, locator, end]);
    await extractZip(writeArchive('zip64.zip', archive), target, { root: ROOT });
    expect(readFileSync(path.join(target, 'lib/std.zig'), 'utf8')).toBe(data);
  });

  it.each<[string, (archive: Buffer) => void, RegExp]>([
    ['a directory offset past the end', (a) => a.writeUInt32LE(0x7fffffff, a.length - 6), /outside the file/],
    ['more entries than the directory holds', (a) => a.writeUInt16LE(500, a.length - 12), /outside the file/],
    [
      'an entry without its signature',
      (a) => a.writeUInt32LE(0, a.length - 22 - 46 - `${ROOT}/zig`.length),
      /entry 1 is damaged/,
    ],
    [
      'a name longer than the directory',
      (a) => a.writeUInt16LE(60_000, a.length - 22 - 46 - `${ROOT}/zig`.length + 28),
      /entry 1 is cut off/,
    ],
    [
      'zip64 markers without a zip64 record',
      (a) => a.writeUInt32LE(0xffffffff, a.length - 6),
      /no zip64 end of central directory locator/,
    ],
  ])('refuses a central directory with %s', async (_case, damage, message) => {
    const archive = zipArchive([{ name: `${ROOT}/zig`, data: 'ELF'.repeat(100) }]);
    damage(archive);
    await expectRefused(
      extractZip(writeArchive('lying.zip', archive), target, { root: ROOT }),
      undefined,
      message,
    );
    expect(readdirSync(target)).toEqual([]);
  });

  it('releases every file handle when a member fails', async (context) => {
    needHost(context, { platform: 'linux' });
    const fds = () => readdirSync('/proc/self/fd').length;
    const archive = zip([
      { name: `${ROOT}/a`, data: 'x'.repeat(100_000), deflate: true },
      { name: `${ROOT}/b`, data: 'x'.repeat(100_000), declaredSize: 10, deflate: true },
    ]);
    const before = fds();
    await expectRefused(extractZip(archive, target, { root: ROOT }), `${ROOT}/b`, /more data than/);
    // Streams close asynchronously after destroy(); give them a few turns of the event loop.
    for (let turn = 0; turn < 100 && fds() !== before; turn += 1) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(fds()).toBe(before);
  });
});

/**
 * The install's file record is built by the extractor from the bytes it writes, not read back from the
 * disk: it must be exactly what a walk of the extracted tree records, or `xcc verify` would call a fresh
 * install changed. Each archive holds every kind of entry and every way the two could drift apart.
 */
describe('the record built while extracting', () => {
  // Over the small-file limit (1 MiB): written by the streaming path, hashed chunk by chunk.
  const big = randomBytes(2 * 1024 * 1024 + 3);

  it('is what a walk of the extracted tar.xz records', async () => {
    const archive = writeArchive(
      'z.tar.xz',
      xz(
        tarArchive([
          { name: `${ROOT}/`, type: 'directory' },
          { name: `${ROOT}/zig`, mode: 0o4775, data: '#!/bin/sh\n' }, // setuid and group-writable: both dropped
          { name: `${ROOT}/lib/`, type: 'directory', mode: 0o700 }, // directories are 0755 whatever the archive says
          { name: `${ROOT}/lib/a.b`, data: 'written before lib/a/, walked after it' },
          { name: `${ROOT}/lib/a/b.zig`, mode: 0o666, data: 'const b = 1;\n' },
          { name: `${ROOT}/lib/link`, type: 'symlink', linkname: 'a/b.zig' },
          { name: `${ROOT}/B`, data: 'upper case sorts first' },
          { name: `${ROOT}/deep/er/still/file`, data: 'directories made on the way' },
          { name: `${ROOT}/empty`, data: '' },
          { name: `${ROOT}/big`, data: big },
          { name: `${ROOT}/zig-hard`, type: 'hardlink', linkname: `${ROOT}/zig` },
          { name: `${ROOT}/caf\u00e9`, data: 'a non-ASCII name' },
        ]),
      ),
    );
    const summary = await extractTarXz(createReadStream(archive), target, { root: ROOT });
    expect(summary.files.length).toBe(15);
    expect(summary.files).toEqual(recordTree(target));
  });

  it('is what a walk of the extracted wheel records', async () => {
    const wheel = writeArchive(
      'ziglang-0.15.2-py3-none-manylinux_2_12_x86_64.whl',
      zipArchive([
        { name: 'ziglang/zig', mode: 0o104755, data: '#!/bin/sh\n', deflate: true },
        { name: 'ziglang/lib/a.b', mode: 0o100644, data: 'sorted after lib/a/' },
        { name: 'ziglang/lib/a/b.zig', mode: 0o100666, data: 'const b = 1;\n', deflate: true },
        { name: 'ziglang/lib/dir/', mode: 0o40700 },
        { name: 'ziglang/lib/link', mode: 0o120777, data: 'a/b.zig' },
        { name: 'ziglang/big', mode: 0o100644, data: big }, // stored: large, streamed
        { name: 'ziglang/big.z', mode: 0o100755, data: big, deflate: true },
        { name: 'ziglang/empty', mode: 0o100644, data: '' },
        { name: 'ziglang/windows', data: 'made on Windows: no mode', unix: false },
        { name: 'ziglang-0.15.2.dist-info/RECORD', data: 'not extracted' },
      ]),
    );
    const summary = await extractWheel(wheel, target);
    expect(summary.files.length).toBe(11);
    expect(summary.files).toEqual(recordTree(target));
  });

  // Small members skip the fchmod when a new file keeps its mode (umask 000, 022), and need it under 077.
  it.for(['000', '022', '077'])('gives a wheel exactly 0644 and 0755 files under umask %s', async (umask) => {
    const wheel = writeArchive(
      'ziglang-0.15.2-py3-none-manylinux_2_12_x86_64.whl',
      zipArchive([
        { name: 'ziglang/zig', mode: 0o100775, data: '#!/bin/sh\n', deflate: true },
        { name: 'ziglang/lib/std.zig', mode: 0o100666, data: 'const std = 1;\n' },
      ]),
    );
    const previous = process.umask(Number.parseInt(umask, 8));
    try {
      const summary = await extractWheel(wheel, target);
      expect(summary.files).toEqual(recordTree(target));
    } finally {
      process.umask(previous);
    }
    expect(statSync(path.join(target, 'zig')).mode & 0o7777).toBe(0o755);
    expect(statSync(path.join(target, 'lib/std.zig')).mode & 0o7777).toBe(0o644);
    expect(statSync(path.join(target, 'lib')).mode & 0o7777).toBe(0o755);
  });
});
