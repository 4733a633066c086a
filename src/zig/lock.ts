import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, readlinkSync } from 'node:fs';
import { mkdir, open, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { type Clock, systemClock } from '../clock.js';
import { isErrnoCode, makeDirectory, renameRetrying } from '../fs-atomic.js';

/**
 * Cross-process locks for the cache: a directory `<locks>/<key>.lock/` made with `mkdir` (atomic on
 * every local filesystem and on NFS), holding `owner.json` (pid, host, random token).
 *
 * A holder is dead when either
 * - it runs on this machine (same hostname, boot and PID namespace) and its PID is gone: detected at
 *   once, which is what makes `kill -9` recovery immediate; or
 * - its heartbeat stopped: the holder touches owner.json every `heartbeatMs`, and a waiter that sees
 *   the same mtime for `staleMs` of its *own monotonic* clock takes over. Comparing the file's mtime
 *   with itself, never with the waiter's wall clock, makes this immune to clock skew between machines
 *   sharing the cache over NFS; it also covers a PID that the OS has reused for another process.
 * The heartbeat is read through a freshly opened file handle, so NFS close-to-open consistency hands
 * the waiter current attributes rather than a cached copy.
 *
 * Takeover renames the dead lock away (only one waiter's rename can succeed) and puts it back if, in
 * between, it turned out to belong to a new, live holder.
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
  /** Undefined while the holder is between creating the lock and writing who it is. */
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

const OWNER_FILE = 'owner.json';
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
  const renameOptions = { platform: options.platform ?? process.platform, clock };
  const lockDir = (key: string) => {
    if (!KEY_PATTERN.test(key)) throw new Error(`invalid lock key '${key}'`);
    return path.join(options.dir, `${key}.lock`);
  };

  async function create(key: string): Promise<LockHandle | undefined> {
    const dir = lockDir(key);
    await makeDirectory(options.dir);
    try {
      await mkdir(dir);
    } catch (error) {
      if (isErrnoCode(error, 'EEXIST')) return undefined;
      throw error;
    }
    const owner: LockOwner = {
      pid,
      hostname: host.name,
      hostTag: host.tag,
      token: randomBytes(8).toString('hex'),
      acquiredAt: new Date(clock.now()).toISOString(),
    };
    const ownerFile = path.join(dir, OWNER_FILE);
    await writeFile(ownerFile, `${JSON.stringify(owner)}\n`);
    const beat = setInterval(() => {
      const now = new Date(clock.now());
      utimes(ownerFile, now, now).catch(() => undefined);
    }, timings.heartbeatMs);
    beat.unref();
    return {
      key,
      async release() {
        clearInterval(beat);
        const current = await inspect(dir);
        // Only remove what is still ours: after a (wrong) takeover the directory is someone else's.
        if (current?.owner?.token !== owner.token) return;
        // A lock that cannot be removed (Windows, a waiter's handle open too long) must not fail the work
        // done under it: it is taken over as soon as this process has exited.
        await discard(dir).catch(() => undefined);
      },
    };
  }

  /** Renames `dir` into the trash and deletes it there, so the lock vanishes in one step. */
  async function discard(dir: string): Promise<void> {
    const moved = await moveToTrash(dir);
    if (moved) await rm(moved, { recursive: true, force: true });
  }

  /** Removes a dead holder's lock; `token` is the dead holder's (undefined: it never wrote one). */
  async function breakLock(dir: string, token: string | undefined): Promise<void> {
    const moved = await moveToTrash(dir);
    if (!moved) return;
    if ((await inspect(moved))?.owner?.token !== token) {
      // A new holder got in between our look and the rename: give its lock back.
      await rename(moved, dir).catch(() => undefined);
      return;
    }
    await rm(moved, { recursive: true, force: true });
  }

  async function moveToTrash(dir: string): Promise<string | undefined> {
    const moved = path.join(options.trash, `lock-${host.tag}-${pid}-${randomBytes(4).toString('hex')}`);
    await makeDirectory(options.trash);
    try {
      await renameRetrying(dir, moved, renameOptions);
      return moved;
    } catch (error) {
      if (isErrnoCode(error, 'ENOENT')) return undefined;
      throw error;
    }
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
        const state = await inspect(dir);
        if (!state) continue;
        if (heartbeat?.stamp !== state.stamp) heartbeat = { stamp: state.stamp, since: clock.monotonic() };
        if (isGone(state.owner) || clock.monotonic() - heartbeat.since >= timings.staleMs) {
          await breakLock(dir, state.owner?.token);
          heartbeat = undefined;
          continue;
        }
        const who = state.owner?.token ?? '';
        if (announced !== who) {
          announced = who;
          onWait?.({ key, owner: state.owner });
        }
        await clock.sleep(timings.pollMs * (0.5 + clock.random()), signal);
      }
    },

    async tryAcquire(key) {
      const handle = await create(key);
      if (handle) return handle;
      const state = await inspect(lockDir(key));
      if (state && !isGone(state.owner)) return undefined;
      if (state) await breakLock(lockDir(key), state.owner?.token);
      return create(key);
    },

    async holder(key) {
      const owner = (await inspect(lockDir(key)))?.owner;
      return isGone(owner) ? undefined : owner;
    },
  };
}

interface LockState {
  owner: LockOwner | undefined;
  /** Changes whenever the holder shows a sign of life (its heartbeat or a new owner file). */
  stamp: string;
}

/** The lock's owner and heartbeat, or undefined when there is no lock (any more). */
async function inspect(dir: string): Promise<LockState | undefined> {
  try {
    const handle = await open(path.join(dir, OWNER_FILE), 'r');
    try {
      const { mtimeMs, size } = await handle.stat();
      const text = await handle.readFile('utf8');
      return { owner: parseOwner(text), stamp: `owner:${mtimeMs}:${size}` };
    } finally {
      await handle.close();
    }
  } catch (error) {
    if (!isErrnoCode(error, 'ENOENT')) throw error;
  }
  // The holder made the directory but has not written owner.json yet (or died right there).
  try {
    const { mtimeMs } = await stat(dir);
    return { owner: undefined, stamp: `dir:${mtimeMs}` };
  } catch (error) {
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
