import { readFile } from 'node:fs/promises';
import { FormatError } from '../inspect/bytes.js';
import { isElf, readElf } from '../inspect/elf.js';
import { isMacho, readMacho } from '../inspect/macho.js';
import { isPe, readPe } from '../inspect/pe.js';

/**
 * Where two builds of the same artifact part ways: the first section (in file order) whose bytes differ,
 * so that a failed reproducibility check says `.rodata` (a string: a path, a date) or `.debug_line` (a
 * path in debug info) rather than "the hashes differ". Sections are paired by name, not offset: a string
 * that grew in `.rodata` shifts everything after it, and only the pairing by name keeps the blame on
 * `.rodata` instead of on whichever header field moved first.
 */
export interface Difference {
  /**
   * The section (`.rodata`, `.rdata`, `__TEXT,__cstring`), a Mach-O region without sections
   * (`__LINKEDIT`, `code signature`), or, outside every section: `header` (the file's headers and
   * tables: sizes and offsets that moved), `size` (one file is the other with bytes added at the end),
   * `format` (not the same kind of file), `bytes` (a file of no format known here, e.g. an archive).
   */
  where: string;
  /** Offset of the first differing byte in the first file (for a section: its start plus `sectionOffset`). */
  offset: number;
  /** Offset of the first differing byte from the start of the section, or null outside sections. */
  sectionOffset: number | null;
  /** Sizes of the section (or of the files, outside sections) in the first and second file; -1 when absent. */
  sizes: [number, number];
  /**
   * The other sections that differ, in file order: the first is often a table that only points at the
   * cause (`.dynsym` holds the size of a string that grew in `.rodata`), so the report names them all.
   */
  others: string[];
}

/** A named stretch of a file's bytes. */
interface Region {
  name: string;
  offset: number;
  size: number;
}

/** The first difference between two files, or null when they are byte for byte the same. */
export async function firstDifference(fileA: string, fileB: string): Promise<Difference | null> {
  const [a, b] = await Promise.all([readFile(fileA), readFile(fileB)]);
  return firstDifferenceOf(a, b);
}

export function firstDifferenceOf(a: Uint8Array, b: Uint8Array): Difference | null {
  if (Buffer.compare(a, b) === 0) return null;
  const kind = formatOf(a);
  if (kind !== formatOf(b))
    return { where: 'format', offset: 0, sectionOffset: null, sizes: [a.length, b.length], others: [] };
  const regionsA = regionsOf(kind, a);
  const regionsB = new Map(keyed(regionsOf(kind, b)).map(([key, region]) => [key, region]));
  let first: Difference | null = null;
  const others: string[] = [];
  const found = (difference: Omit<Difference, 'others'>) => {
    if (first === null) first = { ...difference, others };
    else others.push(difference.where);
  };
  for (const [key, region] of keyed(regionsA)) {
    const other = regionsB.get(key);
    regionsB.delete(key);
    if (other === undefined) {
      found({ ...inRegion(region, 0), sizes: [region.size, -1] });
      continue;
    }
    const at = firstUnequal(
      a.subarray(region.offset, region.offset + region.size),
      b.subarray(other.offset, other.offset + other.size),
    );
    if (at !== null) found({ ...inRegion(region, at), sizes: [region.size, other.size] });
  }
  // Sections only the second file has: no offset in the first, so they are reported at its end.
  for (const extra of regionsB.values())
    found({ where: extra.name, offset: a.length, sectionOffset: null, sizes: [-1, extra.size] });
  if (first !== null) return first;
  const at = firstUnequal(a, b) ?? Math.min(a.length, b.length);
  const where = at >= Math.min(a.length, b.length) ? 'size' : kind === 'bytes' ? 'bytes' : 'header';
  return { where, offset: at, sectionOffset: null, sizes: [a.length, b.length], others };
}

function inRegion(region: Region, at: number): Omit<Difference, 'sizes' | 'others'> {
  return { where: region.name, offset: region.offset + at, sectionOffset: at };
}

/** Regions keyed by name and occurrence (`.text#0`): a name may repeat (ELF allows it), and each copy pairs with its twin. */
function keyed(regions: Region[]): [string, Region][] {
  const seen = new Map<string, number>();
  return regions.map((region) => {
    const count = seen.get(region.name) ?? 0;
    seen.set(region.name, count + 1);
    return [`${region.name}#${count}`, region];
  });
}

/** The index of the first byte where the two differ (a shorter one differs where it ends), or null. */
function firstUnequal(a: Uint8Array, b: Uint8Array): number | null {
  const common = Math.min(a.length, b.length);
  // Compare in chunks with Buffer.compare (native), then find the byte inside the first unequal chunk.
  const CHUNK = 4096;
  for (let start = 0; start < common; start += CHUNK) {
    const end = Math.min(start + CHUNK, common);
    if (Buffer.compare(a.subarray(start, end), b.subarray(start, end)) === 0) continue;
    for (let index = start; index < end; index++) if (a[index] !== b[index]) return index;
  }
  return a.length === b.length ? null : common;
}

type Format = 'elf' | 'pe' | 'macho' | 'bytes';

function formatOf(bytes: Uint8Array): Format {
  if (isElf(bytes)) return 'elf';
  if (isMacho(bytes)) return 'macho';
  if (isPe(bytes)) return 'pe';
  return 'bytes';
}

/**
 * The regions of a file that hold bytes, in file order. A file its reader rejects has none, so it is
 * compared as plain bytes: a reproducibility check must still say where two broken builds differ.
 */
function regionsOf(kind: Format, bytes: Uint8Array): Region[] {
  try {
    return inFileOrder(
      readRegions(kind, bytes).filter(
        (region) => region.size > 0 && region.offset + region.size <= bytes.length,
      ),
    );
  } catch (error) {
    if (error instanceof FormatError) return [];
    throw error;
  }
}

function readRegions(kind: Format, bytes: Uint8Array): Region[] {
  const SHT_NOBITS = 8;
  switch (kind) {
    case 'elf':
      return readElf(bytes)
        .sections.filter((section) => section.type !== SHT_NOBITS)
        .map(({ name, offset, size }) => ({ name, offset, size }));
    case 'pe':
      return readPe(bytes).sections.map(({ name, rawOffset, rawSize }) => ({
        name,
        offset: rawOffset,
        size: rawSize,
      }));
    case 'macho':
      return machoRegions(bytes);
    case 'bytes':
      return [];
  }
}

/**
 * Mach-O sections (zero-fill ones have no file offset), plus what lies in segments outside any section:
 * `__LINKEDIT` (symbols, fixups) up to the code signature, and the signature itself, which hashes every
 * page and so differs whenever anything else does (it comes last, so the cause is named first).
 */
function machoRegions(bytes: Uint8Array): Region[] {
  const info = readMacho(bytes);
  const regions: Region[] = info.sections
    .filter((section) => section.offset !== 0)
    .map((section) => ({
      name: `${section.segment},${section.name}`,
      offset: section.offset,
      size: section.size,
    }));
  const signature = info.codeSignature;
  for (const segment of info.segments) {
    if (info.sections.some((section) => section.segment === segment.name) || segment.filesz === 0) continue;
    const end =
      signature !== null &&
      signature.offset > segment.fileoff &&
      signature.offset < segment.fileoff + segment.filesz
        ? signature.offset
        : segment.fileoff + segment.filesz;
    regions.push({ name: segment.name, offset: segment.fileoff, size: end - segment.fileoff });
  }
  if (signature !== null)
    regions.push({ name: 'code signature', offset: signature.offset, size: signature.size });
  return regions;
}

function inFileOrder(regions: Region[]): Region[] {
  return [...regions].sort((x, y) => x.offset - y.offset);
}

/** One line for a report: `.rodata differs at 0x1a2 (file offset 0x21a2)`. */
export function describeDifference(difference: Difference): string {
  const hex = (value: number) => `0x${value.toString(16)}`;
  const [first, second] = difference.sizes;
  switch (difference.where) {
    case 'format':
      return 'the two files are not the same kind of binary';
    case 'size':
      return `one file is the other with bytes added: ${first} against ${second} bytes`;
    case 'header':
      return `the headers differ at file offset ${hex(difference.offset)} (every section is the same)`;
    case 'bytes':
      return `the bytes differ at file offset ${hex(difference.offset)}`;
  }
  if (first === -1) return `section ${difference.where} is only in the second build`;
  if (second === -1) return `section ${difference.where} is only in the first build`;
  const sizes = first === second ? '' : `, ${first} against ${second} bytes`;
  const also = difference.others.length === 0 ? '' : `; also ${difference.others.join(', ')}`;
  return `section ${difference.where} differs at ${hex(difference.sectionOffset ?? 0)} (file offset ${hex(difference.offset)}${sizes})${also}`;
}
