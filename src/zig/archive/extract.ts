import { createReadStream } from 'node:fs';
import { pipeline, Writable } from 'node:stream';
import { pipeline as pipelineAsync } from 'node:stream/promises';
import { setImmediate } from 'node:timers/promises';
import { crc32, createInflateRaw, inflateRawSync } from 'node:zlib';
import { Parser, type ReadEntry } from 'tar';
import type { ManifestEntry } from '../verify/install-manifest.js';
import { ArchiveError, memberSegments, type RootRule, refuse } from './archive-paths.js';
import { DEFAULT_LIMITS, type ExtractLimits, ExtractTarget, tooLong, tooShort } from './extract-target.js';
import { decodeXz, type XzDecoder } from './xz.js';
import { ZipFile, type ZipMember } from './zip-file.js';

export { ArchiveError } from './archive-paths.js';
export { DEFAULT_LIMITS, type ExtractLimits } from './extract-target.js';

export interface ExtractOptions {
  /**
   * The single top-level directory of the archive (`zig-x86_64-linux-0.15.2`): every member must lie under
   * it and it is removed, so the install directory holds `zig`, `lib/`... A member elsewhere is an error.
   * Omit it to extract the archive as it is.
   */
  root?: string;
  /** Called with the number of archive bytes consumed so far. */
  onProgress?: (bytesIn: number) => void;
  signal?: AbortSignal;
  limits?: Partial<ExtractLimits>;
  /** Which xz decoder (tar.xz only); default `auto`: the `xz` program when on PATH, else WebAssembly. */
  xz?: XzDecoder;
}

export interface ExtractSummary {
  /** Members written (files, directories, links). */
  entries: number;
  /** Bytes of file data written. */
  bytes: number;
  /** What was written, entry by entry, as the install's file record has it (install-manifest.ts). */
  files: ManifestEntry[];
}

/**
 * Extracts a `.tar.xz` read from `compressed` (typically the download, while it is being hashed) into
 * `targetDir`, which must be empty or missing. On failure the stream is torn down and no file handle stays
 * open; what was written stays for the caller to delete with the temporary directory.
 */
export async function extractTarXz(
  compressed: AsyncIterable<Uint8Array>,
  targetDir: string,
  options: ExtractOptions = {},
): Promise<ExtractSummary> {
  const limits = { ...DEFAULT_LIMITS, ...options.limits };
  const target = await ExtractTarget.create(targetDir, limits);
  const rule = rootRule(options.root);
  const meter = new XzMeter(limits, options.onProgress);
  const tracker = new RootTracker(rule);
  const decoded = decodeXz(meter.countInput(compressed), options.xz);
  // The decoder's own failure, caught where it is read. Not its 'error' event: since Node 22, pipeline
  // destroys every stream with the first error, so that event also carries a refusal from the tar stage.
  let decoderError: unknown;
  async function* decoding(): AsyncGenerator<Buffer> {
    try {
      yield* decoded as AsyncIterable<Buffer>;
    } catch (error) {
      decoderError = error;
      throw error;
    }
  }
  try {
    await pipelineAsync(
      decoding(),
      (chunks: AsyncIterable<Buffer>) => meter.countOutput(chunks),
      tarSink((entry, stop) => unpackTarEntry(target, rule, tracker, entry, stop)),
      { signal: options.signal },
    );
  } catch (error) {
    // A failing download reaches us through the decoder: report it as itself, not as corrupt data.
    if (meter.inputError !== undefined) throw meter.inputError;
    if (error !== decoderError || isAbort(error)) throw error;
    throw new ArchiveError(`The xz data is corrupt or truncated (${messageOf(error)})`, { cause: error });
  }
  tracker.check();
  await target.finish();
  return { entries: tracker.members, bytes: target.totalBytes, files: target.record() };
}

/**
 * Extracts a `.zip` file (Zig's Windows archives) into `targetDir`. Zip keeps its authoritative member list
 * and file modes in the central directory at the end of the file, so it is read from disk, not streamed:
 * a streamed zip shows only local headers, which carry no modes and may disagree with the directory.
 */
export async function extractZip(
  zipFile: string,
  targetDir: string,
  options: ExtractOptions = {},
): Promise<ExtractSummary> {
  return unpackZip(zipFile, targetDir, rootRule(options.root), options);
}

/**
 * Extracts the Zig inside a PyPI `ziglang` wheel: the members under `ziglang/` become the install
 * directory (`ziglang/zig` -> `zig`), the wheel's metadata is skipped, and the exec bits come from the zip
 * external attributes (the only place a wheel keeps them).
 */
export async function extractWheel(
  wheelFile: string,
  targetDir: string,
  options: Omit<ExtractOptions, 'root'> = {},
): Promise<ExtractSummary> {
  return unpackZip(wheelFile, targetDir, { kind: 'select', name: WHEEL_PACKAGE }, options);
}

const WHEEL_PACKAGE = 'ziglang';

function rootRule(root: string | undefined): RootRule {
  return root === undefined ? { kind: 'none' } : { kind: 'strip', name: root };
}

/** Counts members that belong to the install and checks, at the end, that the expected root was there. */
class RootTracker {
  members = 0;
  readonly #rule: RootRule;

  constructor(rule: RootRule) {
    this.#rule = rule;
  }

  accept(segments: string[] | undefined): segments is string[] {
    if (segments === undefined) return false;
    this.members += 1;
    return true;
  }

  check(): void {
    if (this.members > 0) return;
    const where = this.#rule.kind === 'none' ? '' : ` under ${JSON.stringify(this.#rule.name)}`;
    throw new ArchiveError(`The archive has no members${where} (corrupt or wrong archive)`);
  }
}

/** Progress, and the bomb check for solid xz streams: decoded/encoded bytes over the whole stream. */
class XzMeter {
  #bytesIn = 0;
  #bytesOut = 0;
  #inputError: unknown;
  readonly #limits: ExtractLimits;
  readonly #onProgress: ((bytesIn: number) => void) | undefined;

  constructor(limits: ExtractLimits, onProgress: ((bytesIn: number) => void) | undefined) {
    this.#limits = limits;
    this.#onProgress = onProgress;
  }

  get inputError(): unknown {
    return this.#inputError;
  }

  async *countInput(compressed: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
    try {
      for await (const chunk of compressed) {
        this.#bytesIn += chunk.byteLength;
        this.#onProgress?.(this.#bytesIn);
        yield chunk;
      }
    } catch (error) {
      this.#inputError = error;
      throw error;
    }
  }

  async *countOutput(decoded: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
    const { maxCompressionRatio, ratioGraceBytes } = this.#limits;
    for await (const chunk of decoded) {
      this.#bytesOut += chunk.byteLength;
      if (this.#bytesOut > ratioGraceBytes && this.#bytesOut > this.#bytesIn * maxCompressionRatio) {
        throw new ArchiveError(
          `The xz data expands more than ${maxCompressionRatio}:1 (${this.#bytesOut} bytes from ${this.#bytesIn}); refusing a decompression bomb`,
        );
      }
      yield chunk;
    }
  }
}

/**
 * A Writable that feeds node-tar's Parser and hands its entries, one at a time, to `unpack`. Only the
 * parser of node-tar is used, not its Unpack: see `ExtractTarget` for why the writing is ours. Backpressure
 * holds end to end: the parser stops taking data while an entry is unread, and an entry is read only as
 * fast as its file is written, so memory stays at a few chunks whatever the archive holds.
 */
function tarSink(unpack: (entry: ReadEntry, stop: AbortSignal) => Promise<void>): Writable {
  const parser = new Parser({ strict: true });
  // Aborted when the pipeline fails or is aborted, so that the file being written is closed.
  const stop = new AbortController();
  let queue: Promise<void> = Promise.resolve();
  const parsed = new Promise<void>((resolve, reject) => {
    parser.on('end', resolve);
    parser.on('error', reject);
  });
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      if (parser.write(chunk)) callback();
      else parser.once('drain', () => callback());
    },
    final(callback) {
      parser.end();
      parsed.then(() => queue).then(() => callback(), callback);
    },
    destroy(error, callback) {
      stop.abort(error ?? new Error('extraction stopped'));
      queue.then(
        () => callback(error),
        () => callback(error),
      );
    },
  });
  parser.on('error', (error: Error) => {
    sink.destroy(new ArchiveError(`The tar data is corrupt (${error.message})`, { cause: error }));
  });
  parser.on('entry', (entry: ReadEntry) => {
    queue = queue.then(() => unpack(entry, stop.signal));
    queue.catch((error: unknown) => sink.destroy(error as Error));
  });
  parsed.catch(() => {});
  return sink;
}

async function unpackTarEntry(
  target: ExtractTarget,
  rule: RootRule,
  tracker: RootTracker,
  entry: ReadEntry,
  stop: AbortSignal,
): Promise<void> {
  const name = entry.path;
  const segments = memberSegments(name, rule);
  if (!tracker.accept(segments)) {
    entry.resume();
    return;
  }
  switch (entry.type) {
    case 'File':
    case 'OldFile':
    case 'ContiguousFile':
      return target.file(name, segments, {
        mode: entry.mode ?? 0,
        size: entry.size,
        data: untilAborted(entry, stop),
      });
    case 'Directory':
      entry.resume();
      return target.directory(name, segments);
    case 'SymbolicLink':
      entry.resume();
      return target.symlink(name, segments, entry.linkpath ?? '');
    case 'Link': {
      entry.resume();
      const linkpath = entry.linkpath ?? '';
      const linked = memberSegments(linkpath, rule, { entry: name, subject: 'hard link target' });
      if (linked === undefined)
        throw refuse(name, `the hard link target ${JSON.stringify(linkpath)} is not extracted`);
      return target.hardlink(name, segments, linked);
    }
    case 'CharacterDevice':
    case 'BlockDevice':
    case 'FIFO':
      throw refuse(name, `it is a ${entry.type} entry; only files, directories and links are extracted`);
    default:
      throw refuse(name, `unsupported tar entry type ${entry.type}`);
  }
}

// Unix file types in the high 16 bits of a zip's external attributes (when made on Unix).
const S_IFMT = 0o170000;
const S_IFREG = 0o100000;
const S_IFDIR = 0o040000;
const S_IFLNK = 0o120000;
const ZIP_MADE_ON_UNIX = 3;
const ZIP_ENCRYPTED = 0x1;
const ZIP_STORED = 0;
const ZIP_DEFLATED = 8;
const MAX_SYMLINK_TARGET = 4096;

async function unpackZip(
  zipFile: string,
  targetDir: string,
  rule: RootRule,
  options: ExtractOptions,
): Promise<ExtractSummary> {
  const limits = { ...DEFAULT_LIMITS, ...options.limits };
  const target = await ExtractTarget.create(targetDir, limits);
  const tracker = new RootTracker(rule);
  const reader = new ZipFile(zipFile);
  try {
    const members = reader.members().flatMap((file) => {
      const segments = memberSegments(file.path, rule);
      return tracker.accept(segments) ? [{ file, segments }] : [];
    });
    checkZipDeclaration(members, limits);
    // The few large files (the zig executable: half the bytes of a wheel, near its end) are read and
    // inflated in the thread pool. Started first, that overlaps the main thread's work on the small
    // members; in archive order, it ran alone at the end.
    const isLarge = ({ file }: (typeof members)[number]) => isRegularFile(file) && !isSmall(file);
    const large = members.filter(isLarge);
    const rest = members.filter((member) => !isLarge(member));
    const stop = new AbortController();
    const signal = options.signal ? AbortSignal.any([options.signal, stop.signal]) : stop.signal;
    let failure: { error: unknown } | undefined;
    const fail = (error: unknown) => {
      failure ??= { error };
      stop.abort(error);
    };
    let bytesIn = 0;
    const unpack = async ({ file, segments }: { file: ZipMember; segments: string[] }) => {
      const small = smallMember(reader, file, segments, target);
      if (small) await small;
      else await unpackZipMember(target, file, segments, () => memberData(zipFile, reader, file, signal));
      bytesIn += file.compressedSize;
      options.onProgress?.(bytesIn);
    };
    const background = (async () => {
      for (const member of large) await unpack(member);
    })().catch(fail);
    try {
      for (const [index, member] of rest.entries()) {
        signal.throwIfAborted();
        // Small members are written without waiting on the event loop: let it run the large ones' I/O.
        if (index % YIELD_EVERY === 0) await setImmediate();
        await unpack(member);
      }
    } catch (error) {
      fail(error);
    }
    // Settled either way, so that no file is left open behind an error.
    await background;
    if (failure) throw failure.error;
    tracker.check();
    await target.finish();
    return { entries: tracker.members, bytes: target.totalBytes, files: target.record() };
  } finally {
    reader.close();
  }
}

/** Bombs are refused from the central directory alone, before a byte is written. */
function checkZipDeclaration(
  members: { file: ZipMember; segments: string[] }[],
  limits: ExtractLimits,
): void {
  let total = 0;
  for (const { file } of members) {
    total += file.uncompressedSize;
    if (total > limits.maxTotalBytes) {
      throw refuse(file.path, `the archive would unpack to more than ${limits.maxTotalBytes} bytes`);
    }
    const ratio = file.uncompressedSize / Math.max(file.compressedSize, 1);
    if (file.uncompressedSize > limits.ratioGraceBytes && ratio > limits.maxCompressionRatio) {
      throw refuse(file.path, `it expands ${Math.round(ratio)}:1, more than ${limits.maxCompressionRatio}:1`);
    }
  }
}

async function unpackZipMember(
  target: ExtractTarget,
  file: ZipMember,
  segments: string[],
  data: () => AsyncGenerator<Buffer>,
): Promise<void> {
  const name = file.path;
  if (file.flags & ZIP_ENCRYPTED) throw refuse(name, 'it is encrypted');
  if (file.compressionMethod !== ZIP_STORED && file.compressionMethod !== ZIP_DEFLATED) {
    throw refuse(name, `unsupported zip compression method ${file.compressionMethod}`);
  }
  const mode = unixMode(file);
  const type = mode & S_IFMT;
  if (type === S_IFDIR || (type === 0 && name.endsWith('/'))) return target.directory(name, segments);
  if (type === S_IFLNK) {
    if (file.uncompressedSize > MAX_SYMLINK_TARGET) throw refuse(name, 'the symlink target is too long');
    const chunks: Buffer[] = [];
    for await (const chunk of data()) chunks.push(chunk);
    const targetPath = Buffer.concat(chunks).toString('utf8');
    return target.symlink(name, segments, targetPath);
  }
  if (type !== S_IFREG && type !== 0) {
    throw refuse(
      name,
      `it is a special file (mode ${mode.toString(8)}); only files, directories and links are extracted`,
    );
  }
  return target.file(name, segments, { mode, size: file.uncompressedSize, data: data() });
}

function unixMode(file: ZipMember): number {
  return file.versionMadeBy >> 8 === ZIP_MADE_ON_UNIX ? file.externalFileAttributes >>> 16 : 0;
}

/**
 * A small regular member, read, inflated and written in one go; or undefined for anything else (large,
 * a directory or link, or a member `unpackZipMember` will refuse).
 */
function smallMember(
  reader: ZipFile,
  file: ZipMember,
  segments: string[],
  target: ExtractTarget,
): Promise<void> | undefined {
  const supported = file.compressionMethod === ZIP_STORED || file.compressionMethod === ZIP_DEFLATED;
  if (!isRegularFile(file) || !supported || file.flags & ZIP_ENCRYPTED || !isSmall(file)) return undefined;
  const mode = unixMode(file);
  const bytes =
    file.compressedSize === 0
      ? Buffer.alloc(0)
      : smallMemberData(reader, file, memberDataOffset(reader, file));
  if (bytes.byteLength !== file.uncompressedSize)
    throw tooShort(file.path, file.uncompressedSize, bytes.byteLength);
  if (bytes.byteLength === 0 && file.crc32 >>> 0 !== 0)
    throw refuse(file.path, 'its data does not match its CRC-32');
  return target.fileBytes(file.path, segments, mode, bytes);
}

function isRegularFile(file: ZipMember): boolean {
  const type = unixMode(file) & S_IFMT;
  return type === S_IFREG || (type === 0 && !file.path.endsWith('/'));
}

/** How many small members are written between two turns of the event loop. */
const YIELD_EVERY = 16;

function isSmall(file: ZipMember): boolean {
  return file.compressedSize <= SMALL_MEMBER_BYTES && file.uncompressedSize <= SMALL_MEMBER_BYTES;
}

const LOCAL_HEADER = 30;
const LOCAL_HEADER_SIGNATURE = 0x04034b50;
/**
 * Members up to this size (compressed and uncompressed; all but a dozen of a Zig wheel's 18,000) are read
 * with one pread and inflated in one synchronous call. Streaming each through its own read stream and
 * inflater cost an open, a close and several thread-pool round trips per member: the event loop sat idle
 * for a third of a PyPI install (node --cpu-prof), which took 2.5 times `unzip`.
 */
const SMALL_MEMBER_BYTES = 1024 * 1024;

/**
 * Read and inflate a large member (the 172 MB zig executable) a MiB at a time: at the default 16 KiB of
 * inflated output per chunk, its 11,000 awaited writes and hash updates cost half a second of an install.
 */
const LARGE_MEMBER_CHUNK = 1024 * 1024;

/**
 * A member's data, read straight from the file (no per-member parser: unzipper's `file.stream()`, used before, cost
 * ~45 MiB more peak RSS on the 18,000 members of a Zig wheel), checked against the CRC-32 of the central
 * directory once it has all been read. Small members come in one chunk, large ones streamed.
 */
async function* memberData(
  zipFile: string,
  reader: ZipFile,
  file: ZipMember,
  signal: AbortSignal | undefined,
): AsyncGenerator<Buffer> {
  if (file.compressedSize === 0) {
    if (file.crc32 >>> 0 !== 0) throw refuse(file.path, 'its data does not match its CRC-32');
    return;
  }
  const start = memberDataOffset(reader, file);
  if (isSmall(file)) {
    yield smallMemberData(reader, file, start);
    return;
  }
  let crc = 0;
  const end = start + file.compressedSize - 1;
  const raw = createReadStream(zipFile, { start, end, highWaterMark: LARGE_MEMBER_CHUNK });
  const inflate = () => createInflateRaw({ chunkSize: LARGE_MEMBER_CHUNK });
  const data = file.compressionMethod === ZIP_DEFLATED ? pipeline(raw, inflate(), () => {}) : raw;
  try {
    for await (const chunk of (signal ? untilAborted(data, signal) : data) as AsyncIterable<Buffer>) {
      crc = crc32(chunk, crc);
      yield chunk;
    }
  } catch (error) {
    if (error instanceof ArchiveError || isAbort(error)) throw error;
    throw refuse(file.path, `its data is corrupt (${messageOf(error)})`);
  } finally {
    data.destroy();
  }
  if (crc >>> 0 !== file.crc32 >>> 0) throw refuse(file.path, 'its data does not match its CRC-32');
}

/** Where a member's data starts: after its local header, whose name and extra field lengths are its own. */
function memberDataOffset(reader: ZipFile, file: ZipMember): number {
  const header = reader.bytesAt(file.offsetToLocalFileHeader, LOCAL_HEADER);
  if (header.byteLength < LOCAL_HEADER || header.readUInt32LE(0) !== LOCAL_HEADER_SIGNATURE) {
    throw refuse(file.path, 'its local header is missing or damaged');
  }
  return file.offsetToLocalFileHeader + LOCAL_HEADER + header.readUInt16LE(26) + header.readUInt16LE(28);
}

/**
 * The whole of a small member. Inflating stops one byte past the declared size: a member that holds more
 * than it declares is refused without inflating the rest of it.
 */
function smallMemberData(reader: ZipFile, file: ZipMember, start: number): Buffer {
  const raw = reader.bytesAt(start, file.compressedSize);
  if (raw.byteLength < file.compressedSize)
    throw refuse(file.path, 'its data is cut off (the zip file is truncated)');
  let data: Buffer;
  try {
    // A stored member is copied out of the reader's window, which the next read reuses.
    data =
      file.compressionMethod === ZIP_DEFLATED
        ? inflateRawSync(raw, { maxOutputLength: file.uncompressedSize + 1 })
        : Buffer.from(raw);
  } catch (error) {
    if (isTooLarge(error)) throw tooLong(file.path, file.uncompressedSize);
    throw refuse(file.path, `its data is corrupt (${messageOf(error)})`);
  }
  if (data.byteLength === file.uncompressedSize && crc32(data) >>> 0 !== file.crc32 >>> 0) {
    throw refuse(file.path, 'its data does not match its CRC-32');
  }
  return data;
}

function isTooLarge(error: unknown): boolean {
  return (error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE';
}

/**
 * `source` until `signal` aborts: then the source is destroyed, which ends a read that is pending (a tar
 * entry whose data will never come, once the pipeline is torn down), and the abort reason is thrown.
 * (Racing each read against one abort promise would keep every chunk alive until the abort: a leak.)
 */
async function* untilAborted<T>(
  source: AsyncIterable<T> & { destroy(): unknown },
  signal: AbortSignal,
): AsyncGenerator<T> {
  signal.throwIfAborted();
  const stop = () => source.destroy();
  signal.addEventListener('abort', stop, { once: true });
  try {
    for await (const chunk of source) {
      yield chunk;
      // Checked before asking for more: a destroyed Minipass never answers another read.
      signal.throwIfAborted();
    }
  } catch (error) {
    signal.throwIfAborted();
    throw error;
  } finally {
    signal.removeEventListener('abort', stop);
  }
  signal.throwIfAborted();
}

function isAbort(error: unknown): boolean {
  return error instanceof Error && error.name === 'AbortError';
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
