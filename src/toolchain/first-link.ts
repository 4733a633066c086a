import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Target } from '../resolve/index.js';

/**
 * The first build for a target is slow: zig builds the target's C library (musl's libc.a, glibc's stub
 * objects, the mingw-w64 CRT), compiler-rt and the crt objects at the first link, minutes on a small
 * machine, and `go build` prints nothing meanwhile. Zig's cache does not say which targets it holds (its
 * entries are named by hashes of their inputs), so the wrappers leave a mark of their own in it: after
 * a link through them succeeds, they make the directory `xcc-linked/<key>` in zig's cache. Before a
 * build, xcc looks for it and, when it is missing, says in one line what the wait will be and how to do
 * it ahead (`xcc install --prewarm`).
 *
 * The mark lives in zig's cache, so it goes when the cache goes. It is a directory rather than a file
 * because `mkdir` never follows a planted link to truncate a file, and nothing is read from it: it
 * decides whether a line is printed, no more.
 */
export const FIRST_LINK_DIR = 'xcc-linked';

/**
 * The mark's name inside zig's cache. The C library zig builds depends on the zig version, the triple
 * (with its glibc version) and the CPU, so those make the name; two toolchains that share them (another
 * sysroot, another xcc version) share the mark, as they share the library. Spelt out rather than hashed:
 * readable in the cache, and no `node:crypto` on the warm `xcc env` path.
 */
export function firstLinkMark(zigVersion: string, target: Pick<Target, 'zigTarget' | 'zigCpu'>): string {
  const name = [zigVersion, target.zigTarget, target.zigCpu ?? 'baseline'].join('_');
  return `${FIRST_LINK_DIR}/${name.replace(/[^A-Za-z0-9._+-]/g, '-')}`;
}

/**
 * Whether the next build through this toolchain is the target's first (no link through its wrappers has
 * succeeded with this zig cache). Windows hosts have .cmd wrappers, which leave no mark: never there.
 */
export function firstLinkPending(
  toolchain: {
    zig: { version: string };
    target: Pick<Target, 'zigTarget' | 'zigCpu'>;
    env: Record<string, string>;
  },
  platform: NodeJS.Platform = process.platform,
): boolean {
  const zigCache = toolchain.env.ZIG_GLOBAL_CACHE_DIR;
  if (platform === 'win32' || zigCache === undefined) return false;
  return !existsSync(path.join(zigCache, firstLinkMark(toolchain.zig.version, toolchain.target)));
}
