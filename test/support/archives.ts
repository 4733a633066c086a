import { execFileSync } from 'node:child_process';
import { crc32, deflateRawSync } from 'node:zlib';

/**
 * Byte-level archive writers for tests. They write whatever they are told, including what tar/zip tools
 * refuse to produce (`../` names, absolute paths, devices, lying sizes), so the extractor meets real
 * malicious archives rather than mocks.
 */

export type TarType = 'file' | 'directory' | 'symlink' | 'hardlink' | 'char-device' | 'block-device' | 'fifo';

const TYPEFLAG: Record<TarType, string> = {
  file: '0',
  hardlink: '1',
  symlink: '2',
  'char-device': '3',
  'block-device': '4',
  directory: '5',
  fifo: '6',
};

export interface TarMember {
  name: string;
  type?: TarType;
  mode?: number;
  data?: string | Buffer;
  /** Target of a symlink or hard link. */
  linkname?: string;
}

/** A POSIX ustar archive; names or link targets longer than the header fields go in a pax header. */
export function tarArchive(members: readonly TarMember[]): Buffer {
  const blocks: Buffer[] = [];
  for (const member of members) {
    const type = member.type ?? 'file';
    const data = Buffer.from(member.data ?? '');
    const linkname = member.linkname ?? '';
    const long = Buffer.byteLength(member.name) > 100 || Buffer.byteLength(linkname) > 100;
    if (long) {
      const pax = paxRecords({ path: member.name, ...(linkname ? { linkpath: linkname } : {}) });
      blocks.push(
        tarHeader({ name: 'PaxHeader', typeflag: 'x', mode: 0o644, size: pax.length }),
        padded(pax),
      );
    }
    const mode = member.mode ?? (type === 'directory' ? 0o755 : 0o644);
    blocks.push(
      tarHeader({
        name: long ? member.name.slice(0, 100) : member.name,
        typeflag: TYPEFLAG[type],
        mode,
        size: type === 'file' ? data.length : 0,
        linkname: long ? linkname.slice(0, 100) : linkname,
      }),
    );
    if (type === 'file') blocks.push(padded(data));
  }
  blocks.push(Buffer.alloc(1024));
  return Buffer.concat(blocks);
}

/** One raw 512-byte ustar header with a correct checksum. */
export function tarHeader(fields: {
  name: string;
  typeflag: string;
  mode: number;
  size: number;
  linkname?: string;
}): Buffer {
  const header = Buffer.alloc(512);
  header.write(fields.name, 0, 100, 'utf8');
  header.write(octal(fields.mode, 8), 100);
  header.write(octal(0, 8), 108);
  header.write(octal(0, 8), 116);
  header.write(octal(fields.size, 12), 124);
  header.write(octal(1_700_000_000, 12), 136);
  header.write(fields.typeflag, 156);
  header.write(fields.linkname ?? '', 157, 100, 'utf8');
  header.write('ustar\u000000', 257);
  header.fill(' ', 148, 156);
  let sum = 0;
  for (const byte of header) sum += byte;
  header.write(`${sum.toString(8).padStart(6, '0')}\u0000 `, 148);
  return header;
}

function octal(value: number, width: number): string {
  return `${value.toString(8).padStart(width - 1, '0')}\u0000`;
}

function padded(data: Buffer): Buffer {
  const rest = data.length % 512;
  return rest === 0 ? data : Buffer.concat([data, Buffer.alloc(512 - rest)]);
}

/** Pax records `<len> <key>=<value>\n`, where the length counts itself. */
function paxRecords(records: Record<string, string>): Buffer {
  const lines = Object.entries(records).map(([key, value]) => {
    const body = ` ${key}=${value}\n`;
    let length = Buffer.byteLength(body) + 1;
    while (`${length}${body}`.length !== length) length = Buffer.byteLength(`${length}${body}`);
    return `${length}${body}`;
  });
  return Buffer.from(lines.join(''));
}

/** Compresses with the system `xz` (CI installs xz-utils), as Zig's release script does. */
export function xz(data: Buffer, preset = '-0'): Buffer {
  return execFileSync('xz', ['--compress', '--stdout', preset], { input: data, maxBuffer: 1024 ** 3 });
}

export interface ZipMember {
  name: string;
  data?: string | Buffer;
  /** Unix mode including the file type (0o100755, 0o120777, 0o40755); stored as external_attr << 16. */
  mode?: number;
  /** Made on Unix (host 3, modes valid) unless false, like a zip made on Windows (host 0). */
  unix?: boolean;
  deflate?: boolean;
  /** Lies the writer can tell, to test that the extractor does not trust the central directory. */
  declaredSize?: number;
  declaredCrc?: number;
  method?: number;
  flags?: number;
}

/** A zip file with a central directory, as Python's zipfile (wheels) and 7-Zip (Zig's zips) write them. */
export function zipArchive(members: readonly ZipMember[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const member of members) {
    const name = Buffer.from(member.name);
    const data = Buffer.from(member.data ?? '');
    const method = member.method ?? (member.deflate ? 8 : 0);
    const stored = method === 8 ? deflateRawSync(data) : data;
    const crc = member.declaredCrc ?? crc32(data);
    const size = member.declaredSize ?? data.length;
    const flags = member.flags ?? 0x800;
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(flags, 6);
    local.writeUInt16LE(method, 8);
    local.writeUInt32LE(0x00210000, 10);
    local.writeUInt32LE(crc >>> 0, 14);
    local.writeUInt32LE(stored.length, 18);
    local.writeUInt32LE(size, 22);
    local.writeUInt16LE(name.length, 26);
    locals.push(local, name, stored);

    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(((member.unix ?? true) ? 3 : 0) * 256 + 20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(flags, 8);
    central.writeUInt16LE(method, 10);
    central.writeUInt32LE(0x00210000, 12);
    central.writeUInt32LE(crc >>> 0, 16);
    central.writeUInt32LE(stored.length, 20);
    central.writeUInt32LE(size, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(((member.mode ?? 0o100644) * 65536) >>> 0, 38);
    central.writeUInt32LE(offset, 42);
    centrals.push(central, name);
    offset += local.length + name.length + stored.length;
  }
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(members.length, 8);
  end.writeUInt16LE(members.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, directory, end]);
}
