import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isMarker, MARKER_FILE, newMarker, readMarker } from '../../src/zig/store/marker.js';
import { tempName, tempOwner } from '../../src/zig/store/temp-entries.js';

/** The parts openStore is made of, each alone; test/zig/store.test.ts drives them through the store. */

const self = { hostTag: 'aaaaaaaaaa', pid: 100 };

describe('temp entry names', () => {
  it('carry kind, host tag and pid, and read back as this process’s own', () => {
    const name = tempName('stage', self, '0f0f0f0f');
    expect(name).toBe('stage-aaaaaaaaaa-100-0f0f0f0f');
    expect(tempOwner(name, self, () => false)).toBe('alive');
  });

  it('tell a dead process of this machine from a live one', () => {
    expect(tempOwner('trash-aaaaaaaaaa-7-00', self, () => false)).toBe('dead');
    expect(tempOwner('lock-aaaaaaaaaa-7-00', self, () => false)).toBe('dead');
    expect(tempOwner('trash-aaaaaaaaaa-7-00', self, () => true)).toBe('alive');
  });

  it('leave another machine’s entries, and names xcc does not write, to their age', () => {
    expect(tempOwner('stage-bbbbbbbbbb-7-00', self, () => false)).toBe('foreign');
    expect(tempOwner('notes.txt', self, () => false)).toBe('foreign');
    expect(tempOwner('stage-aaaaaaaaaa-x-00', self, () => false)).toBe('foreign');
  });
});

describe('install markers', () => {
  const source = {
    host: 'x86_64-linux',
    source: 'mirror.example',
    url: 'https://user:secret@mirror.example/zig-x86_64-linux-0.15.2.tar.xz',
    sha256: 'a'.repeat(64),
  };

  it('keep no credentials of the URL the install came from', () => {
    const marker = newMarker('0.15.2', source, new Date('2025-06-01T00:00:00Z'), 4096);
    expect(marker).toEqual({
      ...source,
      version: '0.15.2',
      url: 'https://****@mirror.example/zig-x86_64-linux-0.15.2.tar.xz',
      installedAt: '2025-06-01T00:00:00.000Z',
      bytes: 4096,
    });
    expect(isMarker(marker)).toBe(true);
  });

  it.each<[string, Record<string, unknown>]>([
    ['without a version', { version: undefined }],
    ['with a date that is not one', { installedAt: 'yesterday' }],
    ['with a size that is not a whole number', { bytes: 1.5 }],
  ])('are not markers %s', (_, change) => {
    const marker = { ...newMarker('0.15.2', source, new Date(0), 1), ...change };
    expect(isMarker(marker)).toBe(false);
  });

  describe('on disk', () => {
    let dir: string;
    beforeEach(() => {
      dir = mkdtempSync(path.join(os.tmpdir(), 'xcc-marker-'));
    });
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    it('read back as written; a damaged or missing one means no install', async () => {
      const marker = newMarker('0.15.2', source, new Date(0), 1);
      const install = path.join(dir, '0.15.2');
      mkdirSync(install);
      expect(await readMarker(install)).toBeUndefined();
      writeFileSync(path.join(install, MARKER_FILE), JSON.stringify(marker));
      expect(await readMarker(install)).toEqual(marker);
      writeFileSync(path.join(install, MARKER_FILE), '{"version": "0.15.2"');
      expect(await readMarker(install)).toBeUndefined();
      expect(await readMarker(path.join(dir, 'missing'))).toBeUndefined();
    });
  });
});
