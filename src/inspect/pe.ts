import { ByteView, FormatError, latin1 } from './bytes.js';
import type { ExecutableImage } from './go.js';

/**
 * PE/COFF images (PE32 and PE32+; Microsoft "PE Format" specification): machine, subsystem, sections
 * (long names resolved through the COFF string table), the DLLs of the import directory, and whether a
 * COFF symbol table or DWARF sections remain.
 */

const PE32 = 0x10b;
const PE32_PLUS = 0x20b;
const IMAGE_FILE_EXECUTABLE_IMAGE = 0x0002;
const IMAGE_FILE_DLL = 0x2000;
const IMPORT_DIRECTORY = 1;
const MAX_IMPORTS = 4096;

export interface PeSection {
  name: string;
  virtualSize: number;
  virtualAddress: number;
  rawSize: number;
  rawOffset: number;
  characteristics: number;
}

export interface PeInfo {
  machine: number;
  bits: 32 | 64;
  characteristics: number;
  imageBase: number;
  subsystem: number;
  /** MajorSubsystemVersion.MinorSubsystemVersion: the oldest Windows the loader accepts (6.1 = Windows 7). */
  subsystemVersion: string;
  sections: PeSection[];
  imports: string[];
  symbolCount: number;
}

export function isPe(bytes: Uint8Array): boolean {
  return bytes[0] === 0x4d && bytes[1] === 0x5a;
}

export function readPe(bytes: Uint8Array): PeInfo {
  const file = new ByteView(bytes, 'little');
  const peOffset = file.u32(0x3c, 'DOS header');
  if (file.u32(peOffset, 'PE signature') !== 0x00004550) {
    throw new FormatError('an MZ file without a PE signature (a DOS program?)');
  }
  const coff = peOffset + 4;
  const what = 'COFF file header';
  const sectionCount = file.u16(coff + 2, what);
  const symbolTable = file.u32(coff + 8, what);
  const symbolCount = file.u32(coff + 12, what);
  const optionalSize = file.u16(coff + 16, what);
  const optional = coff + 20;
  const magic = file.u16(optional, 'PE optional header');
  if (magic !== PE32 && magic !== PE32_PLUS)
    throw new FormatError(`PE optional header magic 0x${magic.toString(16)} is unknown`);
  const bits = magic === PE32_PLUS ? 64 : 32;
  const sections = readSections(file, optional + optionalSize, sectionCount, symbolTable, symbolCount);
  const imageBase =
    bits === 64
      ? file.u64(optional + 24, 'PE optional header')
      : file.u32(optional + 28, 'PE optional header');
  const directories = optional + (bits === 64 ? 112 : 96);
  const directoryCount = file.u32(optional + (bits === 64 ? 108 : 92), 'PE optional header');
  return {
    machine: file.u16(coff, what),
    bits,
    characteristics: file.u16(coff + 18, what),
    imageBase,
    subsystem: file.u16(optional + 68, 'PE optional header'),
    subsystemVersion: `${file.u16(optional + 48, 'PE optional header')}.${file.u16(optional + 50, 'PE optional header')}`,
    sections,
    imports:
      directoryCount > IMPORT_DIRECTORY
        ? readImports(file, sections, directories + IMPORT_DIRECTORY * 8)
        : [],
    symbolCount: symbolTable === 0 ? 0 : symbolCount,
  };
}

function readSections(
  file: ByteView,
  start: number,
  count: number,
  symbolTable: number,
  symbolCount: number,
): PeSection[] {
  file.check(start, count * 40, 'PE section table');
  // Names longer than 8 bytes are "/<offset>" into the string table after the COFF symbols (Go's DWARF sections).
  const stringTable = symbolTable === 0 ? null : symbolTable + symbolCount * 18;
  return Array.from({ length: count }, (_, index) => {
    const at = start + index * 40;
    const shortName = latin1(file.slice(at, 8, 'PE section header')).replace(/\0.*$/s, '');
    return {
      name: longName(file, shortName, stringTable),
      virtualSize: file.u32(at + 8, 'PE section header'),
      virtualAddress: file.u32(at + 12, 'PE section header'),
      rawSize: file.u32(at + 16, 'PE section header'),
      rawOffset: file.u32(at + 20, 'PE section header'),
      characteristics: file.u32(at + 36, 'PE section header'),
    };
  });
}

function longName(file: ByteView, name: string, stringTable: number | null): string {
  const match = /^\/(\d+)$/.exec(name);
  if (match === null || stringTable === null) return name;
  const offset = stringTable + Number(match[1]);
  return offset < file.length ? file.cstring(offset, file.length, 'PE section name') : name;
}

/** File offset of a relative virtual address, through the section that holds it in the file. */
function rvaOffset(sections: PeSection[], rva: number): number | null {
  for (const section of sections) {
    if (rva >= section.virtualAddress && rva < section.virtualAddress + section.rawSize) {
      return section.rawOffset + (rva - section.virtualAddress);
    }
  }
  return null;
}

function readImports(file: ByteView, sections: PeSection[], directory: number): string[] {
  const rva = file.u32(directory, 'PE data directory');
  if (rva === 0) return [];
  const start = rvaOffset(sections, rva);
  if (start === null) throw new FormatError('PE import directory is not in the file');
  const names: string[] = [];
  // IMAGE_IMPORT_DESCRIPTOR: 20 bytes, Name RVA at +12; an all-zero descriptor ends the table.
  for (let at = start; names.length < MAX_IMPORTS; at += 20) {
    const nameRva = file.u32(at + 12, 'PE import descriptor');
    if (nameRva === 0 && file.u32(at, 'PE import descriptor') === 0) break;
    const nameOffset = rvaOffset(sections, nameRva);
    if (nameOffset === null) throw new FormatError('PE import name is not in the file');
    names.push(file.cstring(nameOffset, file.length, 'PE import name'));
  }
  return names;
}

export function peKind(info: PeInfo): 'executable' | 'shared-library' | 'other' {
  if ((info.characteristics & IMAGE_FILE_DLL) !== 0) return 'shared-library';
  return (info.characteristics & IMAGE_FILE_EXECUTABLE_IMAGE) !== 0 ? 'executable' : 'other';
}

/**
 * Go's view of a PE file for its build info (debug/buildinfo peExe): the first initialized, readable,
 * writable data section; addresses are virtual (image base included).
 */
export function peImage(bytes: Uint8Array, info: PeInfo): ExecutableImage {
  const INITIALIZED_DATA_READ_WRITE = 0x00000040 | 0x40000000 | 0x80000000;
  const ALIGN_32BYTES = 0x00600000;
  return {
    buildInfoRegion() {
      const data = info.sections.find(
        (section) =>
          section.virtualAddress !== 0 &&
          section.rawSize !== 0 &&
          (section.characteristics & ~ALIGN_32BYTES) >>> 0 === INITIALIZED_DATA_READ_WRITE >>> 0,
      );
      return data === undefined
        ? null
        : { addr: data.virtualAddress + info.imageBase, size: data.virtualSize };
    },
    read(addr, size) {
      const rva = addr - info.imageBase;
      for (const section of info.sections) {
        if (rva >= section.virtualAddress && rva <= section.virtualAddress + section.rawSize - 1) {
          const start = section.rawOffset + (rva - section.virtualAddress);
          const end = Math.min(section.rawOffset + section.rawSize, start + size, bytes.length);
          return start < end ? bytes.subarray(start, end) : null;
        }
      }
      return null;
    },
  };
}

/** The raw bytes of the code section, where Go's linker writes the build ID. */
export function peTextStart(bytes: Uint8Array, info: PeInfo, size: number): Uint8Array {
  const text = info.sections.find((section) => section.name === '.text');
  if (text === undefined || text.rawOffset >= bytes.length) return new Uint8Array(0);
  return bytes.subarray(
    text.rawOffset,
    Math.min(text.rawOffset + Math.min(text.rawSize, size), bytes.length),
  );
}
