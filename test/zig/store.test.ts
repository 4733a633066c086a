import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { XccError } from '../../src/errors.js';
import { cacheLayout } from '../../src/home.js';
import { currentHost, type LockOwner } from '../../src/zig/store/process-lock.js';
import {
  type InstallSource,
  LAST_USED_FILE,
  type ListedInstall,
  MARKER_FILE,
  openStore,
  type StoreOptions,
  selectForPrune,
} from '../../src/zig/store/store.js';
import { deadPid, plantLock as plantLockIn } from '../support/locks.js';

const DAY = 24 * 60 * 60 * 1000;
const source: InstallSource = {
  host: 'x86_64-linux',
  source: 'ziglang.org',
  url: 'https://ziglang.org/download/0.15.2/zig-x86_64-linux-0.15.2.tar.xz',
  sha256: 'a'.repeat(64),
};
let home: string;

beforeEach(() => {
  home = mkdtempSync(path.join(os.tmpdir(), 'xcc-store-'));
});
afterEach(() => rmSync(home, { recursive: true, force: true }));

function store(options: StoreOptions = {}) {
  return openStore({ home, lockTimings: { pollMs: 10 }, ...options });
}

/** Builds an install with one file of `size` bytes. */
async function install(version: string, size = 10_000, options: StoreOptions = {}) {
  return store(options).ensure(version, async (stage) => {
    writeFileSync(path.join(stage, 'zig'), Buffer.alloc(size, 1));
    return source;
  });
}

function plantLock(key: string, owner: Partial<LockOwner>) {
  return plantLockIn(cacheLayout(home).locks, key, owner);
}

describe('installs', () => {
  it('commits a staged dir with its marker, and finds it', async () => {
    const s = store();
    const { install: installed, built } = await install('0.15.2');
    expect(built).toBe(true);
    expect(installed.dir).toBe(path.join(cacheLayout(home).zig, '0.15.2'));
    expect(installed.marker).toMatchObject({ version: '0.15.2', ...source, installedAt: expect.any(String) });
    expect(installed.marker.bytes).toBeGreaterThanOrEqual(10_000);
    expect(await s.find('0.15.2')).toEqual(installed);
    expect(await s.find('0.14.1')).toBeUndefined();
    expect(readdirSync(cacheLayout(home).tmp)).toEqual([]);
  });

  it('when two stages race, the second commit uses the first and removes its own stage', async () => {
    const s = store();
    const [first, second] = [await s.stage(), await s.stage()];
    writeFileSync(path.join(first, 'zig'), 'first');
    writeFileSync(path.join(second, 'zig'), 'second');
    const won = await s.commit(first, '0.15.2', source);
    const lost = await s.commit(second, '0.15.2', { ...source, source: 'other' });
    expect(won.committed).toBe(true);
    expect(lost).toEqual({ committed: false, install: won.install });
    expect(existsSync(second)).toBe(false);
  });

  it('replaces a directory that has no marker (not an install)', async () => {
    const debris = path.join(cacheLayout(home).zig, '0.15.2');
    mkdirSync(debris, { recursive: true });
    writeFileSync(path.join(debris, 'half'), '');
    const { built, install: installed } = await install('0.15.2');
    expect(built).toBe(true);
    expect(readdirSync(installed.dir).sort()).toEqual([MARKER_FILE, 'zig']);
  });

  it('leaves no stage behind when the build fails', async () => {
    const failed = store().ensure('0.15.2', async () => {
      throw new Error('checksum mismatch');
    });
    await expect(failed).rejects.toThrow('checksum mismatch');
    expect(readdirSync(cacheLayout(home).tmp)).toEqual([]);
    expect(readdirSync(cacheLayout(home).locks)).toEqual([]);
  });

  it.each(['../evil', '', '.hidden', 'a/b', 'a\\b'])('refuses %j as a version', async (version) => {
    await expect(store().find(version)).rejects.toBeInstanceOf(XccError);
  });
});

describe('locks', () => {
  it('takes over at once from a dead process of this machine, even with a long stale time', async () => {
    plantLock('zig-0.15.2', { pid: deadPid(), hostTag: currentHost().tag });
    const { built } = await install('0.15.2', 10, { lockTimings: { pollMs: 10, staleMs: 3_600_000 } });
    expect(built).toBe(true);
  });

  it('takes over from another host once its heartbeat has stood still for staleMs', async () => {
    plantLock('zig-0.15.2', { pid: 1, hostname: 'build-agent-7' });
    const waits: unknown[] = [];
    const lock = await store({ lockTimings: { pollMs: 10, staleMs: 200 } }).lock('zig-0.15.2', {
      onWait: (wait) => waits.push(wait),
    });
    await lock.release();
    expect(waits).toEqual([
      { key: 'zig-0.15.2', owner: expect.objectContaining({ pid: 1, hostname: 'build-agent-7' }) },
    ]);
  });

  it('a reused PID (alive, but no heartbeat) is taken over after staleMs too', async () => {
    plantLock('zig-0.15.2', { pid: 1, hostTag: currentHost().tag });
    const lock = await store({ lockTimings: { pollMs: 10, staleMs: 200 } }).lock('zig-0.15.2');
    await lock.release();
  });

  it('never takes over from another host whose heartbeat goes on', async () => {
    const elsewhere = store({
      host: { name: 'build-agent-7', tag: 'b7b7b7b7b7' },
      lockTimings: { heartbeatMs: 20 },
    });
    const held = await elsewhere.lock('zig-0.15.2');
    const waiter = store({ lockTimings: { pollMs: 10, staleMs: 300 } }).lock('zig-0.15.2', {
      signal: AbortSignal.timeout(1500),
    });
    await expect(waiter).rejects.toMatchObject({ name: 'TimeoutError' });
    await held.release();
  });

  it('stops waiting when the signal aborts, with its reason', async () => {
    const held = await store().lock('zig-0.15.2');
    const controller = new AbortController();
    const waiter = store().lock('zig-0.15.2', {
      signal: controller.signal,
      onWait: () => controller.abort(new Error('cancelled')),
    });
    await expect(waiter).rejects.toThrow('cancelled');
    await held.release();
  });

  it('release leaves a lock alone that is no longer ours', async () => {
    const held = await store().lock('zig-0.15.2');
    const dir = path.join(cacheLayout(home).locks, 'zig-0.15.2.lock');
    rmSync(dir, { recursive: true });
    plantLock('zig-0.15.2', { token: 'b2b2b2b2b2b2b2b2' });
    await held.release();
    expect(readdirSync(dir)).toEqual(['owner-b2b2b2b2b2b2b2b2.json']);
  });
});

describe('temp dirs', () => {
  it('removes those of dead local processes and old foreign ones, keeps the rest', async () => {
    const tmp = cacheLayout(home).tmp;
    const tag = currentHost().tag;
    const names = {
      dead: `stage-${tag}-${deadPid()}-aaaa`,
      alive: `stage-${tag}-1-bbbb`,
      ours: `stage-${tag}-${process.pid}-cccc`,
      foreignFresh: 'stage-f0f0f0f0f0-77-dddd',
      foreignOld: 'stage-f0f0f0f0f0-78-eeee',
    };
    for (const name of Object.values(names)) mkdirSync(path.join(tmp, name, 'lib'), { recursive: true });
    const twoDaysAgo = new Date(Date.now() - 2 * DAY);
    utimesSync(path.join(tmp, names.foreignOld), twoDaysAgo, twoDaysAgo);

    const removed = await store().cleanTemp();
    expect(removed.map((dir) => path.basename(dir)).sort()).toEqual([names.dead, names.foreignOld].sort());
    expect(readdirSync(tmp).sort()).toEqual([names.alive, names.foreignFresh, names.ours].sort());
  });
});

describe('list, last use and prune', () => {
  /** Installs `versions` and sets each one's last use to `daysAgo` days before now. */
  async function installUsed(versions: Record<string, number>) {
    for (const [version, daysAgo] of Object.entries(versions)) {
      const { install: installed } = await install(version);
      const when = new Date(Date.now() - daysAgo * DAY);
      writeFileSync(path.join(installed.dir, LAST_USED_FILE), '');
      utimesSync(path.join(installed.dir, LAST_USED_FILE), when, when);
    }
  }

  it('lists installs newest version first, with size, source and dates', async () => {
    await installUsed({ '0.13.0': 40, '0.15.2': 1, '0.16.0-dev.1234+abcdef012': 3, '0.14.1': 10 });
    const listed = await store().list();
    expect(listed.map((entry) => entry.version)).toEqual([
      '0.16.0-dev.1234+abcdef012',
      '0.15.2',
      '0.14.1',
      '0.13.0',
    ]);
    expect(listed[1]).toMatchObject({ marker: { source: 'ziglang.org', bytes: expect.any(Number) } });
    expect(Math.round((Date.now() - (listed[3]?.lastUsed.getTime() ?? 0)) / DAY)).toBe(40);
  });

  it('records use at most once a day', async () => {
    const s = store();
    const { install: installed } = await install('0.15.2');
    const file = path.join(installed.dir, LAST_USED_FILE);
    await s.markUsed('0.15.2');
    const hourAgo = new Date(Date.now() - 60 * 60 * 1000);
    utimesSync(file, hourAgo, hourAgo);
    await s.markUsed('0.15.2');
    expect(Math.round(statSync(file).mtimeMs)).toBe(hourAgo.getTime());
    const twoDaysAgo = new Date(Date.now() - 2 * DAY);
    utimesSync(file, twoDaysAgo, twoDaysAgo);
    await s.markUsed('0.15.2');
    expect(Date.now() - statSync(file).mtimeMs).toBeLessThan(DAY);
  });

  it('prunes by keep and age, reports bytes freed, and a dry run removes nothing', async () => {
    await installUsed({ '0.15.2': 1, '0.14.1': 10, '0.13.0': 40, '0.12.0': 50 });
    const s = store();
    const planned = await s.prune({ keep: 2, olderThanMs: 45 * DAY, dryRun: true });
    expect(planned.removed.map((entry) => entry.version)).toEqual(['0.12.0']);
    expect((await s.list()).length).toBe(4);

    const result = await s.prune({ keep: 2 });
    expect(result.removed.map((entry) => entry.version)).toEqual(['0.13.0', '0.12.0']);
    expect(result.bytesFreed).toBe(result.removed.reduce((sum, entry) => sum + entry.bytes, 0));
    expect(result.bytesFreed).toBeGreaterThanOrEqual(20_000);
    expect((await s.list()).map((entry) => entry.version)).toEqual(['0.15.2', '0.14.1']);
    expect(readdirSync(cacheLayout(home).tmp)).toEqual([]);
  });

  it('prune --all removes every install and older cache layouts', async () => {
    await installUsed({ '0.15.2': 1 });
    mkdirSync(path.join(home, 'v0', 'zig'), { recursive: true });
    mkdirSync(path.join(home, 'notes'));
    const result = await store().prune({ all: true });
    expect(result.removed.map((entry) => entry.version)).toEqual(['0.15.2']);
    expect(result.oldLayouts).toEqual([path.join(home, 'v0')]);
    expect(readdirSync(home).sort()).toEqual(['notes', 'v1']);
  });

  it('refuses --all together with --keep', async () => {
    await expect(store().prune({ all: true, keep: 1 })).rejects.toMatchObject({ name: 'UsageError' });
  });

  const now = Date.parse('2025-06-01T00:00:00Z');
  const listed = (version: string, daysAgo: number) =>
    ({ version, lastUsed: new Date(now - daysAgo * DAY) }) as ListedInstall;
  const installs = [listed('a', 1), listed('b', 5), listed('c', 30), listed('d', 90)];
  it.each([
    [{}, []],
    [{ all: true }, ['a', 'b', 'c', 'd']],
    [{ keep: 0 }, ['a', 'b', 'c', 'd']],
    [{ keep: 1 }, ['b', 'c', 'd']],
    [{ keep: 10 }, []],
    [{ olderThanMs: 7 * DAY }, ['c', 'd']],
    [{ keep: 3, olderThanMs: 7 * DAY }, ['d']],
    [{ keep: 1, olderThanMs: 60 * DAY }, ['d']],
  ])('selects %j -> %j', (options, expected) => {
    expect(selectForPrune(installs, options, now).map((entry) => entry.version)).toEqual(expected);
  });
});
