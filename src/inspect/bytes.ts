/**
 * Bounds-checked reads over a file's bytes. Every parser in this directory reads through a `ByteView`
 * so that a truncated or garbage file ends in a `FormatError` (one line: what is missing where), never in
 * a RangeError, an endless loop or a huge allocation.
 */
export class FormatError extends Error {
  override name = 'FormatError';
}

export type Endian = 'little' | 'big';

const MAX_STRING = 4096;

export class ByteView {
  readonly bytes: Uint8Array;
  readonly endian: Endian;
  private readonly view: DataView;

  constructor(bytes: Uint8Array, endian: Endian = 'little') {
    this.bytes = bytes;
    this.endian = endian;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  get length(): number {
    return this.bytes.length;
  }

  /** Throws unless `[offset, offset + size)` lies inside the bytes; `what` names the structure for the message. */
  check(offset: number, size: number, what: string): void {
    if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(size) || offset < 0 || size < 0) {
      throw new FormatError(`${what} has an impossible offset or size`);
    }
    if (offset + size > this.bytes.length) {
      throw new FormatError(`${what} lies past the end of the file (truncated?)`);
    }
  }

  u8(offset: number, what = 'data'): number {
    this.check(offset, 1, what);
    return this.view.getUint8(offset);
  }

  u16(offset: number, what = 'data'): number {
    this.check(offset, 2, what);
    return this.view.getUint16(offset, this.endian === 'little');
  }

  u32(offset: number, what = 'data'): number {
    this.check(offset, 4, what);
    return this.view.getUint32(offset, this.endian === 'little');
  }

  /** 64-bit values as numbers: file offsets, sizes and addresses of real binaries stay far below 2^53. */
  u64(offset: number, what = 'data'): number {
    this.check(offset, 8, what);
    const value = this.view.getBigUint64(offset, this.endian === 'little');
    if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw new FormatError(`${what} holds an impossible value`);
    return Number(value);
  }

  /** A word of the file's class: 4 bytes for 32-bit formats, 8 for 64-bit ones. */
  word(offset: number, bits: 32 | 64, what = 'data'): number {
    return bits === 64 ? this.u64(offset, what) : this.u32(offset, what);
  }

  slice(offset: number, size: number, what = 'data'): Uint8Array {
    this.check(offset, size, what);
    return this.bytes.subarray(offset, offset + size);
  }

  /**
   * A NUL-terminated string starting at `offset` and ending before `limit` (the end of its table). Longer
   * than MAX_STRING it is cut: real names are far shorter, and a crafted file must not make every lookup
   * scan megabytes.
   */
  cstring(offset: number, limit: number = this.bytes.length, what = 'string'): string {
    const end = Math.min(limit, this.bytes.length, offset + MAX_STRING);
    if (!Number.isSafeInteger(offset) || offset < 0 || offset >= end) {
      throw new FormatError(`${what} lies outside its table`);
    }
    const text = this.bytes.subarray(offset, end);
    const stop = text.indexOf(0);
    return latin1(stop < 0 ? text : text.subarray(0, stop));
  }
}

/** Bytes as text, one char per byte: names in binaries are ASCII, and nothing is lost on odd bytes. */
export function latin1(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
}

export function utf8(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
}
