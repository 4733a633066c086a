import { ByteView, FormatError, latin1 } from './bytes.js';
import { isElf } from './elf.js';
import { coffMachine, inspectBytes } from './facts.js';
import { isMacho } from './macho.js';

/**
 * `ar` archives (static libraries, Go's `-buildmode=c-archive` output): the member table, in the GNU and
 * System V form (`name/`, long names in `//`), the BSD and Apple form (`#1/<length>`, the name before the
 * data) and the Windows `.lib` form (GNU-like, two `/` symbol tables). A thin archive (GNU `ar T`) names
 * files outside itself: those are listed, never opened. Every member offset and size is checked against
 * the file, so a crafted archive ends in a FormatError.
 */

const MAGIC = '!<arch>\n';
const THIN_MAGIC = '!<thin>\n';
const HEADER_SIZE = 60;
/** Far above real static libraries (glibc's libc.a has about 2,000 members, LLVM's largest some thousands). */
const MAX_MEMBERS = 100_000;

export interface ArMember {
  name: string;
  /** The member's bytes; empty in a thin archive, whose members live in other files. */
  data: Uint8Array;
  size: number;
}

export interface ArArchive {
  thin: boolean;
  members: ArMember[];
}

export function isArchive(bytes: Uint8Array): boolean {
  const start = latin1(bytes.subarray(0, 8));
  return start === MAGIC || start === THIN_MAGIC;
}

export function readArchive(bytes: Uint8Array): ArArchive {
  const file = new ByteView(bytes);
  const thin = latin1(bytes.subarray(0, 8)) === THIN_MAGIC;
  const members: ArMember[] = [];
  let longNames: Uint8Array | undefined;
  let at = 8;
  while (at < bytes.length) {
    // A lone newline pads the file to an even length after an odd-sized last member.
    if (at + 1 === bytes.length && bytes[at] === 0x0a) break;
    const header = latin1(file.slice(at, HEADER_SIZE, 'ar member header'));
    if (header.slice(58, 60) !== '`\n') throw new FormatError(`ar member header at ${at} is malformed`);
    const size = decimal(header.slice(48, 58), at);
    const rawName = header.slice(0, 16).trimEnd();
    const dataAt = at + HEADER_SIZE;
    // The symbol tables and the long-name table are stored even in a thin archive; members are not.
    const table = isTable(rawName);
    const stored = !thin || table;
    const data = stored ? file.slice(dataAt, size, `ar member at ${at}`) : new Uint8Array(0);
    at = dataAt + (stored ? size + (size % 2) : 0);
    if (rawName === '//') {
      longNames = data;
      continue;
    }
    if (table) continue;
    const member = memberName(rawName, data, longNames, at);
    // BSD and Apple archives store their symbol table under a long (`#1/`) name.
    if (isTable(member.name)) continue;
    if (members.length >= MAX_MEMBERS)
      throw new FormatError(`ar archive has more than ${MAX_MEMBERS} members`);
    members.push({
      name: member.name,
      data: thin ? data : data.subarray(member.skip),
      size: size - member.skip,
    });
  }
  return { thin, members };
}

/**
 * `/` (GNU, System V, Windows), `/SYM64/` (GNU, 64-bit) and `__.SYMDEF*` (BSD, Apple) are symbol indexes,
 * `//` the long-name table: none is a member.
 */
function isTable(name: string): boolean {
  return name === '/' || name === '//' || name === '/SYM64/' || name.startsWith('__.SYMDEF');
}

function decimal(field: string, at: number): number {
  const text = field.trim();
  if (!/^\d{1,10}$/.test(text)) throw new FormatError(`ar member header at ${at} has no valid size`);
  return Number(text);
}

/** The member's name, and how many bytes of its data the name takes (BSD `#1/<length>` names). */
function memberName(
  raw: string,
  data: Uint8Array,
  longNames: Uint8Array | undefined,
  at: number,
): { name: string; skip: number } {
  const bsd = /^#1\/(\d+)$/.exec(raw);
  if (bsd !== null) {
    const length = Number(bsd[1]);
    if (length > data.length) throw new FormatError(`ar member name before ${at} runs past its data`);
    return { name: latin1(data.subarray(0, length)).replace(/\0+$/, ''), skip: length };
  }
  const long = /^\/(\d+)$/.exec(raw);
  if (long !== null) {
    const offset = Number(long[1]);
    if (longNames === undefined || offset >= longNames.length)
      throw new FormatError(`ar member name before ${at} points outside the long-name table`);
    const rest = longNames.subarray(offset);
    const end = rest.indexOf(0x0a);
    const name = latin1(end < 0 ? rest : rest.subarray(0, end));
    return { name: name.replace(/\/$/, ''), skip: 0 };
  }
  return { name: raw.replace(/\/$/, ''), skip: 0 };
}

/** What `xcc inspect` says of an archive (the `archive` field of a file's `--json` report). */
export interface ArchiveFacts {
  /** A thin archive (GNU `ar T`) holds only the names of its members: their files are elsewhere. */
  thin: boolean;
  members: ArchiveMemberFacts[];
}

export interface ArchiveMemberFacts {
  name: string;
  size: number;
  /** The object file format; null for anything else (Go's `__.PKGDEF`, LLVM bitcode, a thin member). */
  format: 'elf' | 'coff' | 'macho' | null;
  /** Go's GOARCH spelling; null when not an object, or for a machine Go has no port for. */
  arch: string | null;
  /** The format's own name for the machine (`x86-64`, `ARM aarch64`). */
  machine: string | null;
}

export function archiveFacts(bytes: Uint8Array): ArchiveFacts {
  const { thin, members } = readArchive(bytes);
  return {
    thin,
    members: members.map(({ name, size, data }) => ({ name, size, ...objectMachine(data) })),
  };
}

function objectMachine(data: Uint8Array): Pick<ArchiveMemberFacts, 'format' | 'arch' | 'machine'> {
  const none = { format: null, arch: null, machine: null };
  if (isElf(data) || isMacho(data)) {
    try {
      const [image] = inspectBytes(data);
      return { format: image!.format as 'elf' | 'macho', arch: image!.arch, machine: image!.machine };
    } catch (error) {
      if (error instanceof FormatError) return none;
      throw error;
    }
  }
  return coffObjectMachine(data) ?? none;
}

/**
 * A COFF object (what mingw and MSVC compile to: no MZ header, the machine first, then a section table that
 * fits in the member; Go's go.o carries an optional header, C compilers' objects none) or a short import
 * member of a Windows import library (signatures 0 and 0xFFFF, the machine at 6).
 */
function coffObjectMachine(data: Uint8Array): Pick<ArchiveMemberFacts, 'format' | 'arch' | 'machine'> | null {
  if (data.length < 20) return null;
  const view = new ByteView(data);
  const importMember = view.u16(0) === 0 && view.u16(2) === 0xffff;
  const sections = view.u16(2);
  const tableEnd = 20 + view.u16(16) + sections * 40;
  if (!importMember && (sections === 0 || tableEnd > data.length)) return null;
  const known = coffMachine(importMember ? view.u16(6) : view.u16(0));
  return known === null ? null : { format: 'coff', ...known };
}
