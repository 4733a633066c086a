import { crypto } from '../lazy-crypto.js';
import { ByteView, type Endian, FormatError, latin1 } from './bytes.js';
import type { ExecutableImage } from './go.js';

/**
 * Mach-O images (32/64-bit, either byte order) and fat/universal files (Apple's <mach-o/loader.h> and
 * <mach-o/fat.h>): CPU, file type, linked dylibs, the deployment target, segments and sections, and the
 * symbol table's shape.
 */

const LC_SEGMENT = 0x1;
const LC_SYMTAB = 0x2;
const LC_DYSYMTAB = 0xb;
const LC_LOAD_DYLIB = 0xc;
const LC_LOAD_DYLINKER = 0xe;
const LC_SEGMENT_64 = 0x19;
const LC_LAZY_LOAD_DYLIB = 0x20;
const LC_VERSION_MIN_MACOSX = 0x24;
const LC_VERSION_MIN_IPHONEOS = 0x25;
const LC_VERSION_MIN_TVOS = 0x2f;
const LC_VERSION_MIN_WATCHOS = 0x30;
const LC_BUILD_VERSION = 0x32;
/** CPU_TYPE_ARM64 (<mach/machine.h>): the CPU whose programs macOS refuses to start unsigned. */
export const CPU_TYPE_ARM64 = 0x0100000c;
const LC_CODE_SIGNATURE = 0x1d;
const LC_DYLD_INFO = 0x22;
/** Bitwise OR makes a signed 32-bit number: each command below is taken back to unsigned, as u32 reads it. */
const LC_REQ_DYLD = 0x80000000;
const LC_MAIN = (0x28 | LC_REQ_DYLD) >>> 0;
const LC_LOAD_WEAK_DYLIB = (0x18 | LC_REQ_DYLD) >>> 0;
const LC_REEXPORT_DYLIB = (0x1f | LC_REQ_DYLD) >>> 0;
const LC_LOAD_UPWARD_DYLIB = (0x23 | LC_REQ_DYLD) >>> 0;
const LC_DYLD_INFO_ONLY = (LC_DYLD_INFO | LC_REQ_DYLD) >>> 0;
const LC_DYLD_CHAINED_FIXUPS = (0x34 | LC_REQ_DYLD) >>> 0;
const DYLIB_COMMANDS = new Set([
  LC_LOAD_DYLIB,
  LC_LOAD_WEAK_DYLIB,
  LC_REEXPORT_DYLIB,
  LC_LAZY_LOAD_DYLIB,
  LC_LOAD_UPWARD_DYLIB,
]);
const VERSION_MIN_PLATFORMS: Record<number, number> = {
  [LC_VERSION_MIN_MACOSX]: 1,
  [LC_VERSION_MIN_IPHONEOS]: 2,
  [LC_VERSION_MIN_TVOS]: 3,
  [LC_VERSION_MIN_WATCHOS]: 4,
};
const MAX_COMMANDS = 1 << 16;
/** <mach-o/fat.h> has no count limit; `file` treats more than 20 as a Java class file (same magic). */
const MAX_FAT_ARCHES = 20;

export interface MachoSegment {
  name: string;
  addr: number;
  memsz: number;
  fileoff: number;
  filesz: number;
  maxprot: number;
  initprot: number;
}

export interface MachoSection {
  name: string;
  segment: string;
  addr: number;
  size: number;
  offset: number;
}

export interface MachoInfo {
  bits: 32 | 64;
  endian: Endian;
  cputype: number;
  cpusubtype: number;
  filetype: number;
  segments: MachoSegment[];
  sections: MachoSection[];
  dylibs: string[];
  dylinker: string | null;
  /** LC_BUILD_VERSION platform (1 macOS, 2 iOS, ...) and minimum OS version, or null if neither it nor LC_VERSION_MIN_* is present. */
  platform: number | null;
  minOs: string | null;
  symbolCount: number;
  /** LC_DYSYMTAB's local symbols (null without LC_DYSYMTAB): `strip` and Go's `-s` remove exactly these. */
  localSymbolCount: number | null;
  /** Whether the entry point is given as LC_MAIN (dyld-started executables; Go's amd64 linker writes LC_UNIXTHREAD). */
  hasMain: boolean;
  /** Where LC_CODE_SIGNATURE puts the signature blob (arm64 macOS runs only signed code), or null. */
  codeSignature: { offset: number; size: number } | null;
  /**
   * Where the dynamic loader's binding information lies: LC_DYLD_INFO(_ONLY)'s bind, weak-bind and
   * lazy-bind opcode streams (Go's linker and zig's write these), and LC_DYLD_CHAINED_FIXUPS (Apple's ld
   * for macOS 12 and later). Null when the command is absent.
   */
  dyldInfo: { bind: FileRange; weakBind: FileRange; lazyBind: FileRange } | null;
  chainedFixups: FileRange | null;
}

export interface FileRange {
  offset: number;
  size: number;
}

export interface FatArch {
  cputype: number;
  cpusubtype: number;
  offset: number;
  size: number;
}

export function isMacho(bytes: Uint8Array): boolean {
  return machoEndian(bytes) !== null;
}

function machoEndian(bytes: Uint8Array): { endian: Endian; bits: 32 | 64 } | null {
  const [a, b, c, d] = bytes;
  if (a === 0xfe && b === 0xed && c === 0xfa && (d === 0xce || d === 0xcf))
    return { endian: 'big', bits: d === 0xcf ? 64 : 32 };
  if ((a === 0xce || a === 0xcf) && b === 0xfa && c === 0xed && d === 0xfe)
    return { endian: 'little', bits: a === 0xcf ? 64 : 32 };
  return null;
}

/** Fat (universal) file magic; 0xcafebabf is the 64-bit-offset variant. Java class files share 0xcafebabe. */
export function isFat(bytes: Uint8Array): boolean {
  if (bytes.length < 8 || bytes[0] !== 0xca || bytes[1] !== 0xfe || bytes[2] !== 0xba) return false;
  if (bytes[3] !== 0xbe && bytes[3] !== 0xbf) return false;
  const count = new ByteView(bytes, 'big').u32(4);
  return count > 0 && count <= MAX_FAT_ARCHES;
}

export function readFatArches(bytes: Uint8Array): FatArch[] {
  const file = new ByteView(bytes, 'big');
  const wide = bytes[3] === 0xbf;
  const count = file.u32(4, 'fat header');
  const size = wide ? 32 : 20;
  file.check(8, count * size, 'fat architecture table');
  return Array.from({ length: count }, (_, index) => {
    const at = 8 + index * size;
    const arch = {
      cputype: file.u32(at, 'fat architecture'),
      cpusubtype: file.u32(at + 4, 'fat architecture'),
      offset: wide ? file.u64(at + 8, 'fat architecture') : file.u32(at + 8, 'fat architecture'),
      size: wide ? file.u64(at + 16, 'fat architecture') : file.u32(at + 12, 'fat architecture'),
    };
    file.check(arch.offset, arch.size, 'fat architecture slice');
    return arch;
  });
}

export function readMacho(bytes: Uint8Array): MachoInfo {
  const kind = machoEndian(bytes);
  if (kind === null) throw new FormatError('not a Mach-O image');
  const file = new ByteView(bytes, kind.endian);
  const headerSize = kind.bits === 64 ? 32 : 28;
  file.check(0, headerSize, 'Mach-O header');
  const commandCount = file.u32(16);
  const commandsSize = file.u32(20);
  if (commandCount > MAX_COMMANDS)
    throw new FormatError(`Mach-O load command count ${commandCount} is impossible`);
  file.check(headerSize, commandsSize, 'Mach-O load commands');
  const info: MachoInfo = {
    bits: kind.bits,
    endian: kind.endian,
    cputype: file.u32(4),
    cpusubtype: file.u32(8),
    filetype: file.u32(12),
    segments: [],
    sections: [],
    dylibs: [],
    dylinker: null,
    platform: null,
    minOs: null,
    symbolCount: 0,
    localSymbolCount: null,
    hasMain: false,
    codeSignature: null,
    dyldInfo: null,
    chainedFixups: null,
  };
  const end = headerSize + commandsSize;
  let at = headerSize;
  for (let index = 0; index < commandCount; index++) {
    const command = file.u32(at, 'Mach-O load command');
    const size = file.u32(at + 4, 'Mach-O load command');
    if (size < 8 || at + size > end) throw new FormatError('Mach-O load command has an impossible size');
    readCommand(file, info, command, at, size);
    at += size;
  }
  return info;
}

function readCommand(file: ByteView, info: MachoInfo, command: number, at: number, size: number): void {
  const what = 'Mach-O load command';
  const string = () => file.cstring(at + file.u32(at + 8, what), at + size, 'Mach-O load command string');
  const range = (field: number): FileRange => ({
    offset: file.u32(field, what),
    size: file.u32(field + 4, what),
  });
  if (command === LC_SEGMENT || command === LC_SEGMENT_64)
    readSegment(file, info, command === LC_SEGMENT_64, at);
  else if (DYLIB_COMMANDS.has(command)) info.dylibs.push(string());
  else if (command === LC_LOAD_DYLINKER) info.dylinker = string();
  else if (command === LC_SYMTAB) info.symbolCount = file.u32(at + 12, what);
  else if (command === LC_DYSYMTAB) info.localSymbolCount = file.u32(at + 12, what);
  else if (command === LC_MAIN) info.hasMain = true;
  else if (command === LC_CODE_SIGNATURE) info.codeSignature = range(at + 8);
  else if (command === LC_DYLD_CHAINED_FIXUPS) info.chainedFixups = range(at + 8);
  else if (command === LC_DYLD_INFO || command === LC_DYLD_INFO_ONLY) {
    // rebase, bind, weak bind, lazy bind, export: an offset and a size each.
    info.dyldInfo = { bind: range(at + 16), weakBind: range(at + 24), lazyBind: range(at + 32) };
  } else if (command === LC_BUILD_VERSION) {
    info.platform = file.u32(at + 8, what);
    info.minOs = packedVersion(file.u32(at + 12, what));
  } else if (VERSION_MIN_PLATFORMS[command] !== undefined) {
    info.platform = VERSION_MIN_PLATFORMS[command];
    info.minOs = packedVersion(file.u32(at + 8, what));
  }
}

function readSegment(file: ByteView, info: MachoInfo, wide: boolean, at: number): void {
  const what = 'Mach-O segment';
  const bits = wide ? 64 : 32;
  const word = wide ? 8 : 4;
  const name = fixedName(file, at + 8);
  const fields = at + 24;
  info.segments.push({
    name,
    addr: file.word(fields, bits, what),
    memsz: file.word(fields + word, bits, what),
    fileoff: file.word(fields + 2 * word, bits, what),
    filesz: file.word(fields + 3 * word, bits, what),
    maxprot: file.u32(fields + 4 * word, what),
    initprot: file.u32(fields + 4 * word + 4, what),
  });
  const sectionCount = file.u32(fields + 4 * word + 8, what);
  const first = fields + 4 * word + 16;
  const sectionSize = wide ? 80 : 68;
  file.check(first, sectionCount * sectionSize, 'Mach-O sections');
  for (let index = 0; index < sectionCount; index++) {
    const section = first + index * sectionSize;
    info.sections.push({
      name: fixedName(file, section),
      segment: fixedName(file, section + 16),
      addr: file.word(section + 32, bits, 'Mach-O section'),
      size: file.word(section + 32 + word, bits, 'Mach-O section'),
      offset: file.u32(section + 32 + 2 * word, 'Mach-O section'),
    });
  }
}

function fixedName(file: ByteView, at: number): string {
  return latin1(file.slice(at, 16, 'Mach-O name')).replace(/\0.*$/s, '');
}

/** `xxxx.yy.zz` packed in nibbles: 0x000b0000 is 11.0. */
function packedVersion(value: number): string {
  const patch = value & 0xff;
  const version = `${value >>> 16}.${(value >>> 8) & 0xff}`;
  return patch === 0 ? version : `${version}.${patch}`;
}

/**
 * Go's view of a Mach-O file for its build info (debug/buildinfo machoExe): the `__go_buildinfo`
 * section, else the first read-write segment.
 */
export function machoImage(bytes: Uint8Array, info: MachoInfo): ExecutableImage {
  const READ_WRITE = 3;
  return {
    buildInfoRegion() {
      const section = info.sections.find((candidate) => candidate.name === '__go_buildinfo');
      if (section !== undefined) return { addr: section.addr, size: section.size };
      const segment = info.segments.find(
        (candidate) =>
          candidate.addr !== 0 &&
          candidate.filesz !== 0 &&
          candidate.initprot === READ_WRITE &&
          candidate.maxprot === READ_WRITE,
      );
      return segment === undefined ? null : { addr: segment.addr, size: segment.memsz };
    },
    read(addr, size) {
      for (const segment of info.segments) {
        if (segment.name === '__PAGEZERO' || segment.filesz === 0) continue;
        if (addr >= segment.addr && addr <= segment.addr + segment.filesz - 1) {
          const start = segment.fileoff + (addr - segment.addr);
          const end = Math.min(segment.fileoff + segment.filesz, start + size, bytes.length);
          return start < end ? bytes.subarray(start, end) : null;
        }
      }
      return null;
    },
  };
}

/** The start of `__text`, where Go's linker writes the build ID. */
export function machoTextStart(bytes: Uint8Array, info: MachoInfo, size: number): Uint8Array {
  const text = info.sections.find((section) => section.name === '__text');
  if (text === undefined || text.offset >= bytes.length) return new Uint8Array(0);
  return bytes.subarray(text.offset, Math.min(text.offset + Math.min(text.size, size), bytes.length));
}

const CSMAGIC_EMBEDDED_SIGNATURE = 0xfade0cc0;
const CSMAGIC_CODEDIRECTORY = 0xfade0c02;
const CS_HASHTYPE_SHA256 = 2;
const CS_ADHOC = 0x2;
const MAX_SIGNATURE_BLOBS = 64;
const MIN_PAGE_SHIFT = 9;
const MAX_PAGE_SHIFT = 24;

export interface CodeSignature {
  /** Signed without a certificate (`codesign -s -`, what Go's and zig's linkers write for arm64). */
  adhoc: boolean;
  /**
   * A SHA-256 CodeDirectory hashes every page of the image up to its code limit correctly: what the
   * kernel checks before an arm64 macOS program may run, and all an ad-hoc signature is. A certificate's
   * CMS signature, when there is one, is not checked.
   */
  valid: boolean;
}

/**
 * The image's code signature (the blobs are big-endian whatever the image), or null without
 * LC_CODE_SIGNATURE. A malformed signature is `valid: false`, not an error: the kernel refuses it too.
 */
export function readCodeSignature(bytes: Uint8Array, info: MachoInfo): CodeSignature | null {
  if (info.codeSignature === null) return null;
  let adhoc = false;
  try {
    const blob = new ByteView(bytes, 'big');
    const base = info.codeSignature.offset;
    if (blob.u32(base, 'code signature') !== CSMAGIC_EMBEDDED_SIGNATURE) return { adhoc, valid: false };
    const count = blob.u32(base + 8, 'code signature');
    for (let index = 0; index < count && index < MAX_SIGNATURE_BLOBS; index++) {
      const at = base + blob.u32(base + 12 + index * 8 + 4, 'code signature');
      if (blob.u32(at, 'code directory') !== CSMAGIC_CODEDIRECTORY) continue;
      adhoc = (blob.u32(at + 12, 'code directory') & CS_ADHOC) !== 0;
      const [hashSize, hashType, , pageShift] = blob.slice(at + 36, 4, 'code directory');
      // Apple's signatures may carry a SHA-1 directory first and the SHA-256 one as an alternate.
      if (hashType !== CS_HASHTYPE_SHA256 || hashSize !== 32) continue;
      return { adhoc, valid: pageHashesMatch(bytes, blob, at, pageShift!) };
    }
    return { adhoc, valid: false };
  } catch (error) {
    if (error instanceof FormatError) return { adhoc, valid: false };
    throw error;
  }
}

function pageHashesMatch(bytes: Uint8Array, blob: ByteView, at: number, pageShift: number): boolean {
  const hashOffset = blob.u32(at + 16, 'code directory');
  const codeSlots = blob.u32(at + 28, 'code directory');
  const codeLimit = blob.u32(at + 32, 'code directory');
  // 0 hashes the code as one page; real signatures use 4 KiB (12) or 16 KiB (14). A crafted tiny page
  // would make a hash per byte.
  if (pageShift !== 0 && (pageShift < MIN_PAGE_SHIFT || pageShift > MAX_PAGE_SHIFT)) return false;
  const pageSize = pageShift === 0 ? Math.max(codeLimit, 1) : 2 ** pageShift;
  if (codeSlots !== Math.ceil(codeLimit / pageSize) || codeLimit > bytes.length) return false;
  for (let slot = 0; slot < codeSlots; slot++) {
    const page = bytes.subarray(slot * pageSize, Math.min((slot + 1) * pageSize, codeLimit));
    const expected = blob.slice(at + hashOffset + slot * 32, 32, 'code directory hash');
    const actual = crypto().createHash('sha256').update(page).digest();
    if (!actual.equals(expected)) return false;
  }
  return true;
}

/** Whether the image carries a code signature whose page hashes hold (see CodeSignature.valid). */
export function codeSignatureMatches(bytes: Uint8Array, info: MachoInfo): boolean {
  return readCodeSignature(bytes, info)?.valid ?? false;
}
