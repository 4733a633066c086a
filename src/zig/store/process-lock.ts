import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, readlinkSync } from 'node:fs';
import { open, readdir, rename, rm, rmdir, stat, unlink, utimes } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { CACHE_DIRECTORY_MODE, CACHE_FILE_MODE } from '../../cache-safety.js';
import { type Clock, systemClock } from '../../clock.js';
import { isErrnoCode, makeDirectory, renameFoundTarget, writeNewFile } from '../../fs-atomic.js';

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

/** Which machine (and PID namespace) a process runs on: only there does a PID mean anything. */
export interface Host {
  name: string;
  /** Short digest of hostname, boot id and PID namespace; used in lock files and temp dir names. */
  tag: string;
}

export interface LockOwner {
  pid: number;
  hostname: string;
  hostTag: string;
  token: string;
  acquiredAt: string;
}

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

/** `owner-<token>.json`; the bare `owner.json` of earlier builds is read too, so their locks are not ignored. */
const OWNER_FILE_PATTERN = /^owner(-[0-9a-f]+)?\.json$/;
const KEY_PATTERN = /^[0-9A-Za-z][0-9A-Za-z.+_-]*$/;

let thisHost: Host | undefined;

export function currentHost(): Host {
  thisHost ??= hostOf(os.hostname(), linuxIdentity());
  return thisHost;
}

function hostOf(name: string, identity: string): Host {
  return { name, tag: createHash('sha256').update(`${name}\n${identity}`).digest('hex').slice(0, 10) };
}

/** Boot id and PID namespace: two containers or two boots with the same hostname differ here. */
function linuxIdentity(): string {
  const attempt = (read: () => string) => {
    try {
      return read().trim();
    } catch {
      return '';
    }
  };
  return [
    attempt(() => readFileSync('/proc/sys/kernel/random/boot_id', 'utf8')),
    attempt(() => readlinkSync('/proc/self/ns/pid')),
  ].join('\n');
}

/** `kill(pid, 0)` delivers nothing; it only asks whether the process exists (EPERM: yes, not ours). */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return !isErrnoCode(error, 'ESRCH');
  }
}

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
    const name = `owner-${owner.token}.json`;
    await makeDirectory(options.dir, CACHE_DIRECTORY_MODE);
    // Named like the store's temp dirs, so that its cleanup removes one left by a process killed here.
    const candidate = path.join(options.trash, `lock-${host.tag}-${pid}-${randomBytes(4).toString('hex')}`);
    await makeDirectory(candidate, CACHE_DIRECTORY_MODE);
    try {
      await writeNewFile(path.join(candidate, name), `${JSON.stringify(owner)}\n`, CACHE_FILE_MODE);
      await rename(candidate, dir);
    } catch (error) {
      await rm(candidate, { recursive: true, force: true });
      if (await renameFoundTarget(error, dir, platform)) return undefined;
      throw error;
    }
    const ownerFile = path.join(dir, name);
    const beat = setInterval(() => {
      const now = new Date(clock.now());
      utimes(ownerFile, now, now).catch(() => undefined);
    }, timings.heartbeatMs);
    beat.unref();
    return {
      key,
      async release() {
        clearInterval(beat);
        try {
          await unlink(ownerFile);
        } catch (error) {
          // Gone: a waiter judged us dead (a stopped heartbeat) and the lock is someone else's now.
          if (isErrnoCode(error, 'ENOENT')) return;
          throw error;
        }
        await removeEmpty(dir);
      },
    };
  }

  /** rmdir, which only ever removes an empty (free) lock; false when it could not. */
  async function removeEmpty(dir: string): Promise<boolean> {
    try {
      await rmdir(dir);
      return true;
    } catch (error) {
      // Not empty: a new holder's rename replaced it. Gone: another waiter removed it. Windows: in use.
      if (isErrnoCode(error, 'ENOTEMPTY', 'EEXIST', 'ENOENT', 'EBUSY', 'EPERM', 'EACCES')) return false;
      throw error;
    }
  }

  /** Removes a dead holder's lock; whatever the race, only that holder's file can go. */
  async function breakLock(dir: string, state: LockState): Promise<void> {
    if (state.file !== undefined) {
      await unlink(path.join(dir, state.file)).catch((error: unknown) => {
        if (!isErrnoCode(error, 'ENOENT')) throw error;
      });
    } else {
      // No owner file, only files xcc never writes, unchanged for `staleMs`: clear them out.
      await Promise.all(
        state.others.map((name) => rm(path.join(dir, name), { recursive: true, force: true })),
      );
    }
    await removeEmpty(dir);
  }

  /** Certain death: a process of this machine whose PID no longer exists. */
  function isGone(owner: LockOwner | undefined): boolean {
    return (
      owner !== undefined && owner.hostTag === host.tag && owner.pid !== pid && !isProcessAlive(owner.pid)
    );
  }

  return {
    async acquire(key, { signal, onWait } = {}) {
      const dir = lockDir(key);
      let heartbeat: { stamp: string; since: number } | undefined;
      let announced: string | undefined;
      for (;;) {
        signal?.throwIfAborted();
        const handle = await create(key);
        if (handle) return handle;
        // Held: watch the holder (without trying to take the lock at every look) until it goes or dies.
        for (;;) {
          const state = await inspect(dir);
          if (isFree(state)) {
            // An empty directory that cannot be removed yet (Windows: still open) is not worth a busy loop.
            if (state && !(await removeEmpty(dir))) await clock.sleep(timings.pollMs, signal);
            break;
          }
          if (heartbeat?.stamp !== state.stamp) heartbeat = { stamp: state.stamp, since: clock.monotonic() };
          if (isGone(state.owner) || clock.monotonic() - heartbeat.since >= timings.staleMs) {
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
      const state = await inspect(dir);
      if (!isFree(state) && !isGone(state.owner)) return undefined;
      if (state) await breakLock(dir, state);
      return create(key);
    },

    async holder(key) {
      const owner = (await inspect(lockDir(key)))?.owner;
      return isGone(owner) ? undefined : owner;
    },
  };
}

/** No lock, or an empty directory: a holder between removing its owner file and the directory. */
function isFree(state: LockState | undefined): state is undefined | (LockState & { file: undefined }) {
  return state === undefined || (state.file === undefined && state.others.length === 0);
}

interface LockState {
  /** The owner file's name; undefined when there is none (an empty directory is a free lock). */
  file: string | undefined;
  owner: LockOwner | undefined;
  /** Anything else in the directory, such as NFS's `.nfsXXXX` while a reader still has a file open. */
  others: string[];
  /** Changes whenever the holder shows a sign of life (its heartbeat or a new owner). */
  stamp: string;
}

/** Who holds the lock and their heartbeat, or undefined when there is no lock (any more, or just now). */
async function inspect(dir: string): Promise<LockState | undefined> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (error) {
    if (isErrnoCode(error, 'ENOENT')) return undefined;
    throw error;
  }
  const file = names.find((name) => OWNER_FILE_PATTERN.test(name));
  const others = names.filter((name) => name !== file);
  if (file === undefined) {
    const info = await stat(dir).catch(() => undefined);
    return info && { file, owner: undefined, others, stamp: `dir:${info.mtimeMs}:${others.join('/')}` };
  }
  try {
    const handle = await open(path.join(dir, file), 'r');
    try {
      const { mtimeMs, size } = await handle.stat();
      const text = await handle.readFile('utf8');
      return { file, owner: parseOwner(text), others, stamp: `${file}:${mtimeMs}:${size}` };
    } finally {
      await handle.close();
    }
  } catch (error) {
    // Released or broken between the listing and the open: the caller looks again.
    if (isErrnoCode(error, 'ENOENT')) return undefined;
    throw error;
  }
}

function parseOwner(text: string): LockOwner | undefined {
  try {
    const value = JSON.parse(text) as Partial<LockOwner>;
    return typeof value.pid === 'number' && typeof value.token === 'string'
      ? (value as LockOwner)
      : undefined;
  } catch {
    return undefined;
  }
}
