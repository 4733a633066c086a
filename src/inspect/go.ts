import { latin1, utf8 } from './bytes.js';

/**
 * Go's build information, read the way `debug/buildinfo` reads it (Go 1.18+ inline format and the
 * older pointer format), and Go's build ID. Garbage never throws here: anything that does not decode
 * means "no Go build info", as in Go, where such files are "not a Go executable".
 */

/** What the Go reader needs from a container format (debug/buildinfo's `exe` interface). */
export interface ExecutableImage {
  /** Where the linker put the build info blob: a dedicated section, else the first writable data segment. */
  buildInfoRegion(): { addr: number; size: number } | null;
  /** Up to `size` bytes from virtual address `addr` to the end of the segment holding it; null if unmapped. */
  read(addr: number, size: number): Uint8Array | null;
}

export interface GoModule {
  path: string;
  version: string;
  sum: string;
  replace: { path: string; version: string; sum: string } | null;
}

export interface GoBuildInfo {
  /** The toolchain that built the binary: `go1.26.8`. */
  version: string;
  /** The main package's import path (`example.com/hello/cmd/hello`); null for binaries built outside modules. */
  path: string | null;
  main: GoModule | null;
  deps: GoModule[];
  /** `build` lines in order: `-trimpath` → `true`, `CGO_ENABLED` → `0`, `GOARCH` → `arm`, `vcs.revision` → ... */
  settings: Record<string, string>;
}

const MAGIC = Buffer.from('\xff Go buildinf:', 'latin1');
const ALIGN = 16;
const HEADER_SIZE = 32;
const CHUNK = 1 << 20;
const FLAGS_ENDIAN_BIG = 0x1;
const FLAGS_VERSION_INLINE = 0x2;

export function readGoBuildInfo(image: ExecutableImage): GoBuildInfo | null {
  const raw = readRawBuildInfo(image);
  if (raw === null) return null;
  const modinfo = parseModInfo(raw.mod);
  return modinfo === null ? null : { version: raw.version, ...modinfo };
}

function readRawBuildInfo(image: ExecutableImage): { version: string; mod: Uint8Array } | null {
  const region = image.buildInfoRegion();
  if (region === null || region.size === 0) return null;
  const addr = searchMagic(image, region.addr, region.size);
  if (addr === null) return null;
  const header = image.read(addr, HEADER_SIZE);
  if (header === null || header.length < HEADER_SIZE) return null;
  const flags = header[15]!;
  let version: Uint8Array | null;
  let mod: Uint8Array | null;
  if ((flags & FLAGS_VERSION_INLINE) !== 0) {
    // Go 1.18+: two varint-prefixed strings right after the header.
    const first = decodeString(image, addr + HEADER_SIZE);
    if (first === null) return null;
    version = first.value;
    mod = decodeString(image, first.next)?.value ?? null;
  } else {
    // Before Go 1.18: the header holds pointers to two Go string headers {data pointer, length}.
    const pointerSize = header[14]!;
    if (pointerSize !== 4 && pointerSize !== 8) return null;
    const big = (flags & FLAGS_ENDIAN_BIG) !== 0;
    const pointer = (bytes: Uint8Array, at: number) => readPointer(bytes, at, pointerSize, big);
    version = readGoString(image, pointer(header, 16), pointerSize, pointer);
    mod = readGoString(image, pointer(header, 16 + pointerSize), pointerSize, pointer);
  }
  if (version === null || version.length === 0 || mod === null) return null;
  return { version: latin1(version), mod: stripModFraming(mod) };
}

/** The first 16-byte-aligned occurrence of the magic in [start, start + size). */
function searchMagic(image: ExecutableImage, start: number, size: number): number | null {
  const end = start + size;
  let at = Math.ceil(start / ALIGN) * ALIGN;
  while (at < end) {
    const chunkSize = Math.min(CHUNK, end - at);
    const chunk = image.read(at, chunkSize);
    if (chunk === null) return null;
    const data = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length);
    for (let from = 0; ; ) {
      const index = data.indexOf(MAGIC, from);
      if (index < 0) break;
      if (index % ALIGN === 0) return end - (at + index) < HEADER_SIZE ? null : at + index;
      from = Math.ceil(index / ALIGN) * ALIGN;
    }
    at += chunkSize;
  }
  return null;
}

function decodeString(image: ExecutableImage, addr: number): { value: Uint8Array; next: number } | null {
  const prefix = image.read(addr, 10);
  if (prefix === null) return null;
  const varint = readUvarint(prefix);
  if (varint === null) return null;
  const start = addr + varint.size;
  const value = image.read(start, varint.value);
  if (varint.value === 0) return { value: new Uint8Array(0), next: start };
  if (value === null || value.length < varint.value) return null;
  return { value, next: start + varint.value };
}

function readUvarint(bytes: Uint8Array): { value: number; size: number } | null {
  let value = 0;
  let scale = 1;
  for (let index = 0; index < bytes.length && index < 8; index++) {
    const byte = bytes[index]!;
    value += (byte & 0x7f) * scale;
    if ((byte & 0x80) === 0) return Number.isSafeInteger(value) ? { value, size: index + 1 } : null;
    scale *= 128;
  }
  return null;
}

function readPointer(bytes: Uint8Array, at: number, size: 4 | 8, big: boolean): number | null {
  if (at + size > bytes.length) return null;
  const view = new DataView(bytes.buffer, bytes.byteOffset + at, size);
  if (size === 4) return view.getUint32(0, !big);
  const value = view.getBigUint64(0, !big);
  return value > BigInt(Number.MAX_SAFE_INTEGER) ? null : Number(value);
}

function readGoString(
  image: ExecutableImage,
  addr: number | null,
  pointerSize: 4 | 8,
  pointer: (bytes: Uint8Array, at: number) => number | null,
): Uint8Array | null {
  if (addr === null) return null;
  const header = image.read(addr, 2 * pointerSize);
  if (header === null || header.length < 2 * pointerSize) return null;
  const dataAddr = pointer(header, 0);
  const length = pointer(header, pointerSize);
  if (dataAddr === null || length === null) return null;
  if (length === 0) return new Uint8Array(0);
  const data = image.read(dataAddr, length);
  return data === null || data.length < length ? null : data;
}

/** cmd/go wraps the module info in 16-byte sentinels (modload.infoStart/infoEnd); without them it is empty. */
function stripModFraming(mod: Uint8Array): Uint8Array {
  if (mod.length >= 33 && mod[mod.length - 17] === 0x0a) return mod.subarray(16, mod.length - 16);
  return new Uint8Array(0);
}

/** The text form of runtime/debug.BuildInfo (its String method), as in `go version -m`. */
export function parseModInfo(bytes: Uint8Array): Omit<GoBuildInfo, 'version'> | null {
  const info: Omit<GoBuildInfo, 'version'> = { path: null, main: null, deps: [], settings: {} };
  let last: GoModule | null = null;
  const lines = utf8(bytes).split('\n');
  // Like runtime/debug.ParseBuildInfo, a last line without its newline is ignored.
  lines.pop();
  for (const line of lines) {
    const [word, ...rest] = line.split('\t');
    const text = line.slice((word ?? '').length + 1);
    if (word === 'path') info.path = text;
    else if (word === 'mod' || word === 'dep') {
      const module = moduleLine(rest);
      if (module === null) return null;
      if (word === 'mod') info.main = module;
      else info.deps.push(module);
      last = module;
    } else if (word === '=>') {
      if (rest.length !== 3 || last === null) return null;
      last.replace = { path: rest[0]!, version: rest[1]!, sum: rest[2]! };
      last = null;
    } else if (word === 'build') {
      const setting = buildSetting(text);
      if (setting === null) return null;
      info.settings[setting.key] = setting.value;
    }
  }
  return info;
}

function moduleLine(columns: string[]): GoModule | null {
  if (columns.length !== 2 && columns.length !== 3) return null;
  return { path: columns[0]!, version: columns[1]!, sum: columns[2] ?? '', replace: null };
}

/** `key=value`, where a key or value holding spaces, tabs, quotes or `=` (keys) is a Go quoted string. */
function buildSetting(text: string): { key: string; value: string } | null {
  if (text.length === 0 || text[0] === '=') return null;
  let key: string | null;
  let rawValue: string;
  if (text[0] === '"' || text[0] === '`') {
    const prefix = quotedPrefix(text);
    if (prefix === null || text[prefix.length] !== '=') return null;
    key = goUnquote(prefix);
    rawValue = text.slice(prefix.length + 1);
  } else {
    const equals = text.indexOf('=');
    if (equals < 0) return null;
    key = text.slice(0, equals);
    rawValue = text.slice(equals + 1);
  }
  const value = rawValue[0] === '"' || rawValue[0] === '`' ? goUnquote(rawValue) : rawValue;
  return key === null || value === null ? null : { key, value };
}

/** The quoted Go string literal at the start of `text` (strconv.QuotedPrefix), or null. */
function quotedPrefix(text: string): string | null {
  const quote = text[0];
  for (let index = 1; index < text.length; index++) {
    const char = text[index];
    if (char === quote) return text.slice(0, index + 1);
    if (char === '\\' && quote === '"') index++;
    else if (char === '\n') return null;
  }
  return null;
}

const SIMPLE_ESCAPES: Record<string, number> = {
  a: 7,
  b: 8,
  f: 12,
  n: 10,
  r: 13,
  t: 9,
  v: 11,
  '\\': 92,
  '"': 34,
};

/** strconv.Unquote for the "..." and `...` literals strconv.Quote writes; null when malformed. */
export function goUnquote(literal: string): string | null {
  if (literal.length < 2 || literal.at(-1) !== literal[0]) return null;
  const body = literal.slice(1, -1);
  if (literal[0] === '`') return body.includes('`') ? null : body.replaceAll('\r', '');
  if (literal[0] !== '"') return null;
  const bytes: number[] = [];
  for (let index = 0; index < body.length; ) {
    const char = body[index]!;
    if (char === '"' || char === '\n') return null;
    if (char !== '\\') {
      const codePoint = body.codePointAt(index)!;
      bytes.push(...Buffer.from(String.fromCodePoint(codePoint), 'utf8'));
      index += codePoint > 0xffff ? 2 : 1;
      continue;
    }
    const letter = body[index + 1];
    if (letter === undefined) return null;
    const simple = SIMPLE_ESCAPES[letter];
    if (simple !== undefined) {
      bytes.push(simple);
      index += 2;
    } else if (letter === 'x' || letter === 'u' || letter === 'U') {
      const digits = { x: 2, u: 4, U: 8 }[letter];
      const hex = body.slice(index + 2, index + 2 + digits);
      if (!/^[0-9a-fA-F]+$/.test(hex) || hex.length !== digits) return null;
      const value = Number.parseInt(hex, 16);
      if (letter === 'x') bytes.push(value);
      else if (value > 0x10ffff || (value >= 0xd800 && value < 0xe000)) return null;
      else bytes.push(...Buffer.from(String.fromCodePoint(value), 'utf8'));
      index += 2 + digits;
    } else if (/[0-7]/.test(letter)) {
      const octal = body.slice(index + 1, index + 4);
      if (!/^[0-7]{3}$/.test(octal) || Number.parseInt(octal, 8) > 255) return null;
      bytes.push(Number.parseInt(octal, 8));
      index += 4;
    } else return null;
  }
  return Buffer.from(bytes).toString('utf8');
}

const BUILD_ID_PREFIX = Buffer.from('\xff Go build ID: "', 'latin1');
const BUILD_ID_END = Buffer.from('"\n \xff', 'latin1');
/** cmd/internal/buildid reads this much from the start of the file (and of a Mach-O __text section). */
export const BUILD_ID_SEARCH_SIZE = 32 * 1024;

/**
 * Go's build ID as the linker writes it at the start of the text of PE and Mach-O binaries
 * (`\xff Go build ID: "…"\n \xff`; cmd/internal/buildid readRaw). Null when absent, e.g. after `-ldflags=-buildid=`.
 */
export function findRawGoBuildId(bytes: Uint8Array): string | null {
  const data = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  const start = data.indexOf(BUILD_ID_PREFIX);
  if (start < 0) return null;
  const from = start + BUILD_ID_PREFIX.length;
  const end = data.indexOf(BUILD_ID_END, from);
  if (end < 0) return null;
  const id = goUnquote(`"${latin1(bytes.subarray(from, end))}"`);
  return id === null || id === '' ? null : id;
}
