import { randomBytes } from 'node:crypto';
import { lstat, readdir, rm, statfs, utimes } from 'node:fs/promises';
import path from 'node:path';
import compare from 'semver/functions/compare.js';
import valid from 'semver/functions/valid.js';
import {
  CACHE_DIRECTORY_MODE,
  CACHE_FILE_MODE,
  checkCacheEntries,
  checkCachePath,
  ensureCacheDir,
} from '../../cache-safety.js';
import { type Clock, systemClock } from '../../clock.js';
import { UsageError, XccError } from '../../errors.js';
import {
  isErrnoCode,
  makeDirectory,
  renameFoundTarget,
  renameRetrying,
  writeFileAtomic,
  writeNewFile,
} from '../../fs-atomic.js';
import { type CacheLayout, cacheLayout, type Env, LAYOUT_VERSION, MARKER_FILE, xccHome } from '../../home.js';
import { redactUrls } from '../../redact.js';
import { FILES_MANIFEST, type FilesSummary, type ManifestEntry } from '../verify/install-manifest.js';
import { zigExecutable } from '../verify/zig-binary.js';
import { readMarker } from './marker.js';
import {
  type AcquireOptions,
  createLocker,
  currentHost,
  type Host,
  isProcessAlive,
  type LockHandle,
  type LockOwner,
  type LockTimings,
} from './process-lock.js';

/**
 * The cache of Zig installs: `<root>/zig/<version>/` holds a complete, verified install, or does not
 * exist. Installs are built in a temp dir inside `<root>/tmp/` (same filesystem), get their marker
 * file, and are renamed into place in one step, so a reader never sees a half-written one.
 */

/** Written inside an install before it becomes visible: an install dir without it is not one (home.ts). */
export { MARKER_FILE };
/** Its mtime is the last time xcc used the install (updated at most once a day). */
export const LAST_USED_FILE = '.xcc-last-used';

const DAY_MS = 24 * 60 * 60 * 1000;
const VERSION_PATTERN = /^[0-9A-Za-z][0-9A-Za-z.+_-]*$/;

/** Where an install's bytes came from; the installer fills it in. */
export interface InstallSource {
  /** Zig's name for the host the install runs on, e.g. `x86_64-linux`. */
  host: string;
  /** The source's name: a mirror, `ziglang.org`, `pypi`, `file`... */
  source: string;
  url: string;
  sha256: string;
  /** What the files were when verified (install-manifest.ts); absent in installs of older xcc versions. */
  files?: FilesSummary;
  /** The install's disk usage, when its builder knows it (recordedDiskUsage); else the commit measures it. */
  bytes?: number;
}

export interface InstallMarker extends InstallSource {
  version: string;
  installedAt: string;
  /** Disk usage of the install, measured once before it was committed. */
  bytes: number;
}

export interface ZigInstall {
  version: string;
  dir: string;
  marker: InstallMarker;
}

export interface ListedInstall extends ZigInstall {
  lastUsed: Date;
}

export interface PruneOptions {
  /** Keep this many of the most recently used installs. */
  keep?: number;
  /** Remove only installs not used for this many milliseconds. */
  olderThanMs?: number;
  /** Remove every install, and cache layouts of older xcc versions. */
  all?: boolean;
  dryRun?: boolean;
}

export interface PruneResult {
  removed: Array<{ version: string; bytes: number }>;
  /** Installs that matched but are locked by a live process (being installed or in use). */
  skipped: Array<{ version: string; reason: string }>;
  bytesFreed: number;
  /** Temp dirs of dead processes that were removed. */
  temp: string[];
  /** `<home>/v0`-style directories of older cache layouts (only with `all`). */
  oldLayouts: string[];
  dryRun: boolean;
}

export type EnsureOptions = AcquireOptions;

export interface StoreOptions {
  /** Defaults to `xccHome(env)`. */
  home?: string;
  env?: Env;
  clock?: Clock;
  platform?: NodeJS.Platform;
  host?: Host;
  pid?: number;
  lockTimings?: Partial<LockTimings>;
  /** Temp dirs of other machines sharing the cache are removed only after this long untouched. */
  foreignTempMaxAgeMs?: number;
}

export interface Store {
  readonly layout: CacheLayout;
  installDir(version: string): string;
  /** The complete install of `version`, or undefined. Never blocks on other processes. */
  find(version: string): Promise<ZigInstall | undefined>;
  /** Records that `version` was used; costs one `stat` unless a day has passed since the last record. */
  markUsed(version: string): Promise<void>;
  /** A new empty temp dir inside the cache, to build an install in. */
  stage(): Promise<string>;
  /**
   * Writes the marker into `stage` and renames it into place. If another process committed the same
   * version first, `stage` is deleted and theirs is returned (`committed: false`).
   */
  commit(
    stage: string,
    version: string,
    source: InstallSource,
  ): Promise<{ install: ZigInstall; committed: boolean }>;
  discard(stage: string): Promise<void>;
  lock(key: string, options?: AcquireOptions): Promise<LockHandle>;
  /**
   * The install of `version`, built by `build` in a temp dir if it is missing. Across processes only one
   * builds; the others wait for its lock and then find the install (`built: false`).
   */
  ensure(
    version: string,
    build: (stage: string) => Promise<InstallSource>,
    options?: EnsureOptions,
  ): Promise<{ install: ZigInstall; built: boolean }>;
  list(): Promise<ListedInstall[]>;
  prune(options: PruneOptions): Promise<PruneResult>;
  /** Removes temp dirs whose process is dead; returns their paths. */
  cleanTemp(): Promise<string[]>;
}

export function openStore(options: StoreOptions = {}): Store {
  const home = options.home ?? xccHome(options.env ?? process.env);
  const layout = cacheLayout(home);
  const clock = options.clock ?? systemClock;
  const platform = options.platform ?? process.platform;
  const host = options.host ?? currentHost();
  const pid = options.pid ?? process.pid;
  const foreignMaxAge = options.foreignTempMaxAgeMs ?? DAY_MS;
  const locker = createLocker({
    dir: layout.locks,
    trash: layout.tmp,
    host,
    pid,
    clock,
    timings: options.lockTimings,
  });
  const lockKey = (version: string) => `zig-${checkVersion(version)}`;
  const installDir = (version: string) => path.join(layout.zig, checkVersion(version));

  /** Temp names carry host and pid, so a later run can tell whether their owner is still alive. */
  async function tempDir(kind: 'stage' | 'trash'): Promise<string> {
    const dir = path.join(layout.tmp, `${kind}-${host.tag}-${pid}-${randomBytes(4).toString('hex')}`);
    try {
      await ensureCacheDir(home, layout.tmp);
      await makeDirectory(dir, CACHE_DIRECTORY_MODE);
    } catch (error) {
      throw cacheError(layout.root, error, 'write');
    }
    return dir;
  }

  /** An install is found only where nobody else could have put it, and its zig likewise (it gets run). */
  async function find(version: string): Promise<ZigInstall | undefined> {
    const dir = installDir(version);
    const exists = await checkCachePath(home, dir).catch((error: unknown) => {
      if (isErrnoCode(error, 'ENOENT', 'ENOTDIR')) return false;
      throw error;
    });
    const marker = exists ? await readMarker(dir) : undefined;
    if (marker?.version !== version) return undefined;
    await checkCachePath(home, zigExecutable(dir, platform));
    return { version, dir, marker };
  }

  async function commit(stage: string, version: string, source: InstallSource) {
    const target = installDir(version);
    const marker: InstallMarker = {
      version,
      ...source,
      // Stays on disk and is shown by `xcc ls`: a private mirror's credentials must not.
      url: redactUrls(source.url),
      installedAt: new Date(clock.now()).toISOString(),
      bytes: source.bytes ?? (await diskUsage(stage)),
    };
    await writeFileAtomic(path.join(stage, MARKER_FILE), `${JSON.stringify(marker, null, 2)}\n`, {
      mode: CACHE_FILE_MODE,
    });
    await ensureCacheDir(home, layout.zig);
    for (let attempt = 1; ; attempt++) {
      try {
        await renameRetrying(stage, target, { platform, clock });
        return { install: { version, dir: target, marker }, committed: true };
      } catch (error) {
        // The target exists, so another process won.
        if (!(await renameFoundTarget(error, target, platform))) throw error;
        const theirs = await find(version);
        if (theirs) {
          await discard(stage);
          return { install: theirs, committed: false };
        }
        if (attempt === 2) throw error;
        // A directory without a marker is not an install (left by hand or by an older tool): set it aside.
        await removeDir(target);
      }
    }
  }

  async function discard(stage: string) {
    await rm(stage, { recursive: true, force: true });
  }

  /** Renames `dir` into the trash first, so that it disappears at once, then deletes it. */
  async function removeDir(dir: string) {
    const trash = await tempDir('trash');
    await renameRetrying(dir, path.join(trash, 'removed'), { platform, clock });
    await rm(trash, { recursive: true, force: true });
  }

  /** The lock directory is the first thing an install writes: a cache that cannot be written fails here. */
  async function acquire(key: string, lockOptions?: AcquireOptions): Promise<LockHandle> {
    try {
      await ensureCacheDir(home, layout.tmp);
      await ensureCacheDir(home, layout.locks);
      await checkCacheEntries(home, layout.locks);
      return await locker.acquire(key, lockOptions);
    } catch (error) {
      throw cacheError(layout.root, error, 'write');
    }
  }

  /** Removes what dead processes left in tmp/ (checked first: a link there would lead the removal out). */
  async function cleanTemp(): Promise<string[]> {
    if (!(await checkCachePath(home, layout.tmp))) return [];
    const names = await readdir(layout.tmp).catch((error: unknown) => {
      if (isErrnoCode(error, 'ENOENT')) return [];
      throw error;
    });
    const removed: string[] = [];
    for (const name of names) {
      const dir = path.join(layout.tmp, name);
      if (!(await isAbandoned(name, dir))) continue;
      await rm(dir, { recursive: true, force: true }).then(
        () => removed.push(dir),
        () => undefined, // still in use (Windows) or not ours to delete: try again next time
      );
    }
    return removed;
  }

  async function isAbandoned(name: string, dir: string): Promise<boolean> {
    const match = /^[a-z]+-([0-9a-f]+)-(\d+)-[0-9a-f]+$/.exec(name);
    if (match && match[1] === host.tag) return Number(match[2]) !== pid && !isProcessAlive(Number(match[2]));
    // Another machine's (or unknown) temp dir: its process cannot be asked, so only age tells.
    const info = await lstat(dir).catch(() => undefined);
    return info !== undefined && clock.now() - info.mtimeMs > foreignMaxAge;
  }

  async function lastUsed(install: ZigInstall): Promise<Date> {
    const info = await lstat(path.join(install.dir, LAST_USED_FILE)).catch(() => undefined);
    return info ? info.mtime : new Date(install.marker.installedAt);
  }

  async function list(): Promise<ListedInstall[]> {
    const names = await checkCachePath(home, layout.zig)
      .then((exists) => (exists ? readdir(layout.zig) : []))
      .catch((error: unknown) => {
        if (isErrnoCode(error, 'ENOENT')) return [];
        throw cacheError(layout.root, error, 'read');
      });
    const installs: ListedInstall[] = [];
    for (const name of names.filter((entry) => VERSION_PATTERN.test(entry))) {
      const install = await find(name);
      if (install) installs.push({ ...install, lastUsed: await lastUsed(install) });
    }
    return installs.sort((a, b) => compareVersions(b.version, a.version));
  }

  async function prune(pruneOptions: PruneOptions): Promise<PruneResult> {
    const { all = false, dryRun = false } = pruneOptions;
    if (all && (pruneOptions.keep !== undefined || pruneOptions.olderThanMs !== undefined)) {
      throw new UsageError(
        "prune: removing every version ('all') cannot be combined with 'keep' or 'olderThanMs'",
      );
    }
    const result: PruneResult = { removed: [], skipped: [], bytesFreed: 0, temp: [], oldLayouts: [], dryRun };
    const installs = await list();
    // Lock directories are read, and those of dead holders cleared: none may lead out of the cache.
    await checkCacheEntries(home, layout.locks).catch((error: unknown) => {
      throw cacheError(layout.root, error, 'read');
    });
    for (const install of selectForPrune(installs, pruneOptions, clock.now())) {
      const outcome = dryRun ? await probe(install) : await removeInstall(install);
      if (typeof outcome === 'string') {
        result.skipped.push({ version: install.version, reason: outcome });
        continue;
      }
      result.removed.push({ version: install.version, bytes: install.marker.bytes });
      result.bytesFreed += install.marker.bytes;
    }
    if (!dryRun) result.temp = await cleanTemp();
    if (all) result.oldLayouts = await removeOldLayouts(path.dirname(layout.root), dryRun);
    return result;
  }

  /** For a dry run: would the install be skipped (the reason), or removed (true)? */
  async function probe(install: ZigInstall): Promise<string | true> {
    const owner = await locker.holder(lockKey(install.version));
    return owner ? lockedReason(owner) : true;
  }

  /** Removes an install under its lock; returns the reason when it cannot. */
  async function removeInstall(install: ZigInstall): Promise<string | true> {
    const key = lockKey(install.version);
    const lock = await locker.tryAcquire(key);
    if (!lock) {
      const owner = await locker.holder(key);
      return owner ? lockedReason(owner) : 'locked by another process';
    }
    try {
      await removeDir(install.dir);
      return true;
    } catch (error) {
      // Windows refuses to move a directory while a program inside it runs.
      if (isErrnoCode(error, 'EPERM', 'EACCES', 'EBUSY')) return `in use (${error.code})`;
      throw error;
    } finally {
      await lock.release();
    }
  }

  return {
    layout,
    installDir,
    find,
    commit,
    discard,
    cleanTemp,
    list,
    prune,

    async markUsed(version) {
      const file = path.join(installDir(version), LAST_USED_FILE);
      const now = clock.now();
      const info = await lstat(file).catch(() => undefined);
      if (info && (now - info.mtimeMs < DAY_MS || !info.isFile())) return;
      const when = new Date(now);
      // A read-only cache (a baked image, a shared mount) still works; it just cannot record use.
      await (info ? utimes(file, when, when) : writeNewFile(file, '', CACHE_FILE_MODE)).catch(
        () => undefined,
      );
    },

    stage: () => tempDir('stage'),

    lock: (key, lockOptions) => acquire(key, lockOptions),

    async ensure(version, build, ensureOptions = {}) {
      const cached = await find(version);
      if (cached) return { install: cached, built: false };
      const lock = await acquire(lockKey(version), ensureOptions);
      try {
        // Whoever held the lock before us may have installed it meanwhile.
        const installed = await find(version);
        if (installed) return { install: installed, built: false };
        await cleanTemp();
        const stage = await tempDir('stage');
        try {
          const { install, committed } = await commit(stage, version, await build(stage));
          return { install, built: committed };
        } catch (error) {
          await discard(stage);
          throw isDiskFull(error) ? cacheError(layout.root, error, 'write') : error;
        }
      } finally {
        await lock.release();
      }
    },
  };
}

function checkVersion(version: string): string {
  if (!VERSION_PATTERN.test(version)) {
    throw new XccError(`'${version}' is not a valid zig version to cache (expected something like 0.15.2)`);
  }
  return version;
}

/** No space or quota left: no other source or retry can help, only freeing space or moving the cache. */
export function isDiskFull(error: unknown): error is NodeJS.ErrnoException {
  return isErrnoCode(error, 'ENOSPC', 'EDQUOT');
}

/**
 * The cache directory itself failing (full, read-only, not a directory, under /proc...) is for the user to
 * fix, with XCC_HOME or by freeing space; any other error passes through unchanged.
 */
function cacheError(root: string, error: unknown, access: 'read' | 'write'): unknown {
  if (isDiskFull(error)) {
    return new XccError(
      `no space left for the xcc cache in ${root} (${error.code}); free some space ('xcc prune --keep 1' removes older Zig versions) or set XCC_HOME to a directory on a larger disk`,
      { cause: error },
    );
  }
  if (!isErrnoCode(error, 'EACCES', 'EPERM', 'EROFS', 'ENOTDIR', 'ENOENT')) return error;
  return new XccError(
    `cannot ${access} the xcc cache in ${root} (${error.code}); set XCC_HOME to a ${access === 'write' ? 'writable ' : ''}directory`,
    { cause: error },
  );
}

function lockedReason(owner: LockOwner): string {
  return `in use by pid ${owner.pid} on ${owner.hostname}`;
}

/** Which installs a prune removes: all; or those beyond the `keep` most recent AND unused for long. */
export function selectForPrune(
  installs: ListedInstall[],
  options: PruneOptions,
  now: number,
): ListedInstall[] {
  if (options.all) return installs;
  const { keep, olderThanMs } = options;
  if (keep === undefined && olderThanMs === undefined) return [];
  const byRecency = [...installs].sort((a, b) => b.lastUsed.getTime() - a.lastUsed.getTime());
  return byRecency.filter(
    (install, index) =>
      (keep === undefined || index >= keep) &&
      (olderThanMs === undefined || now - install.lastUsed.getTime() > olderThanMs),
  );
}

async function removeOldLayouts(home: string, dryRun: boolean): Promise<string[]> {
  const names = await readdir(home).catch(() => []);
  const old = names
    .filter((name) => /^v\d+$/.test(name) && name !== LAYOUT_VERSION)
    .map((name) => path.join(home, name));
  if (!dryRun) await Promise.all(old.map((dir) => rm(dir, { recursive: true, force: true })));
  return old;
}

function compareVersions(a: string, b: string): number {
  const semverPair = valid(a) && valid(b);
  return semverPair ? compare(a, b) : a.localeCompare(b);
}

/**
 * The disk usage of an install whose every entry is recorded, estimated from the record without a walk
 * (lstat of Zig's 19,000 entries cost 0.6 s of an install): each file and symlink rounded up to the file
 * system's block size, one block per directory, plus the record itself. Within 1% of `du` for Zig 0.15.2
 * on ext4 (a large directory takes more than one block; a hard link is counted twice).
 */
export async function recordedDiskUsage(dir: string, entries: readonly ManifestEntry[]): Promise<number> {
  const { bsize } = await statfs(dir);
  let total = (await lstat(path.join(dir, FILES_MANIFEST))).blocks * 512;
  for (const [, mode, size] of entries) {
    total += mode.startsWith('40') ? bsize : Math.ceil(size / bsize) * bsize;
  }
  return total;
}

/**
 * Bytes on disk (allocated blocks where the platform reports them), counting hard links once. Done once
 * per install, at commit, when the builder did not know it: walking Zig's ~19,000 files takes about a
 * second, too slow for every `xcc ls`.
 */
export async function diskUsage(dir: string, seen = new Set<string>()): Promise<number> {
  const entries = await readdir(dir, { withFileTypes: true });
  const infos = await Promise.all(entries.map((entry) => lstat(path.join(dir, entry.name))));
  let total = 0;
  for (const [index, entry] of entries.entries()) {
    const info = infos[index]!;
    if (!entry.isDirectory() && info.nlink > 1) {
      const id = `${info.dev}:${info.ino}`;
      if (seen.has(id)) continue;
      seen.add(id);
    }
    total += info.blocks > 0 || info.size === 0 ? info.blocks * 512 : info.size;
    if (entry.isDirectory()) total += await diskUsage(path.join(dir, entry.name), seen);
  }
  return total;
}
