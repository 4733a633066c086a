/**
 * macOS without an SDK: Go's standard library names every symbol it imports from Apple's libraries in its
 * own source, as `//go:cgo_import_dynamic <local> <symbol> "<install name>"` lines (crypto/x509 from
 * CoreFoundation and Security, net from libresolv, the runtime and syscall from libSystem). Zig ships
 * libSystem's text-based stub (`.tbd`) but no framework; stubs listing those symbols under the right
 * install names let zig link a cgo program, and on the Mac the real libraries provide them, as for a
 * pure-Go darwin binary, whose internal linker imports the same symbols from the same paths.
 *
 * Pure functions over source text, so that each Go release gets the list its own source declares.
 */

/** The Go port list of a GOROOT (`src/internal/syslist/syslist.go`): names that are build constraints. */
export interface KnownPorts {
  os: ReadonlySet<string>;
  arch: ReadonlySet<string>;
  /** The GOOS values the `unix` tag matches. */
  unix: ReadonlySet<string>;
}

/** Reads `KnownOS`, `KnownArch` and `UnixOS` from syslist.go; a table missing from the file is a plain error. */
export function parseKnownPorts(syslist: string): KnownPorts {
  const table = (name: string): Set<string> => {
    const body = new RegExp(`var ${name} = map\\[string\\]bool\\{([^}]*)\\}`).exec(syslist)?.[1];
    if (body === undefined) throw new Error(`syslist.go has no ${name} table`);
    return new Set([...body.matchAll(/"([a-z0-9]+)":\s*true/g)].map((match) => match[1]!));
  };
  return { os: table('KnownOS'), arch: table('KnownArch'), unix: table('UnixOS') };
}

/**
 * Whether go/build would take `fileName` for darwin/`goarch` by its `_GOOS`, `_GOARCH` or `_GOOS_GOARCH`
 * suffix (the part before the first `_` never counts: `darwin.go` has no constraint).
 */
export function fileNameMatches(fileName: string, goarch: string, ports: KnownPorts): boolean {
  const stem = fileName.replace(/\..*$/s, '').replace(/_test$/, '');
  const underscore = stem.indexOf('_');
  if (underscore < 0) return true;
  const parts = stem.slice(underscore).split('_');
  const last = parts.at(-1)!;
  const before = parts.at(-2);
  if (before !== undefined && ports.os.has(before) && ports.arch.has(last))
    return before === 'darwin' && last === goarch;
  if (ports.os.has(last)) return last === 'darwin';
  if (ports.arch.has(last)) return last === goarch;
  return true;
}

/**
 * Whether a file's `//go:build` expression can hold for darwin/`goarch`. GOOS, GOARCH and `unix` are
 * decided; any other tag (race, cgo, purego, goexperiment.*, go1.N) may go either way, so a file counts
 * unless the known tags alone rule it out: a stub that lists one symbol too many costs nothing (a binary
 * imports only what it references), one that misses a symbol fails the link.
 */
export function buildConstraintAllows(source: string, goarch: string, ports: KnownPorts): boolean {
  const expression = buildLine(source);
  if (expression === undefined) return true;
  const tag = (name: string): boolean | undefined => {
    if (name === 'darwin' || name === 'unix' || name === goarch) return true;
    if (ports.os.has(name) || ports.arch.has(name)) return false;
    return undefined;
  };
  return evaluate(expression, tag) !== false;
}

/** The `//go:build` expression, which must come before the package clause. */
function buildLine(source: string): string | undefined {
  for (const line of source.split('\n')) {
    const text = line.trim();
    if (text.startsWith('//go:build ')) return text.slice('//go:build '.length);
    if (text.startsWith('package ')) return undefined;
  }
  return undefined;
}

/** Kleene three-valued logic over `||`, `&&`, `!` and parentheses: undefined is "either". */
function evaluate(expression: string, tag: (name: string) => boolean | undefined): boolean | undefined {
  const tokens = expression.match(/\|\||&&|!|\(|\)|[A-Za-z0-9_.]+/g) ?? [];
  let at = 0;
  const or = (): boolean | undefined => {
    let value = and();
    while (tokens[at] === '||') {
      at++;
      const right = and();
      value =
        value === true || right === true ? true : value === false && right === false ? false : undefined;
    }
    return value;
  };
  const and = (): boolean | undefined => {
    let value = not();
    while (tokens[at] === '&&') {
      at++;
      const right = not();
      value =
        value === false || right === false ? false : value === true && right === true ? true : undefined;
    }
    return value;
  };
  const not = (): boolean | undefined => {
    if (tokens[at] === '!') {
      at++;
      const value = not();
      return value === undefined ? undefined : !value;
    }
    if (tokens[at] === '(') {
      at++;
      const value = or();
      if (tokens[at] === ')') at++;
      return value;
    }
    const name = tokens[at++];
    return name === undefined ? undefined : tag(name);
  };
  return or();
}

export interface DynamicImport {
  /** The symbol as the library exports it, without the Mach-O underscore: `CFArrayGetCount`. */
  symbol: string;
  /** The install name: `/System/Library/Frameworks/CoreFoundation.framework/Versions/A/CoreFoundation`. */
  library: string;
}

/**
 * The `//go:cgo_import_dynamic local remote "library"` lines of one file. Lines without a library (the
 * race runtime's, resolved from whatever is linked) and the two-word form (`_ _ "lib"`, which only forces
 * a dependency) name no symbol to stub.
 */
export function dynamicImports(source: string): DynamicImport[] {
  const imports: DynamicImport[] = [];
  for (const match of source.matchAll(/^\/\/go:cgo_import_dynamic +(\S+) +(\S+) +"([^"]+)"[ \t]*$/gm)) {
    const [, , symbol, library] = match;
    if (symbol === '_') continue;
    imports.push({ symbol: symbol!, library: library! });
  }
  return imports;
}

/** A Go source file below `$GOROOT/src`, by its path relative to there (`/`-separated). */
export interface GoSourceFile {
  path: string;
  text: string;
}

/**
 * Whether a file under `$GOROOT/src` can be compiled into a user's darwin program at all: not a test,
 * not in testdata, not ignored by go/build (`_x.go`, `.x.go`), and not under `cmd/`, Go's own tools,
 * which no program imports.
 */
export function isLinkableSource(relative: string): boolean {
  const parts = relative.split('/');
  const name = parts.at(-1)!;
  return (
    name.endsWith('.go') &&
    !name.endsWith('_test.go') &&
    !name.startsWith('_') &&
    !name.startsWith('.') &&
    parts[0] !== 'cmd' &&
    !parts.includes('testdata')
  );
}

/** Symbols imported by darwin/`goarch` builds, by install name, each list sorted. */
export function collectDarwinImports(
  files: readonly GoSourceFile[],
  goarch: string,
  ports: KnownPorts,
): Map<string, string[]> {
  const byLibrary = new Map<string, Set<string>>();
  for (const file of files) {
    if (!isLinkableSource(file.path) || !file.text.includes('//go:cgo_import_dynamic')) continue;
    if (!fileNameMatches(file.path.split('/').at(-1)!, goarch, ports)) continue;
    if (!buildConstraintAllows(file.text, goarch, ports)) continue;
    for (const { symbol, library } of dynamicImports(file.text)) {
      const symbols = byLibrary.get(library) ?? new Set<string>();
      symbols.add(symbol);
      byLibrary.set(library, symbols);
    }
  }
  return new Map(
    [...byLibrary].sort(([a], [b]) => (a < b ? -1 : 1)).map(([lib, set]) => [lib, [...set].sort()]),
  );
}

/** The one library zig ships a stub of: its `lib/libc/darwin/libSystem.tbd`. */
export const ZIG_SHIPPED_LIBRARY = '/usr/lib/libSystem.B.dylib';

/**
 * Where a stub for `installName` must lie below the stub directory for zig to find it: frameworks as
 * `<Name>.framework/<Name>.tbd` (searched with `-F DIR`, for `-framework Name`), libraries as
 * `lib<name>.tbd` (searched with `-L DIR`, for `-l<name>`; `/usr/lib/libresolv.9.dylib` is `-lresolv`).
 * Undefined for a path of neither shape.
 */
export function stubFile(installName: string): string | undefined {
  const framework =
    /^\/System\/Library\/Frameworks\/([A-Za-z0-9_]+)\.framework\/(?:Versions\/[A-Z]\/)?\1$/.exec(installName);
  if (framework) return `${framework[1]}.framework/${framework[1]}.tbd`;
  const library = /^\/usr\/lib\/lib([A-Za-z0-9_+-]+?)(?:\.[0-9][0-9.]*)?\.dylib$/.exec(installName);
  if (library) return `lib${library[1]}.tbd`;
  return undefined;
}

/** The zig architectures of the darwin ports, as text-based stubs name their targets. */
export const STUB_TARGETS = ['x86_64-macos', 'arm64-macos'] as const;

/**
 * A text-based stub, format v4 (as zig's own libSystem.tbd): the install name and the exported symbols
 * with Mach-O's leading underscore, for both darwin architectures. Symbols are quoted when YAML would
 * not take them bare (`$INODE64` suffixes).
 */
export function renderTbd(installName: string, symbols: readonly string[]): string {
  const targets = `[ ${STUB_TARGETS.join(', ')} ]`;
  const names = symbols.map((symbol) => yamlScalar(`_${symbol}`));
  return [
    '--- !tapi-tbd',
    'tbd-version:     4',
    `targets:         ${targets}`,
    `install-name:    ${yamlScalar(installName)}`,
    'exports:',
    `  - targets:         ${targets}`,
    `    symbols:         [ ${names.join(', ')} ]`,
    '...',
    '',
  ].join('\n');
}

function yamlScalar(text: string): string {
  return /^[A-Za-z0-9_]+$/.test(text) ? text : `'${text.replaceAll("'", "''")}'`;
}

/**
 * The minimum macOS Go's internal linker writes into LC_BUILD_VERSION (12.0 for Go 1.26), from the
 * GOROOT's `src/cmd/link/internal/ld/macho.go` (`version = 12<<16 | 0<<8 | 0<<0`); undefined when that
 * line is not found (zig's default then applies).
 */
export function goMinimumMacos(machoGo: string): string | undefined {
  const match = /version = (\d+)<<16 \| (\d+)<<8 \| (\d+)<<0/.exec(machoGo);
  if (!match) return undefined;
  const [, major, minor, patch] = match;
  return patch === '0' ? `${major}.${minor}` : `${major}.${minor}.${patch}`;
}
