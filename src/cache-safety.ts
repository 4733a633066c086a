import type { Stats } from 'node:fs';
import { chmod, lstat, readdir, readlink, realpath } from 'node:fs/promises';
import path from 'node:path';
import { XccError } from './errors.js';
import { isErrnoCode, makeDirectory } from './fs-atomic.js';
import { cacheLayout } from './home.js';
import { shQuote } from './toolchain/render.js';

/**
 * The cache is trusted only as far as nobody else could have written it. xcc runs the zig it finds there
 * (through the wrappers) and deletes what it finds in tmp/, so before it reads, writes or cleans anything
 * it checks every directory from the home down to what it touches, as ssh's StrictModes does for keys:
 * - no symlinks below the home (xcc makes none; one planted at v1/tmp would send the clean-up of old temp
 *   dirs into the directory it points at). The home itself may be reached through links: it is the
 *   user's setting, like ~/.cache on another disk;
 * - owned by the user or by root (a cache baked into an image by root is fine);
 * - not writable by group or others. Group-writable entries that the user owns and whose group is the
 *   user's own primary group are what xcc itself left under a umask of 002 (the default with user
 *   private groups on Debian, Ubuntu, Fedora): those are repaired (chmod g-w) rather than refused, so
 *   that such caches keep working. A foreign group, or a world write bit, is refused.
 * The ownership and mode checks are POSIX-only (Windows has no uid or mode bits). A path that was checked
 * is not checked again in this process: once every directory above it is the user's alone, nobody else
 * can change it.
 *
 * Everything xcc creates in the cache gets these modes whatever the umask: readable by all (a cache that
 * root prepares can serve every user), writable by its owner alone.
 */
export const CACHE_DIRECTORY_MODE = 0o755;
export const CACHE_FILE_MODE = 0o644;
export const CACHE_EXECUTABLE_MODE = 0o755;

/** A cache that someone else could have written to: the user must fix it (exit 2). */
export class UnsafeCacheError extends XccError {
  override name = 'UnsafeCacheError';
  /** What is wrong, and the fix (the message is both: `<problem>; <fix>`), for `xcc doctor`. */
  readonly problem: string;
  readonly fix: string;

  constructor(problem: string, fix: string) {
    super(`${problem}; ${fix}`, { exitCode: 2 });
    this.problem = problem;
    this.fix = fix;
  }
}

const checked = new Set<string>();

/**
 * Checks the cache's own directories (the home, `v1` and each directory of the layout that exists) and
 * the path from the home down to `target`, if given. Returns whether `target` (else the home) exists;
 * errors from the file system (ENOTDIR where a directory is expected) pass through for the caller to word.
 */
export async function checkCachePath(home: string, target?: string): Promise<boolean> {
  return walk(home, target, false);
}

/** `checkCachePath` for a directory and each entry in it (a directory of wrappers that builds run). */
export async function checkCacheEntries(home: string, dir: string): Promise<boolean> {
  if (!(await checkCachePath(home, dir))) return false;
  for (const name of await readdir(dir)) await checkCachePath(home, path.join(dir, name));
  return true;
}

/** `checkCachePath` for a directory that must exist: what is missing is created with CACHE_DIRECTORY_MODE. */
export async function ensureCacheDir(home: string, dir: string): Promise<void> {
  await walk(home, dir, true);
}

async function walk(home: string, target: string | undefined, create: boolean): Promise<boolean> {
  const root = path.resolve(home);
  const relative = target === undefined ? '' : path.relative(root, path.resolve(target));
  if (relative.startsWith('..') || path.isAbsolute(relative)) {
    throw new Error(`${target} is not inside the xcc cache ${root}`);
  }
  const real = await realHome(root, create);
  if (real === undefined) return false;
  await checkLayout(root, real);
  let shown = root;
  let current = real;
  for (const segment of relative.split(path.sep).filter(Boolean)) {
    shown = path.join(shown, segment);
    current = path.join(current, segment);
    if (!(await checkEntry(root, shown, current, create))) return false;
  }
  return true;
}

/** The home, links on its way resolved, checked; undefined when it does not exist and is not to be made. */
async function realHome(home: string, create: boolean): Promise<string | undefined> {
  const real = await realpath(home).catch(async (error: unknown) => {
    if ((await lstatOrMake(error, home, create)) === undefined) return undefined;
    return realpath(home);
  });
  if (real === undefined) return undefined;
  if (!checked.has(real)) {
    const info = await lstat(real);
    if (!info.isDirectory()) throw notADirectory(home);
    await checkOwnerAndMode(home, home, real, info);
    checked.add(real);
  }
  return real;
}

/** The directories every command may clean or read: any planted link among them is refused at once. */
async function checkLayout(home: string, real: string): Promise<void> {
  const layout = cacheLayout(home);
  const below = [
    layout.zig,
    layout.tmp,
    layout.locks,
    layout.meta,
    layout.toolchains,
    layout.zigCache,
    layout.darwinStubs,
    layout.wine,
  ];
  if (!(await checkEntry(home, layout.root, path.join(real, path.basename(layout.root)), false))) return;
  for (const dir of below) {
    await checkEntry(home, dir, path.join(real, path.relative(home, dir)), false);
  }
}

/**
 * After a look at `dir` failed with `error`: a directory that does not exist is made when `create` says so
 * (and looked at again: made now, or by another process meanwhile, it is checked all the same), else
 * undefined; any other error is thrown.
 */
async function lstatOrMake(error: unknown, dir: string, create: boolean): Promise<Stats | undefined> {
  if (!isErrnoCode(error, 'ENOENT')) throw error;
  if (!create) return undefined;
  await makeDirectory(dir, CACHE_DIRECTORY_MODE);
  return lstat(dir);
}

/** Checks one entry below the home (`shown` is how the user knows it); false when it does not exist. */
async function checkEntry(home: string, shown: string, real: string, create: boolean): Promise<boolean> {
  if (checked.has(real)) return true;
  const info = await lstat(real).catch((error: unknown) => lstatOrMake(error, real, create));
  if (info === undefined) return false;
  if (info.isSymbolicLink()) {
    const to = await readlink(real).catch(() => '?');
    throw new UnsafeCacheError(
      `${shown} is a symlink (to ${to}), which xcc never makes: cleaning the cache would follow it out`,
      `remove it (rm ${shQuote(shown)}) or set XCC_HOME to another directory`,
    );
  }
  await checkOwnerAndMode(home, shown, real, info);
  checked.add(real);
  return true;
}

async function checkOwnerAndMode(home: string, shown: string, real: string, info: Stats): Promise<void> {
  const user = currentUser();
  if (user === undefined) return;
  if (info.uid !== user.uid && info.uid !== 0) {
    throw new UnsafeCacheError(
      `${shown} is owned by uid ${info.uid}, not by you (uid ${user.uid}) or root: its owner could plant a zig that xcc runs`,
      'remove it, or set XCC_HOME to a directory of your own',
    );
  }
  const mode = info.mode & 0o7777;
  const octal = `0${mode.toString(8)}`;
  if (mode & 0o002) {
    throw new UnsafeCacheError(
      `${shown} is writable by others (mode ${octal}): anyone could plant a zig that xcc runs`,
      `run chmod -R go-w ${shQuote(home)} if nobody else used it, else remove the cache`,
    );
  }
  if (!(mode & 0o020)) return;
  // An old umask of 002 with a user private group: the user's own group, so the user's own doing.
  if (info.uid === user.uid && info.gid === user.gid) {
    try {
      await chmod(real, mode & ~0o022);
      return;
    } catch (error) {
      if (isErrnoCode(error, 'EROFS')) return; // nobody can write it then
    }
  }
  throw new UnsafeCacheError(
    `${shown} is writable by group ${info.gid} (mode ${octal}): its members could plant a zig that xcc runs`,
    `run chmod -R g-w ${shQuote(home)} if they never used it, else set XCC_HOME to a directory of your own`,
  );
}

function currentUser(): { uid: number; gid: number } | undefined {
  return typeof process.getuid === 'function' && typeof process.getgid === 'function'
    ? { uid: process.getuid(), gid: process.getgid() }
    : undefined;
}

/** The same error mkdir or readdir gives, so that callers word it as they word a file in the way. */
function notADirectory(dir: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`ENOTDIR: not a directory, '${dir}'`), { code: 'ENOTDIR', path: dir });
}
