import { lstat, readdir, readlink, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { UsageError } from '../errors.js';
import { debianMultiarch, type Target } from '../resolve/index.js';
import { directoryQuirk } from './directory-quirks.js';
import type { Quirk } from './quirks.js';

/**
 * A sysroot (`--sysroot DIR`): a tree of the target system's own files, typically the distribution's
 * packages for the target unpacked into one directory (README, "Target system libraries"). Its headers
 * are searched after zig's libc headers and its libraries are linked; pkg-config is pointed at it.
 *
 * Not clang's `--sysroot`, nor `-isystem`: both would put the distribution's libc headers before zig's,
 * and zig's libc (its headers, its glibc stubs of the version asked for) must win for libc itself.
 *
 * Everything in the tree may be hostile or just foreign: the links in it are resolved inside it, as if it
 * were `/` (Debian's `libz.so -> /lib/aarch64-linux-gnu/libz.so.1.2.13`), never on the host, and a link
 * that climbs out of it is not followed.
 */

/** Where a sysroot keeps what xcc uses, resolved inside it; only directories that exist. */
export interface SysrootLayout {
  root: string;
  /** `-idirafter`, in search order: `usr/include/<triple>`, `usr/include`. */
  include: string[];
  /** `-L`, in search order: `lib/<triple>`, `usr/lib/<triple>`, `usr/lib`, `lib` (a merged /usr counts once). */
  lib: string[];
  /** pkg-config's search path: `usr/lib/<triple>/pkgconfig`, `usr/lib/pkgconfig`, `usr/share/pkgconfig`. */
  pkgconfig: string[];
  /**
   * What the layout and the libraries' links depend on: the directories found and when each library
   * directory last changed (ctime: unpacking another package changes it, whatever mtimes the archive
   * carries). The toolchain records it; a different stamp provisions again.
   */
  stamp: string;
}

/** The directory of a toolchain that holds the linker scripts of libraryScripts (`-L`, before the sysroot's). */
export const SYSROOT_LIBS = 'sysroot-libs';

/** Links followed in one resolution before it counts as a loop, as Linux's ELOOP. */
const MAX_LINKS = 40;

/**
 * The sysroot as given, before anything is downloaded: a directory (absolute by now, see resolveTarget),
 * and a path that pkg-config's `:`-separated lists can hold (split there, a part of it could name a host
 * directory) and zig's dependency files too (no line break).
 */
export async function checkSysroot(root: string): Promise<void> {
  if (/[\r\n:]/.test(root)) {
    throw new UsageError(
      (spelling) =>
        `${spelling ?? 'sysroot'} ${JSON.stringify(root)}: a colon or line break in the path, which pkg-config's search paths and zig's dependency files cannot hold; move the sysroot to a plainer path`,
      { option: 'sysroot' },
    );
  }
  const info = await stat(root).catch(() => undefined);
  if (!info?.isDirectory()) {
    throw new UsageError(
      (spelling) =>
        `${spelling ?? 'sysroot'} ${root}: ${info === undefined ? 'no such directory' : 'not a directory'}; give the root of a tree holding the target's usr/include and usr/lib (README: "Target system libraries")`,
      { option: 'sysroot' },
    );
  }
}

/** The layout of a target's sysroot; refuses one that has none of the directories looked for. */
export async function sysrootLayout(
  target: Pick<Target, 'goarch' | 'zigTarget'>,
  root: string,
): Promise<SysrootLayout> {
  const triple = debianMultiarch(target)?.triple;
  const find = async (candidates: string[]) => {
    const found: string[] = [];
    for (const candidate of candidates) {
      const dir = await resolveInside(root, candidate, 'directory');
      if (dir !== undefined && !found.includes(dir)) found.push(dir);
    }
    return found;
  };
  const multiarch = (dir: string) => (triple === undefined ? [] : [`${dir}/${triple}`]);
  const include = await find([...multiarch('usr/include'), 'usr/include']);
  const lib = await find([...multiarch('lib'), ...multiarch('usr/lib'), 'usr/lib', 'lib']);
  const pkgconfig = await find([
    ...multiarch('usr/lib').map((dir) => `${dir}/pkgconfig`),
    'usr/lib/pkgconfig',
    'usr/share/pkgconfig',
  ]);
  if (include.length === 0 && lib.length === 0) {
    throw new UsageError(
      (spelling) =>
        `${spelling ?? 'sysroot'} ${root}: no usr/include, usr/lib or lib in it; give the root of the tree (the directory that holds usr/), not a directory inside it`,
      { option: 'sysroot' },
    );
  }
  const changed = await Promise.all(
    lib.map(async (dir) => `${dir}@${(await stat(dir, { bigint: true })).ctimeNs}`),
  );
  const stamp = JSON.stringify({ include, lib: changed, pkgconfig });
  return { root, include, lib, pkgconfig, stamp };
}

/**
 * `relative` (a path inside `root`) with every link in it resolved inside `root`: an absolute link target
 * starts again from `root`, `..` never climbs above it. Undefined when the path does not exist, is not of
 * the `kind` asked for, climbs out (`..` at the root), or loops.
 */
export async function resolveInside(
  root: string,
  relative: string,
  kind: 'file' | 'directory',
): Promise<string | undefined> {
  const pending = relative.split('/').filter((part) => part !== '' && part !== '.');
  const resolved: string[] = [];
  let links = 0;
  while (pending.length > 0) {
    const part = pending.shift()!;
    if (part === '..') {
      if (resolved.length === 0) return undefined;
      resolved.pop();
      continue;
    }
    const here = path.join(root, ...resolved, part);
    const info = await lstat(here).catch(() => undefined);
    if (info === undefined) return undefined;
    if (info.isSymbolicLink()) {
      if (++links > MAX_LINKS) return undefined;
      const target = await readlink(here);
      if (target.startsWith('/')) resolved.length = 0;
      pending.unshift(...target.split('/').filter((step) => step !== '' && step !== '.'));
      continue;
    }
    if (pending.length > 0 && !info.isDirectory()) return undefined;
    resolved.push(part);
  }
  const found = path.join(root, ...resolved);
  const info = await stat(found).catch(() => undefined);
  if (kind === 'directory' ? !info?.isDirectory() : !info?.isFile()) return undefined;
  return found;
}

/**
 * Linker scripts for the libraries whose links the linker would follow out of the sysroot (or not at
 * all), by name (`libz.so`): zig reads `libz.so` found by `-lz` in the scripts' directory, which comes
 * first, as this script and links the file it names, the link resolved inside the sysroot. Only names
 * `-lNAME` finds (`libNAME.so`, `libNAME.a`), and for each name the first library directory where it
 * resolves inside the sysroot; a name whose link the host resolves to that same file needs nothing.
 */
export async function libraryScripts(layout: SysrootLayout): Promise<Map<string, string>> {
  const links = new Map<string, string>();
  const decided = new Set<string>();
  for (const dir of layout.lib) {
    const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
    for (const entry of entries) {
      if (decided.has(entry.name) || !/^lib.+\.(so|a)$/.test(entry.name)) continue;
      const file = path.join(dir, entry.name);
      const inside = await resolveInside(layout.root, path.relative(layout.root, file), 'file');
      if (inside === undefined) continue;
      decided.add(entry.name);
      if (!entry.isSymbolicLink()) continue;
      // Compared as real paths: the sysroot itself may be reached through a link.
      const onHost = await realpath(file).catch(() => undefined);
      if (onHost === undefined || onHost !== (await realpath(inside))) links.set(entry.name, inside);
    }
  }
  const scripts = new Map<string, string>();
  for (const [name, file] of links) {
    const input = await scriptInput(file, layout, links);
    if (input !== undefined)
      scripts.set(
        name,
        `/* Written by xcc: the sysroot's link, resolved inside the sysroot. */\nINPUT(${input})\n`,
      );
  }
  return scripts;
}

/**
 * A word zig's linker-script reader takes as one file name: it has no quotes, so no blanks, parentheses,
 * braces or comment starts.
 */
const SCRIPT_WORD = /^[^\s(){}"'*,;]+$/;

/**
 * How a script names `file`: its path, or where that cannot be written (a sysroot path with a blank),
 * its bare name, which zig looks up in the library directories in order, when the first one that has it
 * is the file's own; else undefined (no script: that one library stays as the sysroot has it).
 */
async function scriptInput(
  file: string,
  layout: SysrootLayout,
  scripted: Map<string, string>,
): Promise<string | undefined> {
  if (SCRIPT_WORD.test(file)) return file;
  const name = path.basename(file);
  if (!SCRIPT_WORD.test(name) || scripted.has(name)) return undefined;
  for (const dir of layout.lib) {
    if ((await stat(path.join(dir, name)).catch(() => undefined)) !== undefined)
      return dir === path.dirname(file) ? name : undefined;
  }
  return undefined;
}

/** The wrapper flags of a sysroot: its headers after zig's, its libraries (the scripts first) on links. */
export function sysrootQuirks(layout: SysrootLayout, scripts: string): Quirk[] {
  const quirk = directoryQuirk('test/toolchain/sysroot.test.ts');
  return [
    quirk(
      'sysroot-headers',
      layout.include.flatMap((dir) => ['-idirafter', dir]),
      "searches the sysroot's headers after zig's libc headers",
    ),
    // -L only on links: zig warns about library directories on a compile.
    quirk(
      'sysroot-libraries',
      [`-L${scripts}`, ...layout.lib.map((dir) => `-L${dir}`)],
      "links the sysroot's libraries, the links that point outside it through scripts",
      'link',
    ),
  ];
}

/**
 * pkg-config (pkgconf, or freedesktop's) for the target: only the sysroot's `.pc` files, the paths in them
 * prefixed with the sysroot, and the host's PKG_CONFIG_PATH cleared. The sysroot's own include and
 * library directories count as system ones, so their `-I` and `-L` are left out: an `-I<sysroot>/usr/include`
 * would put the distribution's libc headers before zig's, and the wrappers already search both. Listed
 * with and without the sysroot prefix: pkgconf compares the prefixed path, pkg-config the one in the file.
 * `empty`: a directory without `.pc` files, for a sysroot that has none of its own (an empty
 * PKG_CONFIG_LIBDIR would mean pkg-config's default, the host's).
 */
export function pkgConfigEnv(layout: SysrootLayout, empty: string): Record<string, string> {
  const unprefixed = (dirs: string[]) => dirs.map((dir) => `/${path.relative(layout.root, dir)}`);
  const system = (dirs: string[]) => [...dirs, ...unprefixed(dirs)].join(':');
  return {
    PKG_CONFIG_SYSROOT_DIR: layout.root,
    PKG_CONFIG_LIBDIR: (layout.pkgconfig.length > 0 ? layout.pkgconfig : [empty]).join(':'),
    PKG_CONFIG_PATH: '',
    PKG_CONFIG_SYSTEM_INCLUDE_PATH: system(layout.include),
    PKG_CONFIG_SYSTEM_LIBRARY_PATH: system(layout.lib),
  };
}

/** The names pkgConfigEnv sets, for `xcc env --unset`. */
export const PKG_CONFIG_VARIABLES = [
  'PKG_CONFIG_SYSROOT_DIR',
  'PKG_CONFIG_LIBDIR',
  'PKG_CONFIG_PATH',
  'PKG_CONFIG_SYSTEM_INCLUDE_PATH',
  'PKG_CONFIG_SYSTEM_LIBRARY_PATH',
];
