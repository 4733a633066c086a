import { readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { LAYOUT_VERSION } from '../../home.js';
import type { LockOwner } from './process-lock.js';
import type { ListedInstall } from './store.js';

/** What a prune picks and reports; the store does the removing, each install under its lock. */

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

/** `<home>/v0`-style directories of older cache layouts; removed unless `dryRun`. */
export async function removeOldLayouts(home: string, dryRun: boolean): Promise<string[]> {
  const names = await readdir(home).catch(() => []);
  const old = names
    .filter((name) => /^v\d+$/.test(name) && name !== LAYOUT_VERSION)
    .map((name) => path.join(home, name));
  if (!dryRun) await Promise.all(old.map((dir) => rm(dir, { recursive: true, force: true })));
  return old;
}

export function lockedReason(owner: LockOwner): string {
  return `in use by pid ${owner.pid} on ${owner.hostname}`;
}
