import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isFree, type LockOwner, readLock } from '../../src/zig/store/lock-dir.js';
import { isGone, judgeHolder } from '../../src/zig/store/lock-staleness.js';

/** The parts createLocker is made of, each alone; test/zig/lock.test.ts races real processes through them. */

const owner = (fields: Partial<LockOwner> = {}): LockOwner => ({
  pid: 4242,
  hostname: 'builder',
  hostTag: 'aaaaaaaaaa',
  token: '0123456789abcdef',
  acquiredAt: '2025-06-01T00:00:00.000Z',
  ...fields,
});

describe('isGone', () => {
  const self = { hostTag: 'aaaaaaaaaa', pid: 1 };
  const dead = () => false;
  const alive = () => true;

  it('is certain only for a process of this machine whose PID no longer exists', () => {
    expect(isGone(owner(), self, dead)).toBe(true);
    expect(isGone(owner(), self, alive)).toBe(false);
  });

  it('never judges another machine’s process, the asking process itself, or an unreadable owner', () => {
    expect(isGone(owner({ hostTag: 'bbbbbbbbbb' }), self, dead)).toBe(false);
    expect(isGone(owner({ pid: 1 }), self, dead)).toBe(false);
    expect(isGone(undefined, self, dead)).toBe(false);
  });
});

describe('judgeHolder', () => {
  it('counts a holder dead once its stamp has stood still for staleMs of the waiter’s clock', () => {
    const first = judgeHolder({ stamp: 'a' }, undefined, 1_000, 500, false);
    expect(first).toEqual({ watch: { stamp: 'a', since: 1_000 }, dead: false });
    expect(judgeHolder({ stamp: 'a' }, first.watch, 1_499, 500, false).dead).toBe(false);
    expect(judgeHolder({ stamp: 'a' }, first.watch, 1_500, 500, false).dead).toBe(true);
  });

  it('starts over whenever the stamp changes (a heartbeat, a new holder)', () => {
    const watch = { stamp: 'a', since: 0 };
    expect(judgeHolder({ stamp: 'b' }, watch, 10_000, 500, false)).toEqual({
      watch: { stamp: 'b', since: 10_000 },
      dead: false,
    });
  });

  it('takes a holder that is certainly gone at once', () => {
    expect(judgeHolder({ stamp: 'a' }, undefined, 0, 60_000, true).dead).toBe(true);
  });
});

describe('readLock', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'xcc-lock-parts-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('reads no lock as undefined, and an empty directory as a free lock', async () => {
    const lock = path.join(dir, 'zig-0.15.2.lock');
    expect(await readLock(lock)).toBeUndefined();
    mkdirSync(lock);
    const state = await readLock(lock);
    expect(state).toMatchObject({ file: undefined, owner: undefined, others: [] });
    expect(isFree(state)).toBe(true);
  });

  it('reads the owner file, and a damaged one as a holder nobody can name', async () => {
    const lock = path.join(dir, 'zig-0.15.2.lock');
    mkdirSync(lock);
    writeFileSync(path.join(lock, 'owner-0123456789abcdef.json'), JSON.stringify(owner()));
    const state = await readLock(lock);
    expect(state).toMatchObject({ file: 'owner-0123456789abcdef.json', owner: owner(), others: [] });
    expect(isFree(state)).toBe(false);
    writeFileSync(path.join(lock, 'owner-0123456789abcdef.json'), '{"pid": "1"}');
    expect(await readLock(lock)).toMatchObject({ file: 'owner-0123456789abcdef.json', owner: undefined });
  });

  it('counts files xcc never writes as a holder, not as a free lock', async () => {
    const lock = path.join(dir, 'zig-0.15.2.lock');
    mkdirSync(lock);
    writeFileSync(path.join(lock, '.nfs0001'), '');
    const state = await readLock(lock);
    expect(state).toMatchObject({ file: undefined, owner: undefined, others: ['.nfs0001'] });
    expect(isFree(state)).toBe(false);
  });
});
