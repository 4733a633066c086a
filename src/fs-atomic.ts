import { chmod, mkdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { type Clock, systemClock } from './clock.js';
import { crypto } from './lazy-crypto.js';

export interface RenameOptions {
  platform?: NodeJS.Platform;
  clock?: Clock;
}

const WINDOWS_RENAME_ATTEMPTS = 5;

/**
 * `rename`, retried on Windows: antivirus and search indexers open fresh files for scanning, and
 * renaming a directory while they hold a handle fails with EPERM/EACCES/EBUSY for a moment (the same
 * reason corepack's renameUnderWindows retries). Elsewhere a failure is final.
 */
export async function renameRetrying(
  from: string,
  to: string,
  { platform = process.platform, clock = systemClock }: RenameOptions = {},
): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await rename(from, to);
      return;
    } catch (error) {
      const transient = platform === 'win32' && isErrnoCode(error, 'EPERM', 'EACCES', 'EBUSY');
      if (!transient || attempt === WINDOWS_RENAME_ATTEMPTS) throw error;
      await clock.sleep(100 * 2 ** attempt);
    }
  }
}

/**
 * Writes `file` so that a reader sees the old bytes or the new ones, never a mix: temp file + rename. With
 * `mode`, the file gets exactly that mode whatever the umask; without, the umask decides (a user's file).
 */
export async function writeFileAtomic(
  file: string,
  data: string | Uint8Array,
  options: RenameOptions & { mode?: number } = {},
): Promise<void> {
  await makeDirectory(path.dirname(file));
  const temp = `${file}.${process.pid}-${crypto().randomBytes(4).toString('hex')}.tmp`;
  try {
    // Created new (never through a link left at that name) and never more open than asked, even briefly.
    await writeFile(temp, data, { flag: 'wx', mode: options.mode ?? 0o666 });
    // Before the rename: an executable must never be visible without its exec bit; and the umask may
    // have taken bits that were asked for.
    if (options.mode !== undefined) await chmod(temp, options.mode);
    await renameRetrying(temp, file, options);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}

/** Creates `file`, which must not exist yet, with exactly `mode` whatever the umask. */
export async function writeNewFile(file: string, data: string | Uint8Array, mode: number): Promise<void> {
  await writeFile(file, data, { flag: 'wx', mode });
  await chmod(file, mode);
}

/**
 * `mkdir -p` that always ends. Node's `mkdir(dir, { recursive: true })` steps back to the parent on ENOENT
 * and forward again on EEXIST, so it spins forever (100% CPU, never settles) where a parent exists but
 * refuses children with ENOENT: anywhere under /proc, or a directory deleted from under a mount
 * (openclaw/openclaw#130807); it also reports a full disk as ENOENT (nodejs/node#42808). Here an ENOENT
 * after the parent was made is final, and every other error is the real one. With `mode`, each directory
 * it creates gets exactly that mode whatever the umask; existing ones are left as they are.
 */
export async function makeDirectory(dir: string, mode?: number): Promise<void> {
  try {
    await mkdir(dir, mode);
    if (mode !== undefined) await chmod(dir, mode);
    return;
  } catch (error) {
    if (isErrnoCode(error, 'EEXIST')) return expectDirectory(dir, error);
    const parent = path.dirname(dir);
    if (!isErrnoCode(error, 'ENOENT') || parent === dir) throw error;
  }
  await makeDirectory(path.dirname(dir), mode);
  try {
    await mkdir(dir, mode);
    if (mode !== undefined) await chmod(dir, mode);
  } catch (error) {
    if (!isErrnoCode(error, 'EEXIST')) throw error;
    return expectDirectory(dir, error);
  }
}

/** EEXIST from mkdir is success only when what exists is a directory (or a link to one). */
async function expectDirectory(dir: string, error: NodeJS.ErrnoException): Promise<void> {
  if ((await stat(dir)).isDirectory()) return;
  throw Object.assign(new Error(`ENOTDIR: not a directory, mkdir '${dir}'`), {
    code: 'ENOTDIR',
    path: dir,
    cause: error,
  });
}

/**
 * Whether a rename of a directory onto `target` failed because something is already there: EEXIST or
 * ENOTEMPTY, or on Windows, which refuses any existing target (EPERM, EACCES), a directory at `target`.
 */
export async function renameFoundTarget(
  error: unknown,
  target: string,
  platform: NodeJS.Platform = process.platform,
): Promise<boolean> {
  if (isErrnoCode(error, 'EEXIST', 'ENOTEMPTY')) return true;
  return platform === 'win32' && ((await stat(target).catch(() => undefined))?.isDirectory() ?? false);
}

/** Node's fs errors carry a `code`; this narrows without `as` casts at every call site. */
export function isErrnoCode(error: unknown, ...codes: string[]): error is NodeJS.ErrnoException {
  return error instanceof Error && codes.includes((error as NodeJS.ErrnoException).code ?? '');
}
