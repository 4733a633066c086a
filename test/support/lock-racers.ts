import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createLocker, currentHost } from '../../src/zig/store/process-lock.js';
import { deadPid, plantLock } from './locks.js';

/**
 * A child process for the cross-process lock tests: `rounds` times, `waiters` lockers race to break a lock
 * left by a dead holder; prints how many got in, whether two were ever inside at once, and what was left.
 * A process of its own so that the race is between real event loops, as between two xcc processes.
 */
const [rounds = 40, waiters = 24] = process.argv.slice(2).map(Number);
const dead = deadPid();
const result = { rounds, entries: 0, overlaps: 0, errors: [] as string[], leftovers: [] as string[] };

for (let round = 0; round < rounds; round++) {
  const root = mkdtempSync(path.join(os.tmpdir(), 'xcc-lock-race-'));
  const dir = path.join(root, 'locks');
  const trash = path.join(root, 'tmp');
  // A holder of this machine that died holding the lock: every waiter may break it at once.
  plantLock(dir, 'zig-0.15.2', { pid: dead, hostname: os.hostname(), hostTag: currentHost().tag });
  let inside = 0;
  await Promise.all(
    Array.from({ length: waiters }, async () => {
      try {
        // Spread over a few milliseconds: some arrive while others are still breaking the dead lock.
        await sleep(Math.random() * 4);
        const lock = await createLocker({ dir, trash, timings: { pollMs: 2 } }).acquire('zig-0.15.2');
        result.entries++;
        if (++inside > 1) result.overlaps++;
        await sleep(1);
        inside--;
        await lock.release();
      } catch (error) {
        result.errors.push(String(error));
      }
    }),
  );
  result.leftovers.push(...readdirSync(dir), ...readdirSync(trash));
  rmSync(root, { recursive: true, force: true });
}
process.stdout.write(`${JSON.stringify(result)}\n`);
