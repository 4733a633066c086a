import { ByteView, type Endian, FormatError, latin1 } from './bytes.js';
import type { ExecutableImage } from './go.js';

/**
 * ELF (System V ABI, gABI): just the structures a cross-compiled binary's fate depends on — header,
 * program headers (PT_INTERP, PT_DYNAMIC, PT_NOTE), the dynamic section (DT_NEEDED, DT_FLAGS_1,
 * DT_VERNEED), section names (.symtab, .debug_*, .comment, .ARM.attributes) and notes.
 */

const PT_LOAD = 1;
const PT_DYNAMIC = 2;
const PT_INTERP = 3;
const PT_NOTE = 4;
const PF_X = 1;
const PF_W = 2;

const SHT_NOTE = 7;
const SHT_NOBITS = 8;
const SHT_ARM_ATTRIBUTES = 0x70000003;

const ET_REL = 1;
const ET_EXEC = 2;
const ET_DYN = 3;
const ET_CORE = 4;

const DT_NULL = 0;
const DT_NEEDED = 1;
const DT_HASH = 4;
const DT_STRTAB = 5;
const DT_SYMTAB = 6;
const DT_STRSZ = 10;
const DT_SONAME = 14;
const DT_RPATH = 15;
const DT_RUNPATH = 29;
const DT_FLAGS_1 = 0x6ffffffb;
const DT_VERSYM = 0x6ffffff0;
const DT_VERNEED = 0x6ffffffe;
const DT_VERNEEDNUM = 0x6fffffff;
const DF_1_PIE = 0x08000000;

const EM_ARM = 40;
/** EF_ARM_EABIMASK and the float-ABI flags of EABI version 5 (ARM ELF ABI, "e_flags"). */
const EF_ARM_EABIMASK = 0xff000000;
const EF_ARM_ABI_FLOAT_SOFT = 0x200;
const EF_ARM_ABI_FLOAT_HARD = 0x400;

/** binutils include/elf/common.h: GNU_PROPERTY_X86_UINT32_OR_LO + 2; bit n set = x86-64-v(n+1) needed. */
const GNU_PROPERTY_X86_ISA_1_NEEDED = 0xc0008002;

/** Guards loops whose trip count comes from the file, so garbage cannot make one run for minutes. */
const MAX_ENTRIES = 1 << 20;
const MAX_VERSIONS = 1 << 16;

export interface ElfSegment {
  type: number;
  flags: number;
  offset: number;
  vaddr: number;
  filesz: number;
  memsz: number;
  align: number;
}

export interface ElfSection {
  name: string;
  type: number;
  flags: number;
  addr: number;
  offset: number;
  size: number;
  link: number;
  entsize: number;
}

export interface ElfNote {
  name: string;
  type: number;
  desc: Uint8Array;
}

/** One library named in DT_VERNEED with the symbol versions needed from it (e.g. libc.so.6: GLIBC_2.34). */
export interface ElfVersionNeed {
  file: string;
  versions: { name: string; index: number }[];
}

export interface ElfArmAttributes {
  /** Tag_CPU_arch: 10 = ARMv7, 6 = ARMv6, 4 = ARMv5TE... (ARM "Addenda to the ABI", section 2.4). */
  cpuArch: number | null;
  /** Tag_FP_arch: 0 = no FPU, 2 = VFPv2, 3 = VFPv3, ... */
  fpArch: number | null;
  /** Tag_ABI_VFP_args: 0 = base (soft-float) procedure call standard, 1 = VFP registers (hard-float). */
  vfpArgs: number | null;
}

export interface ElfInfo {
  bits: 32 | 64;
  endian: Endian;
  osabi: number;
  type: number;
  machine: number;
  flags: number;
  segments: ElfSegment[];
  sections: ElfSection[];
  interpreter: string | null;
  needed: string[];
  soname: string | null;
  runpath: string | null;
  isPie: boolean;
  versionNeeds: ElfVersionNeed[];
  /** Undefined dynamic symbols with the version they are bound to: `__libc_start_main` → `GLIBC_2.34`. */
  symbolVersions: { symbol: string; version: string }[];
  notes: ElfNote[];
  armAttributes: ElfArmAttributes | null;
  /** The `.comment` section: the compilers and linkers that produced the objects (`GCC: (Debian 12.2.0) 12.2.0`). */
  comment: string[];
}

export function isElf(bytes: Uint8Array): boolean {
  return bytes[0] === 0x7f && bytes[1] === 0x45 && bytes[2] === 0x4c && bytes[3] === 0x46;
}

export function readElf(bytes: Uint8Array): ElfInfo {
  const ident = new ByteView(bytes);
  ident.check(0, 16, 'ELF identification');
  const elfClass = ident.u8(4);
  const data = ident.u8(5);
  if (elfClass !== 1 && elfClass !== 2)
    throw new FormatError(`ELF class ${elfClass} is neither 32- nor 64-bit`);
  if (data !== 1 && data !== 2) throw new FormatError(`ELF data encoding ${data} is neither LSB nor MSB`);
  const bits = elfClass === 1 ? 32 : 64;
  const file = new ByteView(bytes, data === 1 ? 'little' : 'big');
  const header = readHeader(file, bits);
  const segments = readSegments(file, bits, header);
  const sections = readSections(file, bits, header);
  const dynamic = readDynamic(file, bits, segments, sections);
  return {
    bits,
    endian: file.endian,
    osabi: file.u8(7),
    type: header.type,
    machine: header.machine,
    flags: header.flags,
    segments,
    sections,
    interpreter: readInterpreter(file, segments),
    ...dynamic,
    notes: readNotes(file, segments, sections),
    armAttributes: header.machine === EM_ARM ? readArmAttributes(file, sections) : null,
    comment: readComment(file, sections),
  };
}

interface ElfHeader {
  type: number;
  machine: number;
  flags: number;
  phoff: number;
  phentsize: number;
  phnum: number;
  shoff: number;
  shentsize: number;
  shnum: number;
  shstrndx: number;
}

function readHeader(file: ByteView, bits: 32 | 64): ElfHeader {
  const what = 'ELF header';
  file.check(0, bits === 64 ? 64 : 52, what);
  const at =
    bits === 64
      ? { phoff: 32, shoff: 40, flags: 48, rest: 52 }
      : { phoff: 28, shoff: 32, flags: 36, rest: 40 };
  return {
    type: file.u16(16, what),
    machine: file.u16(18, what),
    flags: file.u32(at.flags, what),
    phoff: file.word(at.phoff, bits, what),
    shoff: file.word(at.shoff, bits, what),
    phentsize: file.u16(at.rest + 2, what),
    phnum: file.u16(at.rest + 4, what),
    shentsize: file.u16(at.rest + 6, what),
    shnum: file.u16(at.rest + 8, what),
    shstrndx: file.u16(at.rest + 10, what),
  };
}

function readSegments(file: ByteView, bits: 32 | 64, header: ElfHeader): ElfSegment[] {
  if (header.phnum === 0) return [];
  const size = bits === 64 ? 56 : 32;
  if (header.phentsize < size)
    throw new FormatError(`ELF program header size ${header.phentsize} is too small`);
  file.check(header.phoff, header.phnum * header.phentsize, 'ELF program header table');
  const segments: ElfSegment[] = [];
  for (let index = 0; index < header.phnum; index++) {
    const at = header.phoff + index * header.phentsize;
    const what = 'ELF program header';
    segments.push(
      bits === 64
        ? {
            type: file.u32(at, what),
            flags: file.u32(at + 4, what),
            offset: file.u64(at + 8, what),
            vaddr: file.u64(at + 16, what),
            filesz: file.u64(at + 32, what),
            memsz: file.u64(at + 40, what),
            align: file.u64(at + 48, what),
          }
        : {
            type: file.u32(at, what),
            offset: file.u32(at + 4, what),
            vaddr: file.u32(at + 8, what),
            filesz: file.u32(at + 16, what),
            memsz: file.u32(at + 20, what),
            flags: file.u32(at + 24, what),
            align: file.u32(at + 28, what),
          },
    );
  }
  return segments;
}

function readSections(file: ByteView, bits: 32 | 64, header: ElfHeader): ElfSection[] {
  if (header.shoff === 0) return [];
  const size = bits === 64 ? 64 : 40;
  if (header.shentsize < size)
    throw new FormatError(`ELF section header size ${header.shentsize} is too small`);
  const first = readSectionHeader(file, bits, header.shoff);
  // gABI extended numbering: more than 0xff00 sections put the real count and index into section 0.
  const count = header.shnum === 0 ? first.size : header.shnum;
  const shstrndx = header.shstrndx === 0xffff ? first.link : header.shstrndx;
  if (count > MAX_ENTRIES) throw new FormatError(`ELF section count ${count} is impossible`);
  file.check(header.shoff, count * header.shentsize, 'ELF section header table');
  const raw = Array.from({ length: count }, (_, index) =>
    readSectionHeader(file, bits, header.shoff + index * header.shentsize),
  );
  const names = raw[shstrndx];
  if (names === undefined || names.type === SHT_NOBITS)
    return raw.map((section) => ({ ...section, name: '' }));
  file.check(names.offset, names.size, 'ELF section name table');
  return raw.map((section) => ({
    ...section,
    name:
      section.nameOffset < names.size
        ? file.cstring(names.offset + section.nameOffset, names.offset + names.size)
        : '',
  }));
}

function readSectionHeader(
  file: ByteView,
  bits: 32 | 64,
  at: number,
): Omit<ElfSection, 'name'> & { nameOffset: number } {
  const what = 'ELF section header';
  return bits === 64
    ? {
        nameOffset: file.u32(at, what),
        type: file.u32(at + 4, what),
        flags: file.u64(at + 8, what),
        addr: file.u64(at + 16, what),
        offset: file.u64(at + 24, what),
        size: file.u64(at + 32, what),
        link: file.u32(at + 40, what),
        entsize: file.u64(at + 56, what),
      }
    : {
        nameOffset: file.u32(at, what),
        type: file.u32(at + 4, what),
        flags: file.u32(at + 8, what),
        addr: file.u32(at + 12, what),
        offset: file.u32(at + 16, what),
        size: file.u32(at + 20, what),
        link: file.u32(at + 24, what),
        entsize: file.u32(at + 36, what),
      };
}

function readInterpreter(file: ByteView, segments: ElfSegment[]): string | null {
  const interp = segments.find((segment) => segment.type === PT_INTERP);
  if (interp === undefined) return null;
  file.check(interp.offset, interp.filesz, 'ELF interpreter (PT_INTERP)');
  return file.cstring(interp.offset, interp.offset + interp.filesz, 'ELF interpreter (PT_INTERP)');
}

/** Maps a virtual address to a file offset through the PT_LOAD segments (null: not in the file). */
function fileOffset(segments: ElfSegment[], vaddr: number): number | null {
  for (const segment of segments) {
    if (segment.type === PT_LOAD && vaddr >= segment.vaddr && vaddr < segment.vaddr + segment.filesz) {
      return segment.offset + (vaddr - segment.vaddr);
    }
  }
  return null;
}

type DynamicFacts = Pick<
  ElfInfo,
  'needed' | 'soname' | 'runpath' | 'isPie' | 'versionNeeds' | 'symbolVersions'
>;

function readDynamic(
  file: ByteView,
  bits: 32 | 64,
  segments: ElfSegment[],
  sections: ElfSection[],
): DynamicFacts {
  const none: DynamicFacts = {
    needed: [],
    soname: null,
    runpath: null,
    isPie: false,
    versionNeeds: [],
    symbolVersions: [],
  };
  const dynamic = segments.find((segment) => segment.type === PT_DYNAMIC);
  if (dynamic === undefined) return none;
  const entries = readDynamicEntries(file, bits, dynamic);
  const value = (tag: number) => entries.find((entry) => entry.tag === tag)?.value;
  const strtab = value(DT_STRTAB);
  const strsz = value(DT_STRSZ);
  if (strtab === undefined || strsz === undefined) return { ...none, isPie: isPie(value(DT_FLAGS_1)) };
  const strtabOffset = fileOffset(segments, strtab);
  if (strtabOffset === null) throw new FormatError('ELF dynamic string table (DT_STRTAB) is not in the file');
  file.check(strtabOffset, strsz, 'ELF dynamic string table (DT_STRTAB)');
  const dynstr = (offset: number) =>
    file.cstring(strtabOffset + offset, strtabOffset + strsz, 'ELF dynamic string');
  const optional = (tag: number) => {
    const offset = value(tag);
    return offset === undefined ? null : dynstr(offset);
  };
  const versionNeeds = readVersionNeeds(file, segments, value(DT_VERNEED), value(DT_VERNEEDNUM), dynstr);
  return {
    needed: entries.filter((entry) => entry.tag === DT_NEEDED).map((entry) => dynstr(entry.value)),
    soname: optional(DT_SONAME),
    runpath: optional(DT_RUNPATH) ?? optional(DT_RPATH),
    isPie: isPie(value(DT_FLAGS_1)),
    versionNeeds,
    symbolVersions: readSymbolVersions(file, bits, segments, sections, versionNeeds, {
      symtab: value(DT_SYMTAB),
      versym: value(DT_VERSYM),
      hash: value(DT_HASH),
      dynstr,
    }),
  };
}

function isPie(flags1: number | undefined): boolean {
  return flags1 !== undefined && (flags1 & DF_1_PIE) !== 0;
}

function readDynamicEntries(
  file: ByteView,
  bits: 32 | 64,
  dynamic: ElfSegment,
): { tag: number; value: number }[] {
  const size = bits === 64 ? 16 : 8;
  file.check(dynamic.offset, dynamic.filesz, 'ELF dynamic section');
  const entries: { tag: number; value: number }[] = [];
  for (let at = dynamic.offset; at + size <= dynamic.offset + dynamic.filesz; at += size) {
    const tag = dynamicTag(file, bits, at);
    if (tag === DT_NULL) break;
    // Only tags xcc reads need a value; others (OS- or processor-specific) may hold anything.
    if (KNOWN_DYNAMIC_TAGS.has(tag))
      entries.push({ tag, value: file.word(at + size / 2, bits, 'ELF dynamic entry') });
  }
  return entries;
}

const KNOWN_DYNAMIC_TAGS = new Set([
  DT_NEEDED,
  DT_HASH,
  DT_STRTAB,
  DT_SYMTAB,
  DT_STRSZ,
  DT_SONAME,
  DT_RPATH,
  DT_RUNPATH,
  DT_FLAGS_1,
  DT_VERSYM,
  DT_VERNEED,
  DT_VERNEEDNUM,
]);

/** d_tag is a signed word; the tags xcc knows all fit in 32 bits, anything wider is "some other tag". */
function dynamicTag(file: ByteView, bits: 32 | 64, at: number): number {
  if (bits === 32) return file.u32(at, 'ELF dynamic entry');
  const low = file.u32(file.endian === 'little' ? at : at + 4, 'ELF dynamic entry');
  const high = file.u32(file.endian === 'little' ? at + 4 : at, 'ELF dynamic entry');
  return high === 0 ? low : -1;
}

function readVersionNeeds(
  file: ByteView,
  segments: ElfSegment[],
  verneed: number | undefined,
  count: number | undefined,
  dynstr: (offset: number) => string,
): ElfVersionNeed[] {
  if (verneed === undefined || count === undefined) return [];
  let at = fileOffset(segments, verneed);
  if (at === null) throw new FormatError('ELF version needs (DT_VERNEED) are not in the file');
  if (count > MAX_ENTRIES) throw new FormatError(`ELF version need count ${count} is impossible`);
  const needs: ElfVersionNeed[] = [];
  let total = 0;
  for (let index = 0; index < count; index++) {
    const what = 'ELF version need (.gnu.version_r)';
    const auxCount = file.u16(at + 2, what);
    const need: ElfVersionNeed = { file: dynstr(file.u32(at + 4, what)), versions: [] };
    let aux = at + file.u32(at + 8, what);
    for (let auxIndex = 0; auxIndex < auxCount; auxIndex++) {
      // vn_next and vna_next may loop back in a crafted file: bound the whole walk, not each list.
      if (++total > MAX_VERSIONS) throw new FormatError('ELF version needs (.gnu.version_r) never end');
      need.versions.push({ index: file.u16(aux + 6, what) & 0x7fff, name: dynstr(file.u32(aux + 8, what)) });
      const next = file.u32(aux + 12, what);
      if (next === 0) break;
      aux += next;
    }
    needs.push(need);
    const next = file.u32(at + 12, what);
    if (next === 0) break;
    at += next;
  }
  return needs;
}

interface DynamicSymbols {
  symtab: number | undefined;
  versym: number | undefined;
  hash: number | undefined;
  dynstr: (offset: number) => string;
}

/**
 * Which undefined dynamic symbol needs which version: the answer to "why glibc 2.34?". The symbol count
 * comes from the .dynsym section, else from DT_HASH; a binary with neither (section headers stripped,
 * only DT_GNU_HASH) keeps its version needs but loses this detail.
 */
function readSymbolVersions(
  file: ByteView,
  bits: 32 | 64,
  segments: ElfSegment[],
  sections: ElfSection[],
  versionNeeds: ElfVersionNeed[],
  dynamic: DynamicSymbols,
): { symbol: string; version: string }[] {
  if (dynamic.symtab === undefined || dynamic.versym === undefined || versionNeeds.length === 0) return [];
  const symtab = fileOffset(segments, dynamic.symtab);
  const versym = fileOffset(segments, dynamic.versym);
  const count = symbolCount(file, segments, sections, dynamic);
  if (symtab === null || versym === null || count === null) return [];
  if (count > MAX_ENTRIES) throw new FormatError(`ELF dynamic symbol count ${count} is impossible`);
  const names = new Map(
    versionNeeds.flatMap((need) => need.versions.map((version) => [version.index, version.name])),
  );
  const size = bits === 64 ? 24 : 16;
  const result: { symbol: string; version: string }[] = [];
  for (let index = 1; index < count; index++) {
    const at = symtab + index * size;
    const what = 'ELF dynamic symbol';
    const sectionIndex = file.u16(at + (bits === 64 ? 6 : 14), what);
    const version = names.get(file.u16(versym + index * 2, 'ELF symbol version (.gnu.version)') & 0x7fff);
    if (sectionIndex === 0 && version !== undefined)
      result.push({ symbol: dynamic.dynstr(file.u32(at, what)), version });
  }
  return result;
}

function symbolCount(
  file: ByteView,
  segments: ElfSegment[],
  sections: ElfSection[],
  dynamic: DynamicSymbols,
): number | null {
  const dynsym = sections.find((section) => section.addr === dynamic.symtab && section.entsize > 0);
  if (dynsym !== undefined) return Math.floor(dynsym.size / dynsym.entsize);
  const hash = dynamic.hash === undefined ? null : fileOffset(segments, dynamic.hash);
  return hash === null ? null : file.u32(hash + 4, 'ELF symbol hash table (DT_HASH)');
}

/** Notes from PT_NOTE segments, or from SHT_NOTE sections when there are no program headers (objects). */
function readNotes(file: ByteView, segments: ElfSegment[], sections: ElfSection[]): ElfNote[] {
  const fromSegments = segments.filter((segment) => segment.type === PT_NOTE);
  const regions =
    fromSegments.length > 0
      ? fromSegments.map((segment) => ({
          offset: segment.offset,
          size: segment.filesz,
          align: segment.align,
        }))
      : sections
          .filter((section) => section.type === SHT_NOTE)
          .map((section) => ({ offset: section.offset, size: section.size, align: 4 }));
  return regions.flatMap((region) => readNoteRegion(file, region));
}

function readNoteRegion(file: ByteView, region: { offset: number; size: number; align: number }): ElfNote[] {
  file.check(region.offset, region.size, 'ELF note');
  // Notes are 4-byte aligned, except in 8-aligned segments (.note.gnu.property on 64-bit).
  const align = region.align === 8 ? 8 : 4;
  const pad = (value: number) => Math.ceil(value / align) * align;
  const notes: ElfNote[] = [];
  const end = region.offset + region.size;
  let at = region.offset;
  while (at + 12 <= end) {
    const nameSize = file.u32(at, 'ELF note');
    const descSize = file.u32(at + 4, 'ELF note');
    const type = file.u32(at + 8, 'ELF note');
    // The descriptor starts at the next aligned offset after the 12-byte header and the name.
    const descAt = at + pad(12 + nameSize);
    if (descAt + descSize > end) break;
    const name = latin1(file.slice(at + 12, nameSize, 'ELF note name')).replace(/\0+$/, '');
    notes.push({ name, type, desc: file.slice(descAt, descSize, 'ELF note') });
    at = descAt + pad(descSize);
  }
  return notes;
}

function readComment(file: ByteView, sections: ElfSection[]): string[] {
  const comment = sections.find((section) => section.name === '.comment' && section.type !== SHT_NOBITS);
  if (comment === undefined) return [];
  const text = latin1(file.slice(comment.offset, comment.size, 'ELF .comment section'));
  return [...new Set(text.split('\0').filter((line) => line.length > 0))];
}

/** `.ARM.attributes` ("aeabi" vendor, file scope): the CPU and float ABI a C object was compiled for. */
function readArmAttributes(file: ByteView, sections: ElfSection[]): ElfArmAttributes | null {
  const section = sections.find((candidate) => candidate.type === SHT_ARM_ATTRIBUTES);
  if (section === undefined) return null;
  const view = new ByteView(file.slice(section.offset, section.size, 'ELF .ARM.attributes'), file.endian);
  if (view.length === 0 || view.u8(0) !== 0x41) return null;
  const attributes: ElfArmAttributes = { cpuArch: null, fpArch: null, vfpArgs: null };
  let at = 1;
  while (at + 4 <= view.length) {
    const length = view.u32(at, 'ARM attributes');
    if (length < 4) break;
    const end = Math.min(at + length, view.length);
    const vendor = view.cstring(at + 4, end, 'ARM attributes vendor');
    if (vendor === 'aeabi') readAeabiSubsections(view, at + 4 + vendor.length + 1, end, attributes);
    at = end;
  }
  return attributes;
}

function readAeabiSubsections(
  view: ByteView,
  start: number,
  end: number,
  attributes: ElfArmAttributes,
): void {
  let at = start;
  while (at + 5 <= end) {
    const tag = view.u8(at);
    const size = view.u32(at + 1, 'ARM attributes');
    if (size < 5) return;
    // Tag_File (1) holds the attributes of the whole file; section and symbol scopes are not needed here.
    if (tag === 1) readAeabiAttributes(view, at + 5, Math.min(at + size, end), attributes);
    at += size;
  }
}

function readAeabiAttributes(view: ByteView, start: number, end: number, attributes: ElfArmAttributes): void {
  let at = start;
  const uleb = () => {
    let result = 0;
    let shift = 0;
    for (;;) {
      const byte = view.u8(at++, 'ARM attribute');
      if (shift < 28) result |= (byte & 0x7f) << shift;
      shift += 7;
      if ((byte & 0x80) === 0) return result >>> 0;
      if (at >= end) throw new FormatError('ARM attribute value runs past its section');
    }
  };
  const ntbs = () => {
    const text = view.cstring(at, end, 'ARM attribute');
    at += text.length + 1;
  };
  while (at < end) {
    const tag = uleb();
    // Addenda to the ARM ABI, 2.2.6: tags 4, 5, 67 and odd tags above 32 are strings; 32 is a number
    // followed by a string; all others are ULEB128 numbers.
    if (tag === 4 || tag === 5 || (tag > 32 && tag % 2 === 1)) ntbs();
    else if (tag === 32) {
      uleb();
      ntbs();
    } else {
      const value = uleb();
      if (tag === 6) attributes.cpuArch = value;
      if (tag === 10) attributes.fpArch = value;
      if (tag === 28) attributes.vfpArgs = value;
    }
  }
}

/** The float ABI declared in e_flags by EABI 5 linkers; null when the flags do not say (Go's own linker). */
export function armFloatAbi(flags: number): 'hard' | 'soft' | null {
  if ((flags & EF_ARM_ABI_FLOAT_HARD) !== 0) return 'hard';
  if ((flags & EF_ARM_ABI_FLOAT_SOFT) !== 0) return 'soft';
  return null;
}

export function armEabiVersion(flags: number): number | null {
  const version = (flags & EF_ARM_EABIMASK) >>> 24;
  return version === 0 ? null : version;
}

/** GNU_PROPERTY_X86_ISA_1_NEEDED from .note.gnu.property: 1..4 for x86-64-v1..v4, null when absent. */
export function x86IsaLevel(info: ElfInfo): number | null {
  const property = info.notes.find((note) => note.name === 'GNU' && note.type === 5);
  if (property === undefined) return null;
  const view = new ByteView(property.desc, info.endian);
  const align = info.bits === 64 ? 8 : 4;
  let at = 0;
  while (at + 8 <= view.length) {
    const type = view.u32(at, 'GNU property');
    const size = view.u32(at + 4, 'GNU property');
    if (type === GNU_PROPERTY_X86_ISA_1_NEEDED && size >= 4) {
      const bits = view.u32(at + 8, 'GNU property');
      for (let level = 4; level >= 1; level--) if ((bits & (1 << (level - 1))) !== 0) return level;
      return null;
    }
    at += 8 + Math.ceil(size / align) * align;
  }
  return null;
}

export function elfKind(info: ElfInfo): 'executable' | 'shared-library' | 'object' | 'core' | 'other' {
  switch (info.type) {
    case ET_REL:
      return 'object';
    case ET_EXEC:
      return 'executable';
    case ET_DYN:
      return info.interpreter !== null || info.isPie ? 'executable' : 'shared-library';
    case ET_CORE:
      return 'core';
    default:
      return 'other';
  }
}

export function elfLinkage(info: ElfInfo): 'static' | 'static-pie' | 'dynamic' {
  if (info.interpreter !== null || info.needed.length > 0) return 'dynamic';
  return info.type === ET_DYN ? 'static-pie' : 'static';
}

export function hasSection(info: ElfInfo, test: (name: string) => boolean): boolean {
  return info.sections.some((section) => test(section.name));
}

/**
 * Go's view of an ELF file for its build info (debug/buildinfo elfExe): the `.go.buildinfo` section,
 * else the first writable, non-executable PT_LOAD segment; addresses map through any program header.
 */
export function elfImage(bytes: Uint8Array, info: ElfInfo): ExecutableImage {
  return {
    buildInfoRegion() {
      const section = info.sections.find((candidate) => candidate.name === '.go.buildinfo');
      if (section !== undefined) return { addr: section.addr, size: section.size };
      const segment = info.segments.find(
        (candidate) => candidate.type === PT_LOAD && (candidate.flags & (PF_X | PF_W)) === PF_W,
      );
      return segment === undefined ? null : { addr: segment.vaddr, size: segment.memsz };
    },
    read(addr, size) {
      for (const segment of info.segments) {
        if (segment.filesz > 0 && addr >= segment.vaddr && addr <= segment.vaddr + segment.filesz - 1) {
          const start = segment.offset + (addr - segment.vaddr);
          const end = Math.min(segment.offset + segment.filesz, start + size, bytes.length);
          return start < end ? bytes.subarray(start, end) : null;
        }
      }
      return null;
    },
  };
}
