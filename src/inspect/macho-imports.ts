import { ByteView, FormatError } from './bytes.js';
import type { FileRange, MachoInfo } from './macho.js';

/**
 * The symbols a Mach-O image imports and the dylib each is bound from (two-level namespace), read from
 * what dyld reads: the bind and lazy-bind opcode streams of LC_DYLD_INFO(_ONLY), which Go's internal
 * linker and zig's linker write for macOS, and the imports table of LC_DYLD_CHAINED_FIXUPS, which Apple's
 * ld writes for macOS 12 and later (<mach-o/loader.h>, <mach-o/fixup-chains.h>). The weak-bind stream
 * is left out: it names weak definitions that dyld coalesces by name across images (C++ `operator new`),
 * not imports from a library.
 */

export interface MachoImport {
  /** The symbol as the symbol table spells it (`_open`, `__exit`, `_fdopendir$INODE64`). */
  symbol: string;
  /**
   * The install path of the dylib it is bound from (an LC_*_DYLIB of the image); null when dyld looks it
   * up elsewhere: in the image itself, the main executable, or every image (flat namespace).
   */
  library: string | null;
  /** A weak import: the program starts even when the library lacks it (the address is then 0). */
  weak: boolean;
}

const BIND_OPCODE_MASK = 0xf0;
const BIND_IMMEDIATE_MASK = 0x0f;
const BIND_OPCODE_DONE = 0x00;
const BIND_OPCODE_SET_DYLIB_ORDINAL_IMM = 0x10;
const BIND_OPCODE_SET_DYLIB_ORDINAL_ULEB = 0x20;
const BIND_OPCODE_SET_DYLIB_SPECIAL_IMM = 0x30;
const BIND_OPCODE_SET_SYMBOL_TRAILING_FLAGS_IMM = 0x40;
const BIND_OPCODE_SET_TYPE_IMM = 0x50;
const BIND_OPCODE_SET_ADDEND_SLEB = 0x60;
const BIND_OPCODE_SET_SEGMENT_AND_OFFSET_ULEB = 0x70;
const BIND_OPCODE_ADD_ADDR_ULEB = 0x80;
const BIND_OPCODE_DO_BIND = 0x90;
const BIND_OPCODE_DO_BIND_ADD_ADDR_ULEB = 0xa0;
const BIND_OPCODE_DO_BIND_ADD_ADDR_IMM_SCALED = 0xb0;
const BIND_OPCODE_DO_BIND_ULEB_TIMES_SKIPPING_ULEB = 0xc0;
const BIND_OPCODE_THREADED = 0xd0;
const BIND_SUBOPCODE_THREADED_SET_BIND_ORDINAL_TABLE_SIZE_ULEB = 0x00;
const BIND_SYMBOL_FLAGS_WEAK_IMPORT = 0x1;

/** Every import of the image, each (library, symbol) once, in the order dyld meets them. */
export function readMachoImports(bytes: Uint8Array, info: MachoInfo): MachoImport[] {
  const imports = new Map<string, MachoImport>();
  const add = (ordinal: number, symbol: string, weak: boolean) => {
    const library = ordinalLibrary(info, ordinal);
    const key = `${library}\0${symbol}`;
    if (!imports.has(key)) imports.set(key, { symbol, library, weak });
  };
  if (info.dyldInfo !== null) {
    readBindOpcodes(bytes, info.dyldInfo.bind, 'bind', add);
    readBindOpcodes(bytes, info.dyldInfo.lazyBind, 'lazy bind', add);
  }
  if (info.chainedFixups !== null) readChainedImports(bytes, info, info.chainedFixups, add);
  return [...imports.values()];
}

/** Ordinal 1 is the first LC_*_DYLIB command; 0 is the image itself, -1 the main executable, -2 and -3 lookups by name. */
function ordinalLibrary(info: MachoInfo, ordinal: number): string | null {
  if (ordinal <= 0) return null;
  const library = info.dylibs[ordinal - 1];
  if (library === undefined)
    throw new FormatError(
      `Mach-O binding names library ${ordinal}, but the image loads ${info.dylibs.length}`,
    );
  return library;
}

type AddImport = (ordinal: number, symbol: string, weak: boolean) => void;

/**
 * Runs a bind opcode stream just far enough to see which symbol is bound from which library: addresses,
 * types and addends do not matter here, so a repeat count is never looped over. Each opcode consumes at
 * least one byte, so a stream of any content ends.
 */
function readBindOpcodes(bytes: Uint8Array, range: FileRange, what: string, add: AddImport): void {
  if (range.size === 0) return;
  const stream = new ByteView(bytes).slice(range.offset, range.size, `Mach-O ${what} opcodes`);
  const reader = new LebReader(stream, `Mach-O ${what} opcodes`);
  let ordinal = 0;
  let symbol: string | null = null;
  let weak = false;
  while (reader.at < stream.length) {
    const byte = reader.byte();
    const immediate = byte & BIND_IMMEDIATE_MASK;
    switch (byte & BIND_OPCODE_MASK) {
      case BIND_OPCODE_DONE:
        // The lazy-bind stream ends each entry with DONE; the others end there.
        break;
      case BIND_OPCODE_SET_DYLIB_ORDINAL_IMM:
        ordinal = immediate;
        break;
      case BIND_OPCODE_SET_DYLIB_ORDINAL_ULEB:
        ordinal = reader.uleb();
        break;
      case BIND_OPCODE_SET_DYLIB_SPECIAL_IMM:
        // 0 (self), 0xf (-1, main executable), 0xe (-2, flat lookup), 0xd (-3, weak lookup).
        ordinal = immediate === 0 ? 0 : immediate - 16;
        break;
      case BIND_OPCODE_SET_SYMBOL_TRAILING_FLAGS_IMM:
        weak = (immediate & BIND_SYMBOL_FLAGS_WEAK_IMPORT) !== 0;
        symbol = reader.cstring();
        break;
      case BIND_OPCODE_SET_TYPE_IMM:
        break;
      case BIND_OPCODE_DO_BIND_ADD_ADDR_IMM_SCALED:
        bind();
        break;
      case BIND_OPCODE_SET_ADDEND_SLEB:
      case BIND_OPCODE_SET_SEGMENT_AND_OFFSET_ULEB:
      case BIND_OPCODE_ADD_ADDR_ULEB:
        reader.uleb(); // an SLEB is skipped the same way: only its length matters here
        break;
      case BIND_OPCODE_DO_BIND:
        bind();
        break;
      case BIND_OPCODE_DO_BIND_ADD_ADDR_ULEB:
        bind();
        reader.uleb();
        break;
      case BIND_OPCODE_DO_BIND_ULEB_TIMES_SKIPPING_ULEB:
        bind();
        reader.uleb();
        reader.uleb();
        break;
      case BIND_OPCODE_THREADED:
        // arm64e: SET_BIND_ORDINAL_TABLE_SIZE_ULEB carries a count; APPLY carries nothing.
        if (immediate === BIND_SUBOPCODE_THREADED_SET_BIND_ORDINAL_TABLE_SIZE_ULEB) reader.uleb();
        break;
      default:
        throw new FormatError(`Mach-O ${what} opcodes hold an unknown opcode 0x${byte.toString(16)}`);
    }
  }

  function bind(): void {
    if (symbol === null) throw new FormatError(`Mach-O ${what} opcodes bind before naming a symbol`);
    add(ordinal, symbol, weak);
  }
}

const MAX_LEB_BYTES = 10;

/** Unsigned LEB128 numbers and strings of an opcode stream, each read inside the stream. */
class LebReader {
  at = 0;
  constructor(
    private readonly stream: Uint8Array,
    private readonly what: string,
  ) {}

  byte(): number {
    const value = this.stream[this.at];
    if (value === undefined) throw new FormatError(`${this.what} end in the middle of an opcode`);
    this.at++;
    return value;
  }

  uleb(): number {
    let value = 0;
    for (let index = 0; index < MAX_LEB_BYTES; index++) {
      const byte = this.byte();
      value += (byte & 0x7f) * 2 ** (7 * index);
      if ((byte & 0x80) === 0) {
        if (!Number.isSafeInteger(value)) break;
        return value;
      }
    }
    throw new FormatError(`${this.what} hold an impossible number`);
  }

  cstring(): string {
    const text = new ByteView(this.stream).cstring(this.at, this.stream.length, `${this.what} symbol name`);
    this.at += text.length + 1;
    return text;
  }
}

const DYLD_CHAINED_IMPORT = 1;
const DYLD_CHAINED_IMPORT_ADDEND = 2;
const DYLD_CHAINED_IMPORT_ADDEND64 = 3;
const IMPORT_SIZES: Record<number, number> = {
  [DYLD_CHAINED_IMPORT]: 4,
  [DYLD_CHAINED_IMPORT_ADDEND]: 8,
  [DYLD_CHAINED_IMPORT_ADDEND64]: 16,
};

/** The imports table of LC_DYLD_CHAINED_FIXUPS: one entry per imported symbol, each with its library ordinal. */
function readChainedImports(bytes: Uint8Array, info: MachoInfo, range: FileRange, add: AddImport): void {
  const what = 'Mach-O chained fixups';
  const blob = new ByteView(new ByteView(bytes).slice(range.offset, range.size, `${what} data`), info.endian);
  const importsOffset = blob.u32(8, `${what} header`);
  const symbolsOffset = blob.u32(12, `${what} header`);
  const count = blob.u32(16, `${what} header`);
  const format = blob.u32(20, `${what} header`);
  const symbolsFormat = blob.u32(24, `${what} header`);
  const size = IMPORT_SIZES[format];
  if (size === undefined) throw new FormatError(`${what} use an unknown imports format ${format}`);
  if (symbolsFormat !== 0)
    throw new FormatError(`${what} hold compressed symbol names, which xcc cannot read`);
  blob.check(importsOffset, count * size, `${what} imports table`);
  for (let index = 0; index < count; index++) {
    const at = importsOffset + index * size;
    let ordinal: number;
    let weak: boolean;
    let nameOffset: number;
    if (format === DYLD_CHAINED_IMPORT_ADDEND64) {
      const low = blob.u32(at + (info.endian === 'little' ? 0 : 4), `${what} import`);
      ordinal = signedOrdinal(low & 0xffff, 16);
      weak = (low & 0x10000) !== 0;
      nameOffset = blob.u32(at + (info.endian === 'little' ? 4 : 0), `${what} import`);
    } else {
      const entry = blob.u32(at, `${what} import`);
      ordinal = signedOrdinal(entry & 0xff, 8);
      weak = (entry & 0x100) !== 0;
      nameOffset = entry >>> 9;
    }
    const symbol = blob.cstring(symbolsOffset + nameOffset, blob.length, `${what} symbol name`);
    add(ordinal, symbol, weak);
  }
}

/** The top 16 values of an ordinal field are the special negative ordinals (-1 main executable...). */
function signedOrdinal(value: number, bits: 8 | 16): number {
  const limit = 2 ** bits;
  return value > limit - 16 ? value - limit : value;
}
