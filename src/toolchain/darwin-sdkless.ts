import { execFile } from 'node:child_process';
import { readdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { CACHE_DIRECTORY_MODE, CACHE_FILE_MODE, checkCachePath, ensureCacheDir } from '../cache-safety.js';
import { UsageError } from '../errors.js';
import { isErrnoCode, makeDirectory, renameFoundTarget, renameRetrying, writeNewFile } from '../fs-atomic.js';
import { cacheLayout, type Env } from '../home.js';
import { crypto } from '../lazy-crypto.js';
import {
  collectDarwinImports,
  type GoSourceFile,
  goMinimumMacos,
  isLinkableSource,
  parseKnownPorts,
  renderTbd,
  stubFile,
  ZIG_SHIPPED_LIBRARY,
} from './darwin-stubs.js';
import type { Quirk } from './quirks.js';

/**
 * The cached side of darwin-stubs.ts: stubs generated once per Go version from that Go's own source, in
 * `<home>/v1/darwin-stubs/<go version>/`, for the wrappers of a darwin target built without a macOS SDK.
 */
export interface DarwinStubs {
  /** The directory the wrappers pass as `-F` and `-L` when they link. */
  dir: string;
  goVersion: string;
  /** Go's own minimum macOS (LC_BUILD_VERSION of its internal linker), when its source says. */
  minMacos: string | undefined;
  /** Stub file (relative to `dir`) by install name. */
  stubs: Record<string, string>;
}

const MANIFEST = 'stubs.json';
/** Bumped when the stubs' text or layout changes, so that older generated directories are not reused. */
const STUBS_FORMAT = 1;
const DARWIN_GOARCHES = ['amd64', 'arm64'];

/** `go env GOROOT GOVERSION` of the Go that will build; a missing Go is input the user must fix. */
export async function goRoot(env: Env): Promise<{ goroot: string; goVersion: string }> {
  const output = await new Promise<string>((resolve, reject) => {
    execFile(
      'go',
      ['env', 'GOROOT', 'GOVERSION'],
      { env: { ...env }, timeout: 60_000, encoding: 'utf8' },
      (error, stdout) => (error ? reject(error) : resolve(stdout)),
    );
  }).catch((error: unknown) => {
    throw new UsageError(
      `a darwin target needs Go on PATH (xcc reads Go's minimum macOS and, for a build without a macOS SDK, the symbols Go imports from Apple's libraries in its source): ${error instanceof Error ? error.message.split('\n')[0] : String(error)}; install Go or put it on PATH`,
    );
  });
  const [goroot = '', goVersion = ''] = output.split('\n').map((line) => line.trim());
  if (!path.isAbsolute(goroot) || goVersion === '') {
    throw new UsageError(
      `go env printed no GOROOT and GOVERSION (${JSON.stringify(output)}); check the Go on PATH`,
    );
  }
  return { goroot, goVersion };
}

/** A directory name for a Go version: `go1.26.8` as it is, anything else (devel builds) made safe and hashed. */
export function stubsDirName(goVersion: string): string {
  if (/^go\d+(\.\d+)*((rc|beta)\d+)?$/.test(goVersion)) return goVersion;
  const hash = crypto().createHash('sha256').update(goVersion).digest('hex').slice(0, 12);
  return `${goVersion.replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 40)}-${hash}`;
}

/** The stubs for the Go that `env` finds, generated into the cache on first use. */
export async function ensureDarwinStubs(options: { home: string; env: Env }): Promise<DarwinStubs> {
  const { home, env } = options;
  const { goroot, goVersion } = await goRoot(env);
  const layout = cacheLayout(home);
  const dir = path.join(layout.darwinStubs, stubsDirName(goVersion));
  const cached = await readStubs(home, dir, goVersion);
  if (cached) return cached;

  const generated = await generateStubs(goroot);
  await ensureCacheDir(home, layout.tmp);
  const stage = path.join(
    layout.tmp,
    `darwin-stubs-${process.pid}-${crypto().randomBytes(4).toString('hex')}`,
  );
  await makeDirectory(stage, CACHE_DIRECTORY_MODE);
  try {
    for (const [file, text] of Object.entries(generated.files)) {
      await makeDirectory(path.dirname(path.join(stage, file)), CACHE_DIRECTORY_MODE);
      await writeNewFile(path.join(stage, file), text, CACHE_FILE_MODE);
    }
    const manifest = {
      format: STUBS_FORMAT,
      go: goVersion,
      minMacos: generated.minMacos ?? null,
      stubs: generated.stubs,
    };
    await writeNewFile(path.join(stage, MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`, CACHE_FILE_MODE);
    await ensureCacheDir(home, layout.darwinStubs);
    await renameRetrying(stage, dir).catch(async (error: unknown) => {
      // Another process generated the same stubs first: theirs are as good as ours.
      if (!(await renameFoundTarget(error, dir))) throw error;
    });
  } finally {
    await rm(stage, { recursive: true, force: true });
  }
  const written = await readStubs(home, dir, goVersion);
  if (!written) throw new Error(`the darwin stubs in ${dir} are not readable after writing them`);
  return written;
}

/** A complete stub directory (its manifest is written last, before the rename), checked like the rest of the cache. */
async function readStubs(home: string, dir: string, goVersion: string): Promise<DarwinStubs | undefined> {
  const exists = await checkCachePath(home, path.join(dir, MANIFEST)).catch((error: unknown) => {
    if (isErrnoCode(error, 'ENOENT', 'ENOTDIR')) return false;
    throw error;
  });
  if (!exists) return undefined;
  try {
    const manifest = JSON.parse(await readFile(path.join(dir, MANIFEST), 'utf8')) as {
      format: number;
      go: string;
      minMacos: string | null;
      stubs: Record<string, string>;
    };
    if (manifest.format !== STUBS_FORMAT || manifest.go !== goVersion) return undefined;
    return { dir, goVersion, minMacos: manifest.minMacos ?? undefined, stubs: manifest.stubs };
  } catch {
    return undefined;
  }
}

/** Reads the GOROOT's sources and renders a stub for each library zig does not ship. */
async function generateStubs(goroot: string): Promise<{
  files: Record<string, string>;
  stubs: Record<string, string>;
  minMacos: string | undefined;
}> {
  const src = path.join(goroot, 'src');
  const ports = parseKnownPorts(await readFile(path.join(src, 'internal/syslist/syslist.go'), 'utf8'));
  const sources = await readGoSources(src);
  const symbols = new Map<string, Set<string>>();
  for (const goarch of DARWIN_GOARCHES) {
    for (const [library, names] of collectDarwinImports(sources, goarch, ports)) {
      const set = symbols.get(library) ?? new Set<string>();
      for (const name of names) set.add(name);
      symbols.set(library, set);
    }
  }
  const files: Record<string, string> = {};
  const stubs: Record<string, string> = {};
  for (const [library, names] of [...symbols].sort(([a], [b]) => (a < b ? -1 : 1))) {
    if (library === ZIG_SHIPPED_LIBRARY) continue;
    const file = stubFile(library);
    if (file === undefined) {
      throw new Error(`Go imports from ${library}, a library path xcc cannot lay out as a stub`);
    }
    files[file] = renderTbd(library, [...names].sort());
    stubs[library] = file;
  }
  const machoGo = await readFile(path.join(src, 'cmd/link/internal/ld/macho.go'), 'utf8').catch(() => '');
  return { files, stubs, minMacos: goMinimumMacos(machoGo) };
}

/** Every linkable `.go` file below `src` that mentions a dynamic import (others are not kept in memory). */
async function readGoSources(src: string): Promise<GoSourceFile[]> {
  const files: GoSourceFile[] = [];
  const walk = async (relative: string): Promise<void> => {
    for (const entry of await readdir(path.join(src, relative), { withFileTypes: true })) {
      const child = relative === '' ? entry.name : `${relative}/${entry.name}`;
      if (entry.isDirectory()) {
        if (child !== 'cmd' && entry.name !== 'testdata') await walk(child);
      } else if (entry.isFile() && isLinkableSource(child)) {
        const text = await readFile(path.join(src, child), 'utf8');
        if (text.includes('//go:cgo_import_dynamic')) files.push({ path: child, text });
      }
    }
  };
  await walk('');
  return files;
}

/**
 * The zig triple with Go's minimum macOS as the OS version (`aarch64-macos.12.0-none`), with or without an
 * SDK: zig 0.15.2 writes its own default (13.0) into LC_BUILD_VERSION otherwise, and ignores
 * `-mmacosx-version-min`; a binary that says 13.0 refuses to start on macOS 12, which Go 1.26 supports.
 */
export function minimumMacosTriple(zigTarget: string, stubs: Pick<DarwinStubs, 'minMacos'>): string {
  if (stubs.minMacos === undefined) return zigTarget;
  const [arch, os, ...rest] = zigTarget.split('-');
  return [arch, `${os!.split('.')[0]}.${stubs.minMacos}`, ...rest].join('-');
}

/**
 * What the wrappers add to every link (never a compile: `-L` there is an unused argument, an error under
 * runtime/cgo's -Werror): the stub directory as a framework (`-F`) and library (`-L`) search path.
 */
export function sdklessQuirk(stubs: Pick<DarwinStubs, 'dir'>): Quirk {
  return {
    id: 'darwin-sdkless-stubs',
    zig: '*',
    tools: ['cc', 'c++'],
    action: 'add',
    when: 'link',
    args: [`-F${stubs.dir}`, `-L${stubs.dir}`],
    reason: "links Go's imports from Apple's libraries against stubs generated from its source",
    evidence: 'test/toolchain/darwin-sdkless.test.ts',
  };
}

/**
 * Without an SDK zig has macOS's libc headers and no framework's: C that includes `<IOKit/IOKitLib.h>`
 * stops at clang's "'IOKit/IOKitLib.h' file not found", and this line after it says what is missing.
 * Apple's frameworks are capitalised (`CoreFoundation/`, `IOKit/`, `Security/`); a header in a lowercase
 * directory (`openssl/ssl.h`) is some other library's, which an SDK would not bring either.
 */
export const FRAMEWORK_HEADER_HINT: Quirk = {
  id: 'darwin-sdkless-framework-headers',
  zig: '*',
  tools: ['cc', 'c++'],
  action: 'hint',
  args: ['[A-Z]*/*'],
  answer:
    "xcc: '{header}' is a framework header, and a darwin target without a macOS SDK has only libc's headers (and stubs of what Go itself imports): give xcc an SDK with --macos-sdk /path/to/MacOSX.sdk or SDKROOT",
  reason: 'says that a missing framework header needs a macOS SDK, and how to pass one',
  evidence: 'test/toolchain/darwin-sdkless.test.ts',
};
