import { lstat, readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { checkCachePath } from '../../cache-safety.js';
import { isErrnoCode } from '../../fs-atomic.js';
import { isProcessAlive } from './machine.js';

/**
 * The entries of the cache's `tmp/`: stages being built, trash being deleted, lock candidates. Their names
 * carry host tag and pid, so that a later run can tell whether their owner is still alive and remove
 * what a killed process left.
 */

/** `<kind>-<host tag>-<pid>-<random hex>`. */
export function tempName(kind: string, self: { hostTag: string; pid: number }, random: string): string {
  return `${kind}-${self.hostTag}-${self.pid}-${random}`;
}

/**
 * What a temp entry's name says of its owner: `dead` (a process of this machine, not the asking one,
 * that is gone), `alive`, or `foreign` (another machine's, or a name xcc does not write): its process
 * cannot be asked, so only the entry's age can tell.
 */
export function tempOwner(
  name: string,
  self: { hostTag: string; pid: number },
  isAlive: (pid: number) => boolean = isProcessAlive,
): 'dead' | 'alive' | 'foreign' {
  const match = /^[a-z]+-([0-9a-f]+)-(\d+)-[0-9a-f]+$/.exec(name);
  if (!match || match[1] !== self.hostTag) return 'foreign';
  const pid = Number(match[2]);
  return pid !== self.pid && !isAlive(pid) ? 'dead' : 'alive';
}

/**
 * Removes what dead processes left in `tmp` and foreign entries untouched for `foreignMaxAgeMs`; returns
 * their paths. `tmp` is checked first (cache-safety.ts): a link there would lead the removal out.
 */
export async function removeAbandonedTemp(options: {
  home: string;
  tmp: string;
  self: { hostTag: string; pid: number };
  now: number;
  foreignMaxAgeMs: number;
}): Promise<string[]> {
  const { home, tmp, self, now, foreignMaxAgeMs } = options;
  if (!(await checkCachePath(home, tmp))) return [];
  const names = await readdir(tmp).catch((error: unknown) => {
    if (isErrnoCode(error, 'ENOENT')) return [];
    throw error;
  });
  const removed: string[] = [];
  for (const name of names) {
    const dir = path.join(tmp, name);
    const owner = tempOwner(name, self);
    if (owner === 'alive') continue;
    if (owner === 'foreign') {
      const info = await lstat(dir).catch(() => undefined);
      if (info === undefined || now - info.mtimeMs <= foreignMaxAgeMs) continue;
    }
    await rm(dir, { recursive: true, force: true }).then(
      () => removed.push(dir),
      () => undefined, // still in use (Windows) or not ours to delete: try again next time
    );
  }
  return removed;
}
