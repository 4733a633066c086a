import { randomBytes } from 'node:crypto';
import { lstat, readdir, rm, utimes } from 'node:fs/promises';
import path from 'node:path';
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
import { type CacheLayout, cacheLayout, type Env, MARKER_FILE, xccHome } from '../../home.js';
import { compareVersions, isVersion } from '../../resolve/version-order.js';
import { zigExecutable } from '../verify/zig-binary.js';
import { cacheError, isDiskFull } from './cache-errors.js';
import { diskUsage } from './disk-usage.js';
import { type InstallMarker, type InstallSource, newMarker, readMarker } from './marker.js';
import {
  type AcquireOptions,
  createLocker,
  currentHost,
  type Host,
  type LockHandle,
  type LockTimings,
} from './process-lock.js';
import {
  lockedReason,
  type PruneOptions,
  type PruneResult,
  removeOldLayouts,
  selectForPrune,
} from './prune.js';
import { removeAbandonedTemp, tempName } from './temp-entries.js';

/**
 * The cache of Zig installs: `<root>/zig/<version>/` holds a complete, verified install, or does not
 * exist. Installs are built in a temp dir inside `<root>/tmp/` (same filesystem), get their marker
 * file, and are renamed into place in one step, so a reader never sees a half-written one.
 *
 * `openStore` composes the parts beside it: marker.ts (what makes a directory an install), temp-entries.ts
 * (naming and clearing out `tmp/`), prune.ts (what a prune picks), disk-usage.ts, cache-errors.ts (a
 * cache the user must fix), and process-lock.ts (the cross-process lock).
 */

export { isDiskFull } from './cache-errors.js';
export { diskUsage, recordedDiskUsage } from './disk-usage.js';
export { type InstallMarker, type InstallSource, MARKER_FILE } from './marker.js';
export { type PruneOptions, type PruneResult, selectForPrune } from './prune.js';
/** Its mtime is the last time xcc used the install (updated at most once a day). */
export const LAST_USED_FILE = '.xcc-last-used';

const DAY_MS = 24 * 60 * 60 * 1000;
const VERSION_PATTERN = /^[0-9A-Za-z][0-9A-Za-z.+_-]*$/;

export interface ZigInstall {
  version: string;
  dir: string;
  marker: InstallMarker;
}

export interface ListedInstall extends ZigInstall {
  lastUsed: Date;
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

  const self = { hostTag: host.tag, pid };

  async function tempDir(kind: 'stage' | 'trash'): Promise<string> {
    const dir = path.join(layout.tmp, tempName(kind, self, randomBytes(4).toString('hex')));
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
    const bytes = source.bytes ?? (await diskUsage(stage));
    const marker = newMarker(version, source, new Date(clock.now()), bytes);
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

  /** Removes what dead processes left in tmp/ (temp-entries.ts). */
  function cleanTemp(): Promise<string[]> {
    return removeAbandonedTemp({
      home,
      tmp: layout.tmp,
      self,
      now: clock.now(),
      foreignMaxAgeMs: foreignMaxAge,
    });
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
    return installs.sort((a, b) => compareInstallNames(b.version, a.version));
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

/**
 * The order of `xcc ls`: by version precedence when both are versions (every install xcc makes), else by
 * name, since a directory name in the cache need only be a safe name (VERSION_PATTERN).
 */
function compareInstallNames(a: string, b: string): number {
  return isVersion(a) && isVersion(b) ? compareVersions(a, b) : a.localeCompare(b);
}
