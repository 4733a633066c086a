import { open, readdir, rename, rm, rmdir, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import { CACHE_FILE_MODE } from '../../cache-safety.js';
import { isErrnoCode, renameFoundTarget, writeNewFile } from '../../fs-atomic.js';

/**
 * The lock directory protocol (process-lock.ts says why it is safe): a lock is placed by renaming a
 * complete directory, owner file inside, into place; it is read through a fresh file handle; it is
 * released or broken by unlinking one owner file by its name, then removing the emptied directory.
 */

export interface LockOwner {
  pid: number;
  hostname: string;
  hostTag: string;
  token: string;
  acquiredAt: string;
}

/** `owner-<token>.json`; the bare `owner.json` of earlier builds is read too, so their locks are not ignored. */
const OWNER_FILE_PATTERN = /^owner(-[0-9a-f]+)?\.json$/;

/** The owner file's name carries its token, so that unlinking it is a compare-and-delete. */
export function ownerFileName(owner: LockOwner): string {
  return `owner-${owner.token}.json`;
}

/**
 * Places the lock `dir` by renaming `candidate` (a fresh directory on the same filesystem) onto it with
 * the owner file inside. Returns the owner file's path, or undefined when somebody else holds the lock.
 */
export async function placeLock(
  dir: string,
  candidate: string,
  owner: LockOwner,
  platform: NodeJS.Platform,
): Promise<string | undefined> {
  const name = ownerFileName(owner);
  try {
    await writeNewFile(path.join(candidate, name), `${JSON.stringify(owner)}\n`, CACHE_FILE_MODE);
    await rename(candidate, dir);
  } catch (error) {
    await rm(candidate, { recursive: true, force: true });
    if (await renameFoundTarget(error, dir, platform)) return undefined;
    throw error;
  }
  return path.join(dir, name);
}

/** Lets go of a lock placed by `placeLock`: only ours can go, even if it was broken meanwhile. */
export async function releaseLock(ownerFile: string): Promise<void> {
  try {
    await unlink(ownerFile);
  } catch (error) {
    // Gone: a waiter judged us dead (a stopped heartbeat) and the lock is someone else's now.
    if (isErrnoCode(error, 'ENOENT')) return;
    throw error;
  }
  await removeEmptyLock(path.dirname(ownerFile));
}

/** rmdir, which only ever removes an empty (free) lock; false when it could not. */
export async function removeEmptyLock(dir: string): Promise<boolean> {
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
export async function breakLock(dir: string, state: LockState): Promise<void> {
  if (state.file !== undefined) {
    await unlink(path.join(dir, state.file)).catch((error: unknown) => {
      if (!isErrnoCode(error, 'ENOENT')) throw error;
    });
  } else {
    // No owner file, only files xcc never writes, unchanged for `staleMs`: clear them out.
    await Promise.all(state.others.map((name) => rm(path.join(dir, name), { recursive: true, force: true })));
  }
  await removeEmptyLock(dir);
}

/** No lock, or an empty directory: a holder between removing its owner file and the directory. */
export function isFree(state: LockState | undefined): state is undefined | (LockState & { file: undefined }) {
  return state === undefined || (state.file === undefined && state.others.length === 0);
}

export interface LockState {
  /** The owner file's name; undefined when there is none (an empty directory is a free lock). */
  file: string | undefined;
  owner: LockOwner | undefined;
  /** Anything else in the directory, such as NFS's `.nfsXXXX` while a reader still has a file open. */
  others: string[];
  /** Changes whenever the holder shows a sign of life (its heartbeat or a new owner). */
  stamp: string;
}

/** Who holds the lock and their heartbeat, or undefined when there is no lock (any more, or just now). */
export async function readLock(dir: string): Promise<LockState | undefined> {
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
