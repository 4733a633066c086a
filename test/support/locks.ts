import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { LockOwner } from '../../src/zig/store/process-lock.js';

// Helpers for the cross-process lock tests: a pid that is certainly dead, and a lock file planted as an
// owner (alive, dead, on another host) would have left it.

/** The pid of a process that has certainly exited. */
export function deadPid(): number {
  return spawnSync(process.execPath, ['-e', '0']).pid;
}

/**
 * A lock as a holder leaves it in `locks`: `<key>.lock/` with the owner's `owner-<token>.json` (or `file`,
 * such as the `owner.json` of earlier builds). The owner is another machine's unless `owner` says
 * otherwise. Returns the lock directory.
 */
export function plantLock(locks: string, key: string, owner: Partial<LockOwner> = {}, file?: string): string {
  const dir = path.join(locks, `${key}.lock`);
  mkdirSync(dir, { recursive: true });
  const full: LockOwner = {
    pid: 1,
    hostname: 'elsewhere',
    hostTag: 'e1e1e1e1e1',
    token: 'a1a1a1a1a1a1a1a1',
    acquiredAt: '',
    ...owner,
  };
  writeFileSync(path.join(dir, file ?? `owner-${full.token}.json`), JSON.stringify(full));
  return dir;
}
