import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { UsageError, XccError } from '../errors.js';
import { writeFileAtomic } from '../fs-atomic.js';
import { FormatError } from './bytes.js';
import { machoCpuName } from './facts.js';
import { CPU_TYPE_ARM64, isFat, isMacho, type MachoInfo, readMacho } from './macho.js';

/**
 * Universal (fat) Mach-O files, as Apple's `lipo -create` makes them (<mach-o/fat.h>): a big-endian
 * header with one entry per architecture, then each thin image copied byte for byte at an offset aligned
 * to its own segment alignment. Nothing inside a slice changes, so an arm64 slice's code signature, which
 * hashes the image's own bytes, stays valid.
 */

export interface UniversalInput {
  /** For messages: the file the bytes were read from. */
  name: string;
  bytes: Uint8Array;
}

export interface UniversalSlice {
  /** Apple's name for the architecture: `x86_64`, `arm64`. */
  arch: string;
  cputype: number;
  cpusubtype: number;
  offset: number;
  size: number;
  /** The offset's alignment as a power of two (12 is 4096 bytes). */
  align: number;
}

export interface Universal {
  bytes: Uint8Array;
  slices: UniversalSlice[];
}

const FAT_MAGIC = 0xcafebabe;
const FAT_HEADER_SIZE = 8;
const FAT_ARCH_SIZE = 20;
/** The largest segment alignment lipo records, as a power of two (<mach-o/loader.h> MAXSECTALIGN). */
const MAX_ALIGN = 15;
const MH_OBJECT = 1;
/** The high byte of cpusubtype holds capability bits (x86_64's LIB64), not the architecture. */
const CPU_SUBTYPE_MASK = 0xff000000;
/** fat_arch offsets and sizes are 32 bits; bigger files need the 64-bit header, which xcc does not write. */
const MAX_FAT_SIZE = 2 ** 32;

/** Merges thin images of different architectures into one universal file; bad input is a UsageError. */
export function createUniversal(inputs: readonly UniversalInput[]): Universal {
  if (inputs.length < 2) {
    throw new UsageError(
      'lipo merges two or more thin Mach-O files of different architectures (darwin/amd64 and darwin/arm64 builds)',
    );
  }
  const images = inputs.map(thinImage);
  checkCompatible(images);
  // Apple's lipo and llvm-lipo both order slices by alignment and put arm64 last.
  const ordered = [...images].sort(
    (a, b) =>
      Number(a.info.cputype === CPU_TYPE_ARM64) - Number(b.info.cputype === CPU_TYPE_ARM64) ||
      a.align - b.align,
  );
  const slices: UniversalSlice[] = [];
  let end = FAT_HEADER_SIZE + FAT_ARCH_SIZE * ordered.length;
  for (const image of ordered) {
    const offset = roundUp(end, 2 ** image.align);
    slices.push({
      arch: machoCpuName(image.info.cputype),
      cputype: image.info.cputype,
      cpusubtype: image.info.cpusubtype,
      offset,
      size: image.bytes.length,
      align: image.align,
    });
    end = offset + image.bytes.length;
  }
  if (end > MAX_FAT_SIZE) {
    throw new UsageError(
      `the universal file would be ${end} bytes, more than the 4 GiB a 32-bit fat header can address`,
    );
  }
  const bytes = new Uint8Array(end);
  const header = new DataView(bytes.buffer);
  header.setUint32(0, FAT_MAGIC);
  header.setUint32(4, slices.length);
  slices.forEach((slice, index) => {
    const entry = FAT_HEADER_SIZE + index * FAT_ARCH_SIZE;
    header.setUint32(entry, slice.cputype);
    header.setUint32(entry + 4, slice.cpusubtype);
    header.setUint32(entry + 8, slice.offset);
    header.setUint32(entry + 12, slice.size);
    header.setUint32(entry + 16, slice.align);
    bytes.set(ordered[index]!.bytes, slice.offset);
  });
  return { bytes, slices };
}

interface ThinImage {
  name: string;
  bytes: Uint8Array;
  info: MachoInfo;
  align: number;
}

function thinImage({ name, bytes }: UniversalInput): ThinImage {
  if (isFat(bytes)) {
    throw new UsageError(`${name} is already a universal file; give thin Mach-O files, one per architecture`);
  }
  if (!isMacho(bytes)) {
    throw new UsageError(
      `${name} is not a Mach-O file; give darwin builds (GOOS=darwin), one per architecture`,
    );
  }
  let info: MachoInfo;
  try {
    info = readMacho(bytes);
  } catch (error) {
    if (error instanceof FormatError) throw new UsageError(`${name}: ${error.message}`, { cause: error });
    throw error;
  }
  if (info.filetype === MH_OBJECT) {
    throw new UsageError(`${name} is an object file (.o); lipo merges linked programs and libraries`);
  }
  return { name, bytes, info, align: sliceAlignment(info) };
}

/** The page size of each CPU as a power of two: a slice must start on a page of its own machine. */
const CPU_PAGE_ALIGN: Record<number, number> = {
  7: 12, // i386
  [7 | 0x01000000]: 12, // x86_64
  18: 12, // ppc
  [18 | 0x01000000]: 12, // ppc64
  12: 14, // arm
  [12 | 0x01000000]: 14, // arm64
  [12 | 0x02000000]: 14, // arm64_32
};

/**
 * Where a slice starts: on a page of its CPU, as llvm-lipo aligns (2^12 for x86_64, 2^14 for arm64).
 * For other CPUs, the alignment the linker gave the segments, which the file does not record: the
 * largest power of two that divides every segment's address, kept between a word and MAX_ALIGN (what
 * Apple's cctools guesses for every CPU; for zig's x86_64 builds that guess can be 2^13).
 */
function sliceAlignment(info: MachoInfo): number {
  const page = CPU_PAGE_ALIGN[info.cputype];
  if (page !== undefined) return page;
  let align = MAX_ALIGN;
  for (const segment of info.segments) {
    if (segment.addr === 0) continue;
    align = Math.min(align, trailingZeros(segment.addr));
  }
  return Math.max(info.bits === 64 ? 3 : 2, align);
}

function trailingZeros(value: number): number {
  let zeros = 0;
  while (value % 2 === 0 && zeros < MAX_ALIGN) {
    value /= 2;
    zeros++;
  }
  return zeros;
}

function roundUp(value: number, alignment: number): number {
  return Math.ceil(value / alignment) * alignment;
}

/** One slice per architecture, all of one kind (a program and a library do not make one file). */
function checkCompatible(images: readonly ThinImage[]): void {
  const seen = new Map<string, ThinImage>();
  for (const image of images) {
    const key = `${image.info.cputype}/${(image.info.cpusubtype & ~CPU_SUBTYPE_MASK) >>> 0}`;
    const other = seen.get(key);
    if (other !== undefined) {
      throw new UsageError(
        `${other.name} and ${image.name} are both ${machoCpuName(image.info.cputype)}; give one file per architecture`,
      );
    }
    seen.set(key, image);
    if (image.info.filetype !== images[0]!.info.filetype) {
      throw new UsageError(
        `${images[0]!.name} and ${image.name} are different kinds of Mach-O file (Mach-O filetype ${images[0]!.info.filetype} and ${image.info.filetype}); merge builds of the same program`,
      );
    }
  }
}

export interface LipoOptions {
  /** Thin Mach-O files, one per architecture. */
  inputs: readonly string[];
  /** The universal file to write; replaced atomically, with mode 0755. */
  output: string;
}

/**
 * `lipo -create -output OUTPUT INPUT...`: reads the thin files, writes the universal one (temp file and
 * rename, so a reader never sees half of it) and returns its slices. Input the caller must fix is a
 * UsageError; a file that cannot be read or written is an XccError.
 */
export async function lipo({ inputs, output }: LipoOptions): Promise<UniversalSlice[]> {
  for (const input of inputs) {
    if (await sameFile(input, output)) {
      throw new UsageError(`the output ${output} is also an input; write the universal file to another path`);
    }
  }
  // One after the other: the first bad input is the one reported, whatever the disk's timing.
  const read: UniversalInput[] = [];
  for (const name of inputs) read.push({ name, bytes: await readInput(name) });
  const universal = createUniversal(read);
  try {
    await writeFileAtomic(output, universal.bytes, { mode: 0o755 });
  } catch (error) {
    throw new XccError(`cannot write ${output}: ${(error as Error).message}`, { cause: error });
  }
  return universal.slices;
}

async function sameFile(a: string, b: string): Promise<boolean> {
  if (path.resolve(a) === path.resolve(b)) return true;
  const [left, right] = await Promise.all([stat(a).catch(() => null), stat(b).catch(() => null)]);
  return left !== null && right !== null && left.dev === right.dev && left.ino === right.ino;
}

async function readInput(name: string): Promise<Uint8Array> {
  try {
    const info = await stat(name);
    if (info.isDirectory()) throw new UsageError(`${name} is a directory; give thin Mach-O files`);
    if (info.size >= MAX_FAT_SIZE)
      throw new UsageError(`${name} is larger than a universal file can hold (4 GiB)`);
    return await readFile(name);
  } catch (error) {
    if (error instanceof XccError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new UsageError(`${name} does not exist`, { cause: error });
    throw new XccError(`cannot read ${name}: ${(error as Error).message}`, { cause: error });
  }
}
