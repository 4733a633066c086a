import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLocker, currentHost, type LockWait } from '../../src/zig/store/process-lock.js';
import { deadPid, plantLock } from '../support/locks.js';
import { projectRoot } from '../support/paths.js';

let root: string;
let locks: string;

beforeEach(() => {
  root = mkdtempSync(path.join(os.tmpdir(), 'xcc-lock-'));
  locks = path.join(root, 'locks');
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

function locker(timings = { pollMs: 10, staleMs: 300 }) {
  return createLocker({ dir: locks, trash: path.join(root, 'tmp'), timings });
}

const lockDir = (key = 'zig-0.15.2') => path.join(locks, `${key}.lock`);

/** A lock directory without an owner file. */
function bareLockDir(): string {
  mkdirSync(lockDir(), { recursive: true });
  return lockDir();
}

describe('lock takeover', () => {
  // The race behind a CI failure: the lock's holder is killed, and every waiter sees it dead at once.
  // When takeover renamed the whole lock directory away, a late waiter could move the lock that an
  // earlier one had just taken, and two processes built the same version. Against that code, three runs
  // of this harness counted 6, 2 and 7 overlaps, ENOENT failures and lock directories leaked into the
  // scratch directory; taking over by unlinking the dead owner's own file can do none of that.
  it('24 waiters that find the holder dead at once take the lock one at a time, and none fails', () => {
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'test/support/lock-racers.ts', '40', '24'], {
      cwd: projectRoot,
      encoding: 'utf8',
      env: { ...process.env, UV_THREADPOOL_SIZE: '16' },
    });
    expect(run.status, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({
      rounds: 40,
      entries: 40 * 24,
      overlaps: 0,
      errors: [],
      leftovers: [],
    });
  }, 120_000);

  it('an empty lock directory is free: a holder died between removing its owner file and the directory', async () => {
    bareLockDir();
    const waits: LockWait[] = [];
    const lock = await locker().acquire('zig-0.15.2', { onWait: (wait) => waits.push(wait) });
    expect(waits).toEqual([]);
    expect(readdirSync(lockDir())).toEqual([expect.stringMatching(/^owner-[0-9a-f]{16}\.json$/)]);
    await lock.release();
    expect(readdirSync(locks)).toEqual([]);
  });

  it('the owner.json of earlier builds still counts as a holder, and a dead one is taken over', async () => {
    const owner = { pid: deadPid(), hostname: os.hostname(), hostTag: currentHost().tag, token: 'old' };
    plantLock(locks, 'zig-0.15.2', owner, 'owner.json');
    expect(await locker().holder('zig-0.15.2')).toBeUndefined();
    plantLock(locks, 'zig-0.14.1', { ...owner, pid: process.pid, hostTag: 'elsewhere0' }, 'owner.json');
    expect(await locker().holder('zig-0.14.1')).toMatchObject({ pid: process.pid });

    const lock = await locker({ pollMs: 10, staleMs: 3_600_000 }).acquire('zig-0.15.2');
    expect(readdirSync(lockDir())).toEqual([expect.stringMatching(/^owner-[0-9a-f]{16}\.json$/)]);
    await lock.release();
  });

  it('a directory with no owner file but other files is waited on, then cleared once unchanged for staleMs', async () => {
    // What NFS leaves for a moment (.nfsXXXX) when a reader still has a removed owner file open.
    writeFileSync(path.join(bareLockDir(), '.nfs0000000000000001'), '');
    const past = new Date(Date.now() - 10_000);
    utimesSync(lockDir(), past, past);
    const waits: LockWait[] = [];
    const lock = await locker().acquire('zig-0.15.2', { onWait: (wait) => waits.push(wait) });
    expect(waits).toEqual([{ key: 'zig-0.15.2', owner: undefined }]);
    await lock.release();
    expect(readdirSync(locks)).toEqual([]);
  });

  it('a holder judged dead (its heartbeat stood still) cannot remove its successor’s lock on release', async () => {
    const slow = await createLocker({
      dir: locks,
      trash: path.join(root, 'tmp'),
      host: { name: 'build-agent-7', tag: 'b7b7b7b7b7' },
      timings: { heartbeatMs: 3_600_000 },
    }).acquire('zig-0.15.2');
    const next = await locker({ pollMs: 10, staleMs: 200 }).acquire('zig-0.15.2');
    const held = readdirSync(lockDir());
    await slow.release();
    expect(readdirSync(lockDir())).toEqual(held);
    await next.release();
    expect(readdirSync(locks)).toEqual([]);
  });
});
