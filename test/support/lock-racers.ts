/**
 * Many waiters that find the lock's holder dead at the same moment, round after round: the case where
 * several of them break the dead lock at once. Runs in its own process so that libuv's thread pool can
 * be made large (UV_THREADPOOL_SIZE), which lets the waiters' file operations truly overlap.
 * Usage: node --import tsx test/support/lock-racers.ts <rounds> <waiters>
 * Prints {"rounds":..,"entries":..,"overlaps":..,"errors":[...]}: `overlaps` counts the times a waiter
 * got the lock while another still held it.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createLocker, currentHost } from '../../src/zig/lock.js';

const [rounds = 40, waiters = 24] = process.argv.slice(2).map(Number);
const dead = spawnSync(process.execPath, ['-e', '0']).pid;
const result = { rounds, entries: 0, overlaps: 0, errors: [] as string[], leftovers: [] as string[] };

for (let round = 0; round < rounds; round++) {
  const root = mkdtempSync(path.join(os.tmpdir(), 'xcc-lock-race-'));
  const dir = path.join(root, 'locks');
  const trash = path.join(root, 'tmp');
  // A holder of this machine that died holding the lock: every waiter may break it at once.
  mkdirSync(path.join(dir, 'zig-0.15.2.lock'), { recursive: true });
  writeFileSync(
    path.join(dir, 'zig-0.15.2.lock', 'owner-dead0dead0dead0.json'),
    JSON.stringify({
      pid: dead,
      hostname: os.hostname(),
      hostTag: currentHost().tag,
      token: 'dead0dead0dead0',
    }),
  );
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
