import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * A cross-process lock for test preparation: `mkdir` is atomic, the owner's pid is written inside so a
 * lock left by a killed process (its pid gone) is taken over. Vitest's globalSetup already runs once per
 * run; this guards against several runs (tests, benchmarks, the prepare script) sharing one cache.
 */
export async function withDirLock<T>(
  lockDir: string,
  work: () => Promise<T>,
  timeoutMs = 20 * 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  await mkdir(path.dirname(lockDir), { recursive: true });
  while (!(await tryLock(lockDir))) {
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${lockDir}; remove it if no run is active`);
    await sleep(250);
  }
  try {
    return await work();
  } finally {
    await rm(lockDir, { recursive: true, force: true });
  }
}

async function tryLock(lockDir: string): Promise<boolean> {
  try {
    await mkdir(lockDir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    if (await ownerIsGone(lockDir)) await rm(lockDir, { recursive: true, force: true });
    return false;
  }
  await writeFile(path.join(lockDir, 'pid'), String(process.pid));
  return true;
}

async function ownerIsGone(lockDir: string): Promise<boolean> {
  let pid: number;
  try {
    pid = Number(await readFile(path.join(lockDir, 'pid'), 'utf8'));
  } catch {
    // Just created by its owner, pid not written yet: not stale.
    return false;
  }
  try {
    process.kill(pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}
