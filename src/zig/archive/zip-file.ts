import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { ArchiveError } from './archive-paths.js';

/** A member as the zip's central directory declares it (the names are APPNOTE.TXT's). */
export interface ZipMember {
  /** The name, decoded as UTF-8. */
  path: string;
  versionMadeBy: number;
  flags: number;
  compressionMethod: number;
  crc32: number;
  compressedSize: number;
  uncompressedSize: number;
  externalFileAttributes: number;
  offsetToLocalFileHeader: number;
}

const END_OF_DIRECTORY = 0x06054b50;
const END_OF_DIRECTORY_SIZE = 22;
const MAX_COMMENT = 0xffff;
const ZIP64_LOCATOR = 0x07064b50;
const ZIP64_LOCATOR_SIZE = 20;
const ZIP64_END_OF_DIRECTORY = 0x06064b50;
const ZIP64_END_OF_DIRECTORY_SIZE = 56;
const ZIP64_EXTRA = 0x0001;
const DIRECTORY_ENTRY = 0x02014b50;
const DIRECTORY_ENTRY_SIZE = 46;

/** How much of the zip file `ZipFile` reads ahead. */
const READ_WINDOW = 4 * 1024 * 1024;
/** A read that starts this close past the window (a data descriptor, say) still counts as sequential. */
const SEQUENTIAL_GAP = 64 * 1024;

/**
 * A zip file on disk, read synchronously: its central directory in one read, its members a window at a
 * time. Members lie one after the other, so the local headers and data of a run of small members come
 * from one read instead of two preads each (36,000 system calls and as many buffers for a Zig wheel).
 * Only a sequential read fills the window: a zip whose directory jumps around costs one read per request,
 * not a window each.
 */
export class ZipFile {
  readonly #fd: number;
  readonly #size: number;
  #window = Buffer.allocUnsafe(READ_WINDOW);
  #start = 0;
  #length = 0;

  constructor(file: string) {
    this.#fd = openSync(file, 'r');
    try {
      this.#size = fstatSync(this.#fd).size;
    } catch (error) {
      closeSync(this.#fd);
      throw error;
    }
  }

  /**
   * `length` bytes from `position`, fewer at the end of the file. A view into the window: valid until the
   * next call.
   */
  bytesAt(position: number, length: number): Buffer {
    const windowEnd = this.#start + this.#length;
    if (position < this.#start || position + length > windowEnd) {
      const sequential = position >= this.#start && position <= windowEnd + SEQUENTIAL_GAP;
      const size = sequential ? Math.max(length, READ_WINDOW) : length;
      if (this.#window.byteLength < size) this.#window = Buffer.allocUnsafe(size);
      this.#start = position;
      this.#length = readFully(this.#fd, this.#window.subarray(0, size), position);
    }
    const offset = position - this.#start;
    return this.#window.subarray(offset, Math.min(offset + length, this.#length));
  }

  /**
   * The members the central directory lists, in its order. Every count, size and offset it gives is
   * checked against the file before it is used, so a damaged or lying directory is refused as corrupt
   * instead of read past its end.
   */
  members(): ZipMember[] {
    const { entries, offset, size } = this.#endOfDirectory();
    if (offset + size > this.#size || entries * DIRECTORY_ENTRY_SIZE > size) {
      throw corrupt('the central directory lies outside the file');
    }
    const directory = Buffer.from(this.bytesAt(offset, size));
    const members: ZipMember[] = [];
    let at = 0;
    for (let index = 0; index < entries; index += 1) {
      if (at + DIRECTORY_ENTRY_SIZE > size || directory.readUInt32LE(at) !== DIRECTORY_ENTRY) {
        throw corrupt(`central directory entry ${index + 1} is damaged`);
      }
      const nameLength = directory.readUInt16LE(at + 28);
      const extraLength = directory.readUInt16LE(at + 30);
      const commentLength = directory.readUInt16LE(at + 32);
      const nameStart = at + DIRECTORY_ENTRY_SIZE;
      const next = nameStart + nameLength + extraLength + commentLength;
      if (next > size) throw corrupt(`central directory entry ${index + 1} is cut off`);
      const member: ZipMember = {
        path: directory.toString('utf8', nameStart, nameStart + nameLength),
        versionMadeBy: directory.readUInt16LE(at + 4),
        flags: directory.readUInt16LE(at + 8),
        compressionMethod: directory.readUInt16LE(at + 10),
        crc32: directory.readUInt32LE(at + 16),
        compressedSize: directory.readUInt32LE(at + 20),
        uncompressedSize: directory.readUInt32LE(at + 24),
        externalFileAttributes: directory.readUInt32LE(at + 38),
        offsetToLocalFileHeader: directory.readUInt32LE(at + 42),
      };
      const extra = directory.subarray(nameStart + nameLength, nameStart + nameLength + extraLength);
      members.push(withZip64Sizes(member, extra));
      at = next;
    }
    return members;
  }

  close(): void {
    closeSync(this.#fd);
  }

  /** The end of central directory record (zip64's when the classic one overflows), found from the end. */
  #endOfDirectory(): { entries: number; offset: number; size: number } {
    const tailLength = Math.min(this.#size, END_OF_DIRECTORY_SIZE + MAX_COMMENT);
    const tailStart = this.#size - tailLength;
    const tail = Buffer.from(this.bytesAt(tailStart, tailLength));
    // The last signature whose comment ends within the file: the comment itself may hold the signature.
    let at = tail.length - END_OF_DIRECTORY_SIZE;
    for (; at >= 0; at -= 1) {
      if (tail.readUInt32LE(at) !== END_OF_DIRECTORY) continue;
      if (at + END_OF_DIRECTORY_SIZE + tail.readUInt16LE(at + 20) <= tail.length) break;
    }
    if (at < 0) throw corrupt('no end of central directory record');
    const entries = tail.readUInt16LE(at + 10);
    const size = tail.readUInt32LE(at + 12);
    const offset = tail.readUInt32LE(at + 16);
    if (entries !== 0xffff && size !== 0xffffffff && offset !== 0xffffffff) return { entries, offset, size };
    const locatorAt = tailStart + at - ZIP64_LOCATOR_SIZE;
    const locator = locatorAt >= 0 ? this.bytesAt(locatorAt, ZIP64_LOCATOR_SIZE) : Buffer.alloc(0);
    if (locator.length < ZIP64_LOCATOR_SIZE || locator.readUInt32LE(0) !== ZIP64_LOCATOR) {
      throw corrupt('no zip64 end of central directory locator');
    }
    const recordAt = safeNumber(locator.readBigUInt64LE(8));
    const record = this.bytesAt(recordAt, ZIP64_END_OF_DIRECTORY_SIZE);
    if (record.length < ZIP64_END_OF_DIRECTORY_SIZE || record.readUInt32LE(0) !== ZIP64_END_OF_DIRECTORY) {
      throw corrupt('no zip64 end of central directory record');
    }
    return {
      entries: safeNumber(record.readBigUInt64LE(32)),
      size: safeNumber(record.readBigUInt64LE(40)),
      offset: safeNumber(record.readBigUInt64LE(48)),
    };
  }
}

/** A zip64 extra field holds, in this order, each of the three values its classic field says overflowed. */
function withZip64Sizes(member: ZipMember, extra: Buffer): ZipMember {
  const overflowed = (['uncompressedSize', 'compressedSize', 'offsetToLocalFileHeader'] as const).filter(
    (field) => member[field] === 0xffffffff,
  );
  if (overflowed.length === 0) return member;
  for (let at = 0; at + 4 <= extra.length; ) {
    const id = extra.readUInt16LE(at);
    const length = extra.readUInt16LE(at + 2);
    if (id === ZIP64_EXTRA && at + 4 + length <= extra.length && length >= overflowed.length * 8) {
      overflowed.forEach((field, index) => {
        member[field] = safeNumber(extra.readBigUInt64LE(at + 4 + index * 8));
      });
      return member;
    }
    at += 4 + length;
  }
  throw corrupt(`${JSON.stringify(member.path)} has sizes over 4 GiB but no zip64 field for them`);
}

function safeNumber(value: bigint): number {
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw corrupt(`a size or offset of ${value} bytes`);
  return Number(value);
}

function corrupt(reason: string): ArchiveError {
  return new ArchiveError(`The zip file is corrupt (${reason})`);
}

/** Fills `buffer` from `position`, short only at the end of the file. */
function readFully(fd: number, buffer: Buffer, position: number): number {
  let filled = 0;
  while (filled < buffer.byteLength) {
    const bytesRead = readSync(fd, buffer, filled, buffer.byteLength - filled, position + filled);
    if (bytesRead === 0) break;
    filled += bytesRead;
  }
  return filled;
}
