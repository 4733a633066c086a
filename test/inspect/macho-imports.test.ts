import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FormatError } from '../../src/inspect/bytes.js';
import { inspectBytes } from '../../src/inspect/facts.js';
import { readCodeSignature, readMacho } from '../../src/inspect/macho.js';
import { readMachoImports } from '../../src/inspect/macho-imports.js';
import { goBuild } from '../support/builds.js';
import { dylibCommand, loadCommand, machoImage } from '../support/macho-images.js';
import { dylibShortName, llvmBoundSymbols } from '../support/oracles.js';
import { fixturesDir } from '../support/paths.js';
import { needLlvmTool } from '../support/tools.js';

/**
 * What a Mach-O image imports from which dylib, and its code signature: real Go builds checked against
 * llvm-objdump, and synthetic images for every bind opcode, the chained-fixups imports formats, and the
 * malformed tables a hostile file can hold.
 */

const LC_LOAD_DYLIB = 0xc;
const LC_DYLD_INFO_ONLY = 0x80000022;
const LC_DYLD_CHAINED_FIXUPS = 0x80000034;
const SYSTEM = '/usr/lib/libSystem.B.dylib';
const CORE_FOUNDATION = '/System/Library/Frameworks/CoreFoundation.framework/Versions/A/CoreFoundation';

const work = mkdtempSync(path.join(os.tmpdir(), 'xcc-macho-imports-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const builds = new Map<string, string>();

beforeAll(() => {
  const program = path.join(fixturesDir, 'darwin-cgo');
  for (const arch of ['amd64', 'arm64']) {
    builds.set(arch, goBuild(program, path.join(work, arch), { GOOS: 'darwin', GOARCH: arch }));
  }
}, 600_000);

describe('imports of real Go builds', () => {
  it.for(['amd64', 'arm64'])('darwin/%s: the symbols and dylibs llvm-objdump binds', (arch, context) => {
    const objdump = needLlvmTool(context, 'llvm-objdump');
    const file = builds.get(arch)!;
    const [facts] = inspectBytes(readFileSync(file));
    const imports = facts!.macho!.imports;
    expect(imports.length).toBeGreaterThan(50);
    expect(imports.map((entry) => `${dylibShortName(entry.library!)} ${entry.symbol}`).sort()).toEqual(
      llvmBoundSymbols(objdump, file),
    );
    expect(imports).toContainEqual({ symbol: '__exit', library: SYSTEM, weak: false });
  });

  it('signatures: arm64 ad hoc and valid, amd64 none; a changed byte makes it invalid', () => {
    const arm64 = readFileSync(builds.get('arm64')!);
    const info = readMacho(arm64);
    expect(readCodeSignature(arm64, info)).toEqual({ adhoc: true, valid: true });
    const amd64 = readFileSync(builds.get('amd64')!);
    expect(readCodeSignature(amd64, readMacho(amd64))).toBeNull();
    const changed = Buffer.from(arm64);
    changed[info.codeSignature!.offset - 1]! ^= 1;
    expect(readCodeSignature(changed, info)).toEqual({ adhoc: true, valid: false });
    // The CodeDirectory's CS_ADHOC flag cleared: a certificate-style signature, page hashes still whole.
    const directory = codeDirectoryAt(arm64, info.codeSignature!.offset);
    const certificate = Buffer.from(arm64);
    certificate.writeUInt32BE(certificate.readUInt32BE(directory + 12) & ~2, directory + 12);
    expect(readCodeSignature(certificate, info)).toEqual({ adhoc: false, valid: true });
    // A page of 2 bytes would take a hash per 2 bytes of the file: refused, as no signer writes it.
    const tinyPages = Buffer.from(arm64);
    tinyPages[directory + 39] = 1;
    expect(readCodeSignature(tinyPages, info)).toEqual({ adhoc: true, valid: false });
  });

  it('LC_MAIN: arm64 has it; Go writes LC_UNIXTHREAD for amd64', () => {
    expect(inspectBytes(readFileSync(builds.get('arm64')!))[0]!.macho!.hasMain).toBe(true);
    expect(inspectBytes(readFileSync(builds.get('amd64')!))[0]!.macho!.hasMain).toBe(false);
  });
});

function codeDirectoryAt(bytes: Buffer, signature: number): number {
  const count = bytes.readUInt32BE(signature + 8);
  for (let index = 0; index < count; index++) {
    const at = signature + bytes.readUInt32BE(signature + 12 + index * 8 + 4);
    if (bytes.readUInt32BE(at) === 0xfade0c02) return at;
  }
  throw new Error('no CodeDirectory');
}

/** An image loading libSystem (ordinal 1) and CoreFoundation (ordinal 2) with these bind streams. */
function withBinds(streams: { bind?: number[]; weakBind?: number[]; lazyBind?: number[] }): Buffer {
  const bind = Buffer.from(streams.bind ?? []);
  const weakBind = Buffer.from(streams.weakBind ?? []);
  const lazyBind = Buffer.from(streams.lazyBind ?? []);
  return machoImage(
    [
      dylibCommand(LC_LOAD_DYLIB, SYSTEM),
      dylibCommand(LC_LOAD_DYLIB, CORE_FOUNDATION),
      (at) =>
        loadCommand(LC_DYLD_INFO_ONLY, [
          0,
          0,
          at,
          bind.length,
          at + bind.length,
          weakBind.length,
          at + bind.length + weakBind.length,
          lazyBind.length,
          0,
          0,
        ]),
    ],
    Buffer.concat([bind, weakBind, lazyBind]),
  );
}

const text = (name: string) => [...Buffer.from(name, 'latin1'), 0];
const imports = (bytes: Buffer) => readMachoImports(bytes, readMacho(bytes));

describe('bind opcodes', () => {
  it('every opcode: each (library, symbol) once, weak imports marked, weak definitions left out', () => {
    const bytes = withBinds({
      bind: [
        0x11, // SET_DYLIB_ORDINAL_IMM 1
        0x40,
        ...text('_open'), // SET_SYMBOL_TRAILING_FLAGS_IMM
        0x51, // SET_TYPE_IMM pointer
        0x72,
        0xe0,
        0x01, // SET_SEGMENT_AND_OFFSET_ULEB segment 2, offset 224
        0x90, // DO_BIND
        0x40,
        ...text('_write'),
        0xa0,
        0xe8,
        0x01, // DO_BIND_ADD_ADDR_ULEB 232 (each ULEB here starts with a byte that is no opcode)
        0x20,
        0x02, // SET_DYLIB_ORDINAL_ULEB 2
        0x41,
        ...text('_CFRelease'), // weak import
        0x60,
        0x78, // SET_ADDEND_SLEB -8
        0xc0,
        0xe3,
        0x00,
        0xe8,
        0x01, // DO_BIND_ULEB_TIMES_SKIPPING_ULEB 99 times, skip 232
        0x3e, // SET_DYLIB_SPECIAL_IMM -2 (flat lookup)
        0x40,
        ...text('_flat'),
        0x80,
        0xe8,
        0x01, // ADD_ADDR_ULEB
        0xb1, // DO_BIND_ADD_ADDR_IMM_SCALED
        0x11,
        0x40,
        ...text('_open'),
        0x90, // the same import again
        0xd0,
        0xe2,
        0x00, // THREADED SET_BIND_ORDINAL_TABLE_SIZE_ULEB 98
        0xd1, // THREADED APPLY
        0x00, // DONE
      ],
      weakBind: [0x40, ...text('__Znwm'), 0x51, 0x72, 0x00, 0x90, 0x00],
      lazyBind: [
        0x72,
        0x00,
        0x12,
        0x40,
        ...text('_CFRetain'),
        0x90,
        0x00, // DONE ends each lazy entry
        0x72,
        0x08,
        0x11,
        0x40,
        ...text('_write'),
        0x90,
        0x00,
      ],
    });
    expect(imports(bytes)).toEqual([
      { symbol: '_open', library: SYSTEM, weak: false },
      { symbol: '_write', library: SYSTEM, weak: false },
      { symbol: '_CFRelease', library: CORE_FOUNDATION, weak: true },
      { symbol: '_flat', library: null, weak: false },
      { symbol: '_CFRetain', library: CORE_FOUNDATION, weak: false },
    ]);
  });

  it.each([
    [
      'an ordinal past the loaded dylibs',
      [0x13, 0x40, ...text('_x'), 0x90],
      /names library 3, but the image loads 2$/,
    ],
    ['an unknown opcode', [0xe0], /bind opcodes hold an unknown opcode 0xe0$/],
    ['a bind before any symbol', [0x11, 0x90], /bind opcodes bind before naming a symbol$/],
    [
      'a ULEB longer than 64 bits',
      [0x20, ...Array(11).fill(0x80), 0x01],
      /bind opcodes hold an impossible number$/,
    ],
    ['a ULEB cut by the end of the stream', [0x20, 0x80], /bind opcodes end in the middle of an opcode$/],
  ])('refuses %s with one line', (_what, bind, message) => {
    expect(() => imports(withBinds({ bind }))).toThrow(FormatError);
    expect(() => imports(withBinds({ bind }))).toThrow(message);
  });

  it('refuses a stream that lies past the end of the file', () => {
    const bytes = withBinds({ bind: [0x00] });
    const info = readMacho(bytes);
    info.dyldInfo!.bind = { offset: bytes.length - 1, size: 16 };
    expect(() => readMachoImports(bytes, info)).toThrow(/^Mach-O bind opcodes lies past the end of the file/);
  });

  it('a symbol name without its NUL ends the stream, without reading past it', () => {
    expect(imports(withBinds({ bind: [0x11, 0x40, ...Buffer.from('_cut')] }))).toEqual([]);
  });
});

/** An image loading libSystem and CoreFoundation whose LC_DYLD_CHAINED_FIXUPS holds these imports. */
function withChainedImports(
  format: 1 | 2 | 3,
  entries: { ordinal: number; weak?: boolean; name: string }[],
  options: { symbolsFormat?: number; count?: number } = {},
): Buffer {
  const size = { 1: 4, 2: 8, 3: 16 }[format];
  const names = Buffer.concat(entries.map((entry) => Buffer.from(`${entry.name}\0`, 'latin1')));
  const table = Buffer.alloc(entries.length * size);
  let nameOffset = 0;
  entries.forEach((entry, index) => {
    const at = index * size;
    const weak = entry.weak ? 1 : 0;
    if (format === 3) {
      table.writeUInt32LE(entry.ordinal | (weak << 16), at);
      table.writeUInt32LE(nameOffset, at + 4);
    } else {
      table.writeUInt32LE((entry.ordinal | (weak << 8) | (nameOffset << 9)) >>> 0, at);
    }
    nameOffset += entry.name.length + 1;
  });
  const header = Buffer.alloc(28);
  header.writeUInt32LE(0, 0); // fixups_version
  header.writeUInt32LE(28, 4); // starts_offset (no chains needed to read the imports)
  header.writeUInt32LE(28, 8); // imports_offset
  header.writeUInt32LE(28 + table.length, 12); // symbols_offset
  header.writeUInt32LE(options.count ?? entries.length, 16);
  header.writeUInt32LE(format, 20);
  header.writeUInt32LE(options.symbolsFormat ?? 0, 24);
  const blob = Buffer.concat([header, table, names]);
  return machoImage(
    [
      dylibCommand(LC_LOAD_DYLIB, SYSTEM),
      dylibCommand(LC_LOAD_DYLIB, CORE_FOUNDATION),
      (at) => loadCommand(LC_DYLD_CHAINED_FIXUPS, [at, blob.length]),
    ],
    blob,
  );
}

describe('chained fixups imports', () => {
  it.each([1, 2, 3] as const)('format %i: ordinals, special ordinals and weak imports', (format) => {
    const special = format === 3 ? 0xffff : 0xff; // -1: the main executable
    const flat = format === 3 ? 0xfffe : 0xfe; // -2: flat lookup
    const bytes = withChainedImports(format, [
      { ordinal: 1, name: '_open' },
      { ordinal: 2, name: '_CFRelease', weak: true },
      { ordinal: special, name: '_main_thing' },
      { ordinal: flat, name: '_flat' },
      { ordinal: 1, name: '_open' },
    ]);
    expect(imports(bytes)).toEqual([
      { symbol: '_open', library: SYSTEM, weak: false },
      { symbol: '_CFRelease', library: CORE_FOUNDATION, weak: true },
      { symbol: '_main_thing', library: null, weak: false },
      { symbol: '_flat', library: null, weak: false },
    ]);
  });

  it.each([
    ['compressed symbol names', { symbolsFormat: 1 }, /hold compressed symbol names, which xcc cannot read$/],
    [
      'more imports than the table holds',
      { count: 0x10000000 },
      /imports table (has an impossible|lies past)/,
    ],
  ])('refuses %s with one line', (_what, options, message) => {
    const bytes = withChainedImports(1, [{ ordinal: 1, name: '_open' }], options);
    expect(() => imports(bytes)).toThrow(FormatError);
    expect(() => imports(bytes)).toThrow(message);
  });

  it('refuses an unknown imports format and an ordinal past the dylibs', () => {
    const unknown = withChainedImports(1, [{ ordinal: 1, name: '_open' }]);
    const info = readMacho(unknown);
    unknown.writeUInt32LE(9, info.chainedFixups!.offset + 20);
    expect(() => imports(unknown)).toThrow(/use an unknown imports format 9$/);
    expect(() => imports(withChainedImports(1, [{ ordinal: 7, name: '_x' }]))).toThrow(
      /names library 7, but the image loads 2$/,
    );
  });
});
