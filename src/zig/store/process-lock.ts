import { randomBytes } from 'node:crypto';
import { utimes } from 'node:fs/promises';
import path from 'node:path';
import { CACHE_DIRECTORY_MODE } from '../../cache-safety.js';
import { type Clock, systemClock } from '../../clock.js';
import { makeDirectory } from '../../fs-atomic.js';
import {
  breakLock,
  isFree,
  type LockOwner,
  placeLock,
  readLock,
  releaseLock,
  removeEmptyLock,
} from './lock-dir.js';
import { type HeartbeatWatch, isGone, judgeHolder } from './lock-staleness.js';
import { currentHost, type Host } from './machine.js';

export type { LockOwner } from './lock-dir.js';
export { currentHost, type Host, isProcessAlive } from './machine.js';

/**
 * Cross-process locks for the cache: a directory `<locks>/<key>.lock/` holding one file,
 * `owner-<token>.json` (pid, host, random token).
 *
 * Taking a lock renames a complete directory (made in the scratch directory, owner file inside) into
 * place. rename(2) fails on a non-empty target on every local filesystem and on NFS, so one process at
 * most wins, and nobody ever sees a lock without its owner.
 *
 * Releasing or breaking a lock unlinks the owner file by its name, then removes the emptied directory.
 * The name carries the owner's token, so the unlink is a compare-and-delete: a waiter that judged the
 * holder dead from an older look can only remove that holder's file, never the lock of whoever took it
 * next. (Renaming the whole directory away, as this once did, could move a new holder's lock: with many
 * waiters, two of them ended up holding it.) An empty lock directory is free: rmdir removes it, or the
 * next holder's rename replaces it.
 *
 * A holder is dead when either
 * - it runs on this machine (same hostname, boot and PID namespace) and its PID is gone: detected at
 *   once, which is what makes `kill -9` recovery immediate; or
 * - its heartbeat stopped: the holder touches its owner file every `heartbeatMs`, and a waiter that sees
 *   the same mtime for `staleMs` of its *own monotonic* clock takes over. Comparing the file's mtime
 *   with itself, never with the waiter's wall clock, makes this immune to clock skew between machines
 *   sharing the cache over NFS; it also covers a PID that the OS has reused for another process.
 * The heartbeat is read through a freshly opened file handle, so NFS close-to-open consistency hands
 * the waiter current attributes rather than a cached copy.
 *
 * The parts: lock-dir.ts (the directory protocol and owner records), lock-staleness.ts (when a holder
 * counts as dead), machine.ts (host identity, PID liveness); `createLocker` adds keys, heartbeats and the
 * waiting loop.
 */

export interface LockTimings {
  /** How often a waiter looks at the lock again. */
  pollMs: number;
  /** How often the holder proves it is alive. */
  heartbeatMs: number;
  /** How long a heartbeat may stand still before the holder counts as dead. */
  staleMs: number;
}

export const DEFAULT_LOCK_TIMINGS: LockTimings = { pollMs: 200, heartbeatMs: 5_000, staleMs: 60_000 };

export interface LockWait {
  key: string;
  /** Undefined when the owner file cannot be read: not written by xcc, or damaged. */
  owner: LockOwner | undefined;
}

export interface AcquireOptions {
  signal?: AbortSignal;
  /** Called when waiting starts and whenever the holder changes ("waiting for pid N"). */
  onWait?: (wait: LockWait) => void;
}

export interface LockHandle {
  key: string;
  release(): Promise<void>;
}

export interface LockerOptions {
  /** Where lock directories live. */
  dir: string;
  /** Scratch directory on the same filesystem, for renaming dead locks away. */
  trash: string;
  host?: Host;
  pid?: number;
  clock?: Clock;
  platform?: NodeJS.Platform;
  timings?: Partial<LockTimings>;
}

export interface Locker {
  acquire(key: string, options?: AcquireOptions): Promise<LockHandle>;
  /** The lock if it is free right now (a dead holder's lock counts as free); never waits. */
  tryAcquire(key: string): Promise<LockHandle | undefined>;
  /** Who holds `key`, if anyone alive seems to: a read-only look for reports and dry runs. */
  holder(key: string): Promise<LockOwner | undefined>;
}

const KEY_PATTERN = /^[0-9A-Za-z][0-9A-Za-z.+_-]*$/;

export function createLocker(options: LockerOptions): Locker {
  const host = options.host ?? currentHost();
  const pid = options.pid ?? process.pid;
  const clock = options.clock ?? systemClock;
  const timings = { ...DEFAULT_LOCK_TIMINGS, ...options.timings };
  const platform = options.platform ?? process.platform;
  const lockDir = (key: string) => {
    if (!KEY_PATTERN.test(key)) throw new Error(`invalid lock key '${key}'`);
    return path.join(options.dir, `${key}.lock`);
  };

  const self = { hostTag: host.tag, pid };

  /** Takes the lock if nobody holds it; undefined when somebody does. */
  async function create(key: string): Promise<LockHandle | undefined> {
    const dir = lockDir(key);
    const owner: LockOwner = {
      pid,
      hostname: host.name,
      hostTag: host.tag,
      token: randomBytes(8).toString('hex'),
      acquiredAt: new Date(clock.now()).toISOString(),
    };
    await makeDirectory(options.dir, CACHE_DIRECTORY_MODE);
    // Named like the store's temp dirs, so that its cleanup removes one left by a process killed here.
    const candidate = path.join(options.trash, `lock-${host.tag}-${pid}-${randomBytes(4).toString('hex')}`);
    await makeDirectory(candidate, CACHE_DIRECTORY_MODE);
    const ownerFile = await placeLock(dir, candidate, owner, platform);
    if (ownerFile === undefined) return undefined;
    const beat = setInterval(() => {
      const now = new Date(clock.now());
      utimes(ownerFile, now, now).catch(() => undefined);
    }, timings.heartbeatMs);
    beat.unref();
    return {
      key,
      async release() {
        clearInterval(beat);
        await releaseLock(ownerFile);
      },
    };
  }

  return {
    async acquire(key, { signal, onWait } = {}) {
      const dir = lockDir(key);
      let heartbeat: HeartbeatWatch | undefined;
      let announced: string | undefined;
      for (;;) {
        signal?.throwIfAborted();
        const handle = await create(key);
        if (handle) return handle;
        // Held: watch the holder (without trying to take the lock at every look) until it goes or dies.
        for (;;) {
          const state = await readLock(dir);
          if (isFree(state)) {
            // An empty directory that cannot be removed yet (Windows: still open) is not worth a busy loop.
            if (state && !(await removeEmptyLock(dir))) await clock.sleep(timings.pollMs, signal);
            break;
          }
          const look = judgeHolder(
            state,
            heartbeat,
            clock.monotonic(),
            timings.staleMs,
            isGone(state.owner, self),
          );
          heartbeat = look.watch;
          if (look.dead) {
            await breakLock(dir, state);
            heartbeat = undefined;
            break;
          }
          const who = state.owner?.token ?? '';
          if (announced !== who) {
            announced = who;
            onWait?.({ key, owner: state.owner });
          }
          await clock.sleep(timings.pollMs * (0.5 + clock.random()), signal);
        }
      }
    },

    async tryAcquire(key) {
      const handle = await create(key);
      if (handle) return handle;
      const dir = lockDir(key);
      const state = await readLock(dir);
      if (!isFree(state) && !isGone(state.owner, self)) return undefined;
      if (state) await breakLock(dir, state);
      return create(key);
    },

    async holder(key) {
      const owner = (await readLock(lockDir(key)))?.owner;
      return isGone(owner, self) ? undefined : owner;
    },
  };
}
