import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cacheLayout } from '../../src/home.js';
import { MARKER_FILE, openStore } from '../../src/zig/store/store.js';
import { projectRoot } from '../support/paths.js';

/** Real processes racing over one cache directory, as parallel `xcc install` runs (or CI jobs) would. */

const FILES = 40;
let home: string;
const children: ChildProcess[] = [];

beforeEach(() => {
  home = mkdtempSync(path.join(os.tmpdir(), 'xcc-store-race-'));
});
afterEach(() => {
  for (const child of children.splice(0)) child.kill('SIGKILL');
  rmSync(home, { recursive: true, force: true });
});

function racer(...args: string[]) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/support/store-racer.ts', ...args], {
    cwd: projectRoot,
    env: { ...process.env, XCC_HOME: home, RACER_FILES: String(FILES), RACER_DELAY_MS: '25' },
  });
  children.push(child);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => {
    stdout += chunk;
  });
  child.stderr.on('data', (chunk) => {
    stderr += chunk;
  });
  const exited = new Promise<{ code: number | null; signal: string | null; stdout: string; stderr: string }>(
    (resolve) => child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })),
  );
  /** Resolves once the child has written `text` to stdout (or stderr). */
  const printed = (text: string, stream: 'stdout' | 'stderr' = 'stdout') =>
    new Promise<void>((resolve, reject) => {
      const check = () => ((stream === 'stdout' ? stdout : stderr).includes(text) ? resolve() : undefined);
      child[stream].on('data', check);
      child.on('close', () => reject(new Error(`exited before printing ${text}: ${stderr}`)));
      check();
    });
  return { child, exited, printed };
}

/**
 * Polls the install directory while `during` runs: whenever it exists it must be complete (marker and
 * every file). Returns how often it was seen, to show the check really looked.
 */
async function watchInstall(dir: string, during: Promise<unknown>) {
  let done = false;
  const finished = during.finally(() => {
    done = true;
  });
  let seenComplete = 0;
  const partial: string[][] = [];
  while (!done) {
    let names: string[] | undefined;
    try {
      names = readdirSync(dir);
    } catch {
      names = undefined;
    }
    if (names) {
      const complete =
        names.includes(MARKER_FILE) && names.filter((name) => name.startsWith('file-')).length === FILES;
      if (complete) seenComplete++;
      else partial.push(names);
    }
    await sleep(2);
  }
  await finished;
  return { seenComplete, partial };
}

// Each test starts several Node processes with tsx: slow on a busy two-core machine.
describe('the store across processes', { timeout: 180_000 }, () => {
  it('8 concurrent installs of the same version on an empty cache: one builds, all succeed', async () => {
    const workLog = path.join(home, 'work.log');
    const racers = Array.from({ length: 8 }, () => racer('ensure', '0.15.2', workLog));
    const installDir = path.join(cacheLayout(home).zig, '0.15.2');
    const all = Promise.all(racers.map((one) => one.exited));
    const watched = await watchInstall(installDir, all);
    const results = await all;

    expect(results.map((result) => [result.code, result.stderr.includes('Error')])).toEqual(
      Array.from({ length: 8 }, () => [0, false]),
    );
    const outputs = results.map((result) => JSON.parse(result.stdout) as { built: boolean; dir: string });
    expect(outputs.filter((output) => output.built)).toHaveLength(1);
    expect(new Set(outputs.map((output) => output.dir))).toEqual(new Set([installDir]));
    expect(readFileSync(workLog, 'utf8').trim().split('\n')).toHaveLength(1);
    // The others waited for the builder's lock, and said so.
    expect(
      results.filter((result) => /waiting for pid \d+ installing 0\.15\.2/.test(result.stderr)).length,
    ).toBeGreaterThan(0);
    expect(watched.partial).toEqual([]);
    expect(watched.seenComplete).toBeGreaterThan(0);
    expect(readdirSync(cacheLayout(home).tmp)).toEqual([]);
  });

  it('takes over from a holder killed with SIGKILL mid-install, and removes its temp dir', async () => {
    const victim = racer('build-forever', '0.14.1');
    await victim.printed('building');
    const tmp = cacheLayout(home).tmp;
    const leftover = readdirSync(tmp).filter((name) => name.includes(`-${victim.child.pid}-`));
    expect(leftover).toHaveLength(1);
    victim.child.kill('SIGKILL');
    expect((await victim.exited).signal).toBe('SIGKILL');
    // Its lock and half-built stage are still there; nothing is installed.
    expect(existsSync(path.join(cacheLayout(home).locks, 'zig-0.14.1.lock'))).toBe(true);
    expect(await openStore({ home }).find('0.14.1')).toBeUndefined();

    const next = racer('ensure', '0.14.1');
    const result = await next.exited;
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ built: true });
    expect(readdirSync(tmp)).toEqual([]);
    expect(readdirSync(cacheLayout(home).locks)).toEqual([]);
  });

  it('a waiter says whom it waits for, and takes over when that holder dies', async () => {
    const builder = racer('build-forever', '0.13.0');
    await builder.printed('building');
    const waiter = racer('ensure', '0.13.0');
    await waiter.printed(`waiting for pid ${builder.child.pid} installing 0.13.0`, 'stderr');
    expect(waiter.child.exitCode).toBeNull();
    builder.child.kill('SIGKILL');
    const result = await waiter.exited;
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ built: true });
  });

  it('prune skips a version whose lock a live process holds', async () => {
    const store = openStore({ home });
    await store.ensure('0.12.0', async () => ({ host: 'h', source: 's', url: 'u', sha256: 'x' }));
    await store.ensure('0.11.0', async () => ({ host: 'h', source: 's', url: 'u', sha256: 'x' }));
    const holder = racer('hold', '0.12.0');
    await holder.printed('locked');
    const dryRun = await store.prune({ all: true, dryRun: true });
    const result = await store.prune({ all: true });
    for (const report of [dryRun, result]) {
      expect(report.removed.map((entry) => entry.version)).toEqual(['0.11.0']);
      expect(report.skipped).toEqual([
        { version: '0.12.0', reason: `in use by pid ${holder.child.pid} on ${os.hostname()}` },
      ]);
    }
    expect((await store.list()).map((install) => install.version)).toEqual(['0.12.0']);
  });
});
