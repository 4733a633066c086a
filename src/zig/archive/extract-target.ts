import { createHash, hash } from 'node:crypto';
import { closeSync, constants, fchmodSync, fstatSync, openSync, unlinkSync, writeSync } from 'node:fs';
import { type FileHandle, link, lstat, open, readdir, symlink } from 'node:fs/promises';
import path from 'node:path';
import { makeDirectory } from '../../fs-atomic.js';
import { type ManifestEntry, sha256Text, sortEntries } from '../verify/install-manifest.js';
import { refuse, resolveSymlinkTarget, type SymlinkTarget } from './archive-paths.js';

/** Bounds that stop archive bombs long before the disk fills; the real Zig archives pass by a wide margin. */
export interface ExtractLimits {
  /** Sum of the sizes of all files. Zig 0.15.2 is ~360 MB. */
  maxTotalBytes: number;
  /** Number of members. Zig 0.15.2 has ~19,000. */
  maxEntries: number;
  /**
   * Uncompressed/compressed size: per member for zip (largest in the Zig 0.15.2 wheel: 27),
   * over the whole stream for xz (Zig 0.15.2: 6.4). Only checked past `ratioGraceBytes`.
   */
  maxCompressionRatio: number;
  /** Output size below which the ratio is not checked: small, very compressible files are harmless. */
  ratioGraceBytes: number;
}

export const DEFAULT_LIMITS: ExtractLimits = {
  maxTotalBytes: 2 * 1024 ** 3,
  maxEntries: 100_000,
  maxCompressionRatio: 100,
  ratioGraceBytes: 16 * 1024 ** 2,
};

type Kind = 'directory' | 'file' | 'symlink';

interface PendingSymlink {
  entry: string;
  segments: string[];
  target: string;
  resolved: SymlinkTarget;
}

// O_EXCL also fails on an existing symlink, wherever it points (open(2)), on every OS.
const CREATE_NEW_FILE = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL;

/**
 * Writes archive members into an empty directory and guarantees that nothing lands outside it, whatever
 * the archive says. Members arrive one at a time, already split into install-relative segments.
 *
 * Symlinks are validated when they arrive but created only in `finish()`, after every file: while files
 * are written, the tree holds no symlink at all, so no write can be redirected through one. A member whose
 * path goes through an (announced) symlink, a file, or repeats an earlier member is refused. Files are
 * created with O_EXCL, modes are exactly 0755/0644 whatever the umask (exec bit kept, no setuid, no owner;
 * directories 0755), mtimes are the time of extraction (a reinstalled toolchain must look newer to make
 * and ccache, not older).
 *
 * Every entry is recorded as it is written (`record()`): its final mode, size and the sha256 of the bytes
 * written, in the form of the install's file record (install-manifest.ts), so that recording an install
 * of 19,000 files does not read 300 MB back from the disk it was just written to.
 *
 * Why not node-tar's Unpack: on Zig 0.15.2 it peaks at ~195 MiB RSS (it runs ahead of the disk with
 * thousands of pending entries; this writer: ~115 MiB), it chowns to the archive's uid/gid when run as
 * root, it strips a leading `/` and extracts instead of refusing, it skips `..` members with a warning
 * unless strict, and it accepts a symlink that escapes through another symlink (`a/s -> ..`,
 * `t -> a/s/../..`), checked against node-tar 7.5.23.
 */
export class ExtractTarget {
  readonly root: string;
  readonly #limits: ExtractLimits;
  readonly #kinds = new Map<string, Kind>();
  readonly #createdDirectories = new Set<string>();
  readonly #symlinks: PendingSymlink[] = [];
  /** What each entry is once written, by install-relative path. */
  readonly #record = new Map<string, ManifestEntry>();
  readonly #creationKeepsMode: boolean;
  #entries = 0;
  #totalBytes = 0;

  private constructor(root: string, limits: ExtractLimits, creationKeepsMode: boolean) {
    this.root = root;
    this.#limits = limits;
    this.#creationKeepsMode = creationKeepsMode;
  }

  /** Opens `root` for extraction; it is created if missing and must be empty (a leftover could hold a symlink). */
  static async create(root: string, limits: ExtractLimits = DEFAULT_LIMITS): Promise<ExtractTarget> {
    const absolute = path.resolve(root);
    await makeDirectory(absolute, 0o755);
    const leftovers = await readdir(absolute);
    if (leftovers.length > 0) throw new Error(`extraction directory ${absolute} is not empty`);
    return new ExtractTarget(absolute, limits, creationKeepsMode(absolute));
  }

  get limits(): ExtractLimits {
    return this.#limits;
  }

  get totalBytes(): number {
    return this.#totalBytes;
  }

  /**
   * Every entry written, after `finish()`: exactly what a walk of the tree would record (a unit test holds
   * the two equal), in the walk's order.
   */
  record(): ManifestEntry[] {
    return sortEntries([...this.#record.values()]);
  }

  async directory(entry: string, segments: readonly string[]): Promise<void> {
    if (segments.length === 0) return;
    const key = segments.join('/');
    if (this.#kinds.get(key) === 'directory') return;
    this.#admit(entry, segments, key);
    await this.#ensureDirectory(segments).catch(collision(entry));
  }

  /**
   * Writes a regular file from `data`, which must yield exactly `size` bytes. The size is reserved against
   * the limits before anything is written, and a member that yields more than it announced is cut off.
   */
  async file(
    entry: string,
    segments: readonly string[],
    { mode, size, data }: { mode: number; size: number; data: AsyncIterable<Uint8Array> },
  ): Promise<void> {
    const key = this.#admitNamed(entry, segments);
    this.#reserveBytes(entry, size);
    // Recorded before the first await: a zip's large members are written while the next members arrive.
    this.#kinds.set(key, 'file');
    await this.#ensureDirectory(segments.slice(0, -1)).catch(collision(entry));
    if (size <= SMALL_FILE_BYTES) {
      this.#writeSmallFile(entry, key, segments, mode, await readExactly(entry, size, data));
      return;
    }
    const handle = await open(this.#absolute(segments), CREATE_NEW_FILE, fileMode(mode)).catch(
      collision(entry),
    );
    try {
      if (!this.#creationKeepsMode) await handle.chmod(fileMode(mode));
      const digest = createHash('sha256');
      let written = 0;
      for await (const chunk of data) {
        written += chunk.byteLength;
        if (written > size) throw tooLong(entry, size);
        digest.update(chunk);
        await writeAll(handle, chunk);
      }
      if (written !== size) throw tooShort(entry, size, written);
      this.#recordFile(key, mode, size, digest.digest('hex'));
    } finally {
      await handle.close();
    }
  }

  /**
   * A file whose bytes are already in memory (a small zip member), written like the small files of
   * `file()`. Only a new directory costs an await; the write itself does not wait on the thread pool.
   */
  async fileBytes(
    entry: string,
    segments: readonly string[],
    mode: number,
    bytes: Uint8Array,
  ): Promise<void> {
    const key = this.#admitNamed(entry, segments);
    this.#reserveBytes(entry, bytes.byteLength);
    const parent = segments.slice(0, -1);
    if (!this.#createdDirectories.has(parent.join('/'))) {
      await this.#ensureDirectory(parent).catch(collision(entry));
    }
    this.#kinds.set(key, 'file');
    this.#writeSmallFile(entry, key, segments, mode, bytes);
  }

  /** One synchronous open, write and close (SMALL_FILE_BYTES says why). */
  #writeSmallFile(entry: string, key: string, segments: readonly string[], mode: number, bytes: Uint8Array) {
    const fd = openNewSync(this.#absolute(segments), fileMode(mode), entry);
    try {
      // The archive's mode, not the umask's; skipped when creation gives it already (creationKeepsMode).
      if (!this.#creationKeepsMode) fchmodSync(fd, fileMode(mode));
      for (let offset = 0; offset < bytes.byteLength; ) offset += writeSync(fd, bytes, offset);
    } finally {
      closeSync(fd);
    }
    this.#recordFile(key, mode, bytes.byteLength, hash('sha256', bytes));
  }

  /** Records a symlink (and makes its directory); the link itself is created by `finish()`. */
  async symlink(entry: string, segments: readonly string[], target: string): Promise<void> {
    const key = this.#admitNamed(entry, segments);
    const resolved = resolveSymlinkTarget(entry, segments, target);
    await this.#ensureDirectory(segments.slice(0, -1)).catch(collision(entry));
    this.#kinds.set(key, 'symlink');
    this.#symlinks.push({ entry, segments: [...segments], target, resolved });
  }

  /** A hard link may only point at a regular file extracted earlier from the same archive. */
  async hardlink(entry: string, segments: readonly string[], target: readonly string[]): Promise<void> {
    const key = this.#admitNamed(entry, segments);
    if (this.#kinds.get(target.join('/')) !== 'file') {
      throw refuse(
        entry,
        `the hard link target ${JSON.stringify(target.join('/'))} is not a file of this archive`,
      );
    }
    await this.#ensureDirectory(segments.slice(0, -1)).catch(collision(entry));
    this.#kinds.set(key, 'file');
    await link(this.#absolute(target), this.#absolute(segments)).catch(collision(entry));
    // One file under two names: the link's record is its target's (tar entries are written one at a time,
    // so the target's is complete).
    const [, mode, size, sha256] = this.#record.get(target.join('/'))!;
    this.#record.set(key, [key, mode, size, sha256]);
  }

  /** Creates the recorded symlinks, refusing any whose target would be resolved through another symlink. */
  async finish(): Promise<void> {
    for (const { entry, segments, target, resolved } of this.#symlinks) {
      const through = resolved.traversed.find((prefix) => this.#kinds.get(prefix.join('/')) === 'symlink');
      if (through) {
        throw refuse(
          entry,
          `the symlink target ${JSON.stringify(target)} goes through the symlink ${JSON.stringify(through.join('/'))}`,
        );
      }
      const link = this.#absolute(segments);
      await symlink(target, link).catch(collision(entry));
      // A symlink's mode is the OS's to choose (0777 on Linux, 0755 under a 022 umask on macOS): asked, not assumed.
      const { mode } = await lstat(link);
      const key = segments.join('/');
      this.#record.set(key, [key, mode.toString(8), Buffer.byteLength(target), sha256Text(target)]);
    }
  }

  /** Counts a member and checks its place in the tree: no repeats, nothing below a file or symlink. */
  #admit(entry: string, segments: readonly string[], key: string): void {
    this.#entries += 1;
    if (this.#entries > this.#limits.maxEntries) {
      throw refuse(entry, `the archive has more than ${this.#limits.maxEntries} members`);
    }
    if (this.#kinds.has(key)) throw refuse(entry, 'it appears twice in the archive');
    for (let length = 1; length < segments.length; length += 1) {
      const prefix = segments.slice(0, length).join('/');
      const kind = this.#kinds.get(prefix);
      if (kind === 'symlink')
        throw refuse(entry, `it would be written through the symlink ${JSON.stringify(prefix)}`);
      if (kind === 'file') throw refuse(entry, `its parent ${JSON.stringify(prefix)} is a file`);
    }
  }

  /** `#admit` for members that need a name of their own (not the top-level directory). */
  #admitNamed(entry: string, segments: readonly string[]): string {
    if (segments.length === 0) throw refuse(entry, 'it would replace the install directory itself');
    const key = segments.join('/');
    this.#admit(entry, segments, key);
    return key;
  }

  #reserveBytes(entry: string, size: number): void {
    this.#totalBytes += size;
    if (this.#totalBytes > this.#limits.maxTotalBytes) {
      throw refuse(entry, `the archive would unpack to more than ${this.#limits.maxTotalBytes} bytes`);
    }
  }

  async #ensureDirectory(segments: readonly string[]): Promise<void> {
    if (segments.length === 0) return;
    const key = segments.join('/');
    if (this.#createdDirectories.has(key)) return;
    await makeDirectory(this.#absolute(segments), 0o755);
    for (let length = 1; length <= segments.length; length += 1) {
      const prefix = segments.slice(0, length).join('/');
      this.#createdDirectories.add(prefix);
      this.#kinds.set(prefix, 'directory');
      this.#record.set(prefix, [prefix, DIRECTORY_MODE, 0, '']);
    }
  }

  #recordFile(key: string, archiveMode: number, size: number, sha256: string): void {
    this.#record.set(key, [key, (S_IFREG | fileMode(archiveMode)).toString(8), size, sha256]);
  }

  #absolute(segments: readonly string[]): string {
    return path.join(this.root, ...segments);
  }
}

// How a walk sees what `#ensureDirectory` and `fileMode` make: makeDirectory sets 0755 whatever the umask.
const S_IFREG = 0o100000;
const DIRECTORY_MODE = (0o040000 | 0o755).toString(8);

/** FileHandle.write may write less than asked (a full disk midway): the rest is written, or the error thrown. */
async function writeAll(handle: FileHandle, chunk: Uint8Array): Promise<void> {
  for (let offset = 0; offset < chunk.byteLength; ) {
    const { bytesWritten } = await handle.write(chunk, offset);
    offset += bytesWritten;
  }
}

/**
 * Most of a Zig release's ~19,000 files are a few KiB: each awaited open, write and close is a round
 * trip through libuv's thread pool, and those round trips, not the disk, were most of an extraction
 * (measured with --cpu-prof: 2x the wall time of `tar -x` on a loaded 2-core machine; for zip, even with
 * eight writes kept in flight while the next members inflated, 1.4x `unzip`). Files up to this size are
 * buffered (the archive's data arrives in memory anyway) and written with one synchronous open, write and
 * close, as tar and unzip do.
 */
const SMALL_FILE_BYTES = 1024 * 1024;

async function readExactly(entry: string, size: number, data: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const chunks: Uint8Array[] = [];
  let read = 0;
  for await (const chunk of data) {
    read += chunk.byteLength;
    if (read > size) throw tooLong(entry, size);
    chunks.push(chunk);
  }
  if (read !== size) throw tooShort(entry, size, read);
  return Buffer.concat(chunks, size);
}

/**
 * Whether a file created in `dir` with mode 0755 gets exactly 0755: no umask bit and no default ACL takes
 * any (and so none of 0644's either). Then the files written here, in directories that inherit from
 * `dir`, have their mode from creation, and the fchmod that forces it is skipped: one system call for
 * each of the 19,000 files of a Zig release. Asked of the file system, not of
 * process.umask(), which cannot see an ACL. A mode that still came out otherwise would show in `xcc verify`:
 * the record says what the mode must be.
 */
function creationKeepsMode(dir: string): boolean {
  const probe = path.join(dir, '.xcc-mode-probe');
  const fd = openNewSync(probe, 0o755, probe);
  try {
    return (fstatSync(fd).mode & 0o7777) === 0o755;
  } finally {
    closeSync(fd);
    unlinkSync(probe);
  }
}

function openNewSync(file: string, mode: number, entry: string): number {
  try {
    return openSync(file, CREATE_NEW_FILE, mode);
  } catch (error) {
    return collision(entry)(error);
  }
}

export function tooLong(entry: string, size: number): Error {
  return refuse(entry, `it holds more data than the ${size} bytes it declares`);
}

export function tooShort(entry: string, size: number, written: number): Error {
  return refuse(entry, `it holds ${written} bytes, not the ${size} it declares`);
}

/** Only the exec bit survives from the archive: no setuid/setgid/sticky, no group- or world-writable files. */
export function fileMode(archiveMode: number): number {
  return (archiveMode & 0o111) !== 0 ? 0o755 : 0o644;
}

/**
 * Two distinct member names can still name one file (case-insensitive or normalizing file systems);
 * the OS then reports EEXIST or ENOTDIR, which means a refused member, not a bug.
 */
function collision(entry: string): (error: unknown) => never {
  return (error) => {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST' || code === 'ENOTDIR') {
      throw refuse(entry, `it collides with another member of the archive (${code})`);
    }
    throw error;
  };
}
