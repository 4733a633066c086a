import { randomBytes } from 'node:crypto';
import { rm, statfs, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { CACHE_DIRECTORY_MODE } from '../cache-safety.js';
import { formatBytes } from '../cli/format.js';
import { makeDirectory } from '../fs-atomic.js';
import { type Env, xccHome, zigCacheDir } from '../home.js';
import type { CheckResult } from './check.js';

/**
 * The cache must take a write, and have room: a Zig install is about 380 MB on disk (0.15.2, x86_64-linux)
 * after a 54 MB download that is staged beside it, and zig's build cache grows by tens of MB per target
 * (it builds libc for each). Below FAIL_BELOW the first install does not fit; below WARN_BELOW a second
 * Zig version or a few more targets will not.
 */
export const FAIL_BELOW = 512 * 1024 * 1024;
export const WARN_BELOW = 2 * 1024 * 1024 * 1024;

export async function checkCache(env: Env): Promise<CheckResult[]> {
  const home = xccHome(env);
  const zigCache = zigCacheDir(env, home);
  const checks = [await directoryCheck('cache', 'xcc cache', home, 'XCC_HOME')];
  // Only its own check when XCC_ZIG_CACHE_DIR puts it outside the home (it may be another disk).
  if (path.relative(home, zigCache).startsWith('..')) {
    checks.push(await directoryCheck('zig-cache', 'zig build cache', zigCache, 'XCC_ZIG_CACHE_DIR'));
  }
  return checks;
}

async function directoryCheck(id: string, title: string, dir: string, setting: string): Promise<CheckResult> {
  const problem = await writeProblem(dir);
  if (problem !== undefined) {
    return {
      id,
      title,
      status: 'fail',
      detail: `cannot write to ${dir}: ${problem}`,
      fix: `make ${dir} writable, or set ${setting} to a writable directory`,
    };
  }
  const info = await statfs(dir);
  const free = info.bavail * info.bsize;
  const detail = `${dir} is writable; ${formatBytes(free)} free`;
  if (free < FAIL_BELOW) {
    return {
      id,
      title,
      status: 'fail',
      detail: `${detail}, less than the ${formatBytes(FAIL_BELOW)} a Zig install and a first build need`,
      fix: `free disk space (xcc prune --keep 1 removes older Zig versions), or set ${setting} to a directory on a bigger disk`,
    };
  }
  if (free < WARN_BELOW) {
    return {
      id,
      title,
      status: 'warn',
      detail: `${detail}, less than ${formatBytes(WARN_BELOW)}: room for about one more Zig version`,
      fix: 'xcc prune --keep 1 removes older Zig versions',
    };
  }
  return { id, title, status: 'pass', detail };
}

/** Creates the directory if needed and writes, then removes, a probe file: the real thing, not access(2). */
async function writeProblem(dir: string): Promise<string | undefined> {
  const probe = path.join(dir, `.xcc-doctor-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    await makeDirectory(dir, CACHE_DIRECTORY_MODE);
    await writeFile(probe, 'xcc doctor\n');
  } catch (error) {
    const { code, message } = error as NodeJS.ErrnoException;
    if (code === 'EROFS') return 'read-only file system';
    if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
    if (code === 'ENOSPC') return 'no space left on device';
    if (code === 'ENOTDIR' || code === 'EEXIST') return 'a file is in the way (not a directory)';
    return message;
  } finally {
    await rm(probe, { force: true }).catch(() => {});
  }
  return undefined;
}
