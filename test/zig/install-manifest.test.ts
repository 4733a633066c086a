import { cpSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, rm, stat, symlink, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MARKER_FILE } from '../../src/home.js';
import {
  changedInstallMessage,
  checkExecutable,
  FILES_MANIFEST,
  type FilesSummary,
  verifyInstallFiles,
  writeFilesManifest,
} from '../../src/zig/verify/install-manifest.js';
import { needTestZig } from '../support/provided-zig.js';

/**
 * The record of an install's files on real directories: what is recorded, each kind of change the full
 * check reports, what the cheap check on every use sees and what it deliberately does not, and a record
 * or marker that was edited by hand. The cost on a real Zig is measured at the end.
 */

const ARCHIVE = 'c'.repeat(64);
let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'xcc-manifest-'));
  await mkdir(path.join(dir, 'lib', 'std'), { recursive: true });
  await writeFile(path.join(dir, 'zig'), '#!/bin/sh\necho 0.15.2\n', { mode: 0o755 });
  await writeFile(path.join(dir, 'lib', 'std', 'std.zig'), 'pub const x = 1;\n', { mode: 0o644 });
  await symlink('std/std.zig', path.join(dir, 'lib', 'link.zig'));
  // xcc's own files, written around the record: never part of it.
  await writeFile(path.join(dir, '.xcc-last-used'), '');
});
afterEach(() => rm(dir, { recursive: true, force: true }));

async function recorded(): Promise<{ sha256: string; files: FilesSummary }> {
  const files = await writeFilesManifest(dir, { archiveSha256: ARCHIVE, executable: 'zig' });
  await writeFile(path.join(dir, MARKER_FILE), JSON.stringify({ sha256: ARCHIVE, files }));
  return { sha256: ARCHIVE, files };
}

describe('writeFilesManifest', () => {
  it('records every entry (path, type and mode, size, sha256; a symlink by its text) but not its own files', async () => {
    const summary = await writeFilesManifest(dir, { archiveSha256: ARCHIVE, executable: 'zig' });
    const manifest = JSON.parse(await readFile(path.join(dir, FILES_MANIFEST), 'utf8'));
    expect(manifest).toEqual({
      format: 1,
      archiveSha256: ARCHIVE,
      entries: [
        ['lib', '40755', 0, ''],
        ['lib/link.zig', '120777', 11, expect.stringMatching(/^[0-9a-f]{64}$/)],
        ['lib/std', '40755', 0, ''],
        ['lib/std/std.zig', '100644', 17, expect.stringMatching(/^[0-9a-f]{64}$/)],
        ['zig', '100755', 22, expect.stringMatching(/^[0-9a-f]{64}$/)],
      ],
    });
    const info = await stat(path.join(dir, 'zig'));
    expect(summary.executable).toEqual({
      path: 'zig',
      size: 22,
      mtime: Math.floor(info.mtimeMs / 1000),
      sha256: manifest.entries[4][3],
    });
    expect(summary.manifest.entries).toBe(5);
  });

  it('refuses an install without its executable', async () => {
    await rm(path.join(dir, 'zig'));
    await expect(writeFilesManifest(dir, { archiveSha256: ARCHIVE, executable: 'zig' })).rejects.toThrow(
      /no zig to record/,
    );
  });
});

describe('verifyInstallFiles', () => {
  it('passes an untouched install, and one copied elsewhere with new mtimes', async () => {
    const marker = await recorded();
    expect(await verifyInstallFiles(dir, marker)).toEqual({ kind: 'verified', entries: 5 });
    const copy = `${dir}-copy`;
    cpSync(dir, copy, { recursive: true, verbatimSymlinks: true });
    try {
      expect(await verifyInstallFiles(copy, marker)).toEqual({ kind: 'verified', entries: 5 });
    } finally {
      await rm(copy, { recursive: true, force: true });
    }
  });

  it.for([
    {
      name: 'content of the same size',
      change: () => writeFile(path.join(dir, 'lib', 'std', 'std.zig'), 'pub const y = 1;\n'),
      differences: ['lib/std/std.zig: content differs'],
    },
    {
      name: 'a size',
      change: () => writeFile(path.join(dir, 'zig'), '#!/bin/sh\nexec true\n'),
      differences: ['zig: 20 bytes, recorded 22'],
    },
    {
      name: 'a mode',
      change: () => chmod(path.join(dir, 'zig'), 0o777),
      differences: ['zig: mode 100777, recorded 100755'],
    },
    {
      name: "a symlink's target",
      change: async () => {
        await rm(path.join(dir, 'lib', 'link.zig'));
        await symlink('/etc/hosts/x', path.join(dir, 'lib', 'link.zig'));
      },
      differences: ['lib/link.zig: 12 bytes, recorded 11'],
    },
    {
      name: 'a directory replaced by a symlink',
      change: async () => {
        await rm(path.join(dir, 'lib', 'std'), { recursive: true });
        await symlink('/usr/lib', path.join(dir, 'lib', 'std'));
      },
      differences: ['lib/std: mode 120777, recorded 40755', 'lib/std/std.zig: missing'],
    },
    {
      name: 'an added file and a removed one',
      change: async () => {
        await writeFile(path.join(dir, 'lib', 'std', 'evil.zig'), '');
        await rm(path.join(dir, 'lib', 'link.zig'));
      },
      differences: ['lib/link.zig: missing', 'lib/std/evil.zig: added'],
    },
    {
      name: 'a FIFO in place of a file (never opened, so never blocks)',
      change: async () => {
        await rm(path.join(dir, 'lib', 'std', 'std.zig'));
        const { execFileSync } = await import('node:child_process');
        execFileSync('mkfifo', [path.join(dir, 'lib', 'std', 'std.zig')]);
      },
      differences: ['lib/std/std.zig: mode 10644, recorded 100644'],
    },
  ])('reports $name', async ({ change, differences }) => {
    const marker = await recorded();
    await change();
    expect(await verifyInstallFiles(dir, marker)).toEqual({ kind: 'changed', differences });
  });

  it('says an install without a record cannot be checked', async () => {
    expect(await verifyInstallFiles(dir, { sha256: ARCHIVE })).toEqual({
      kind: 'unrecorded',
      reason: 'it was installed by an xcc that did not record the files it verified',
    });
  });

  it.for([
    {
      name: 'the record deleted',
      change: () => rm(path.join(dir, FILES_MANIFEST)),
      marker: (m: { sha256: string; files: FilesSummary }) => m,
      difference: `${FILES_MANIFEST}: missing`,
    },
    {
      name: 'the record rewritten to match the tree after a change',
      change: async () => {
        await writeFile(path.join(dir, 'zig'), '#!/bin/sh\nexec true\n');
        await writeFilesManifest(dir, { archiveSha256: ARCHIVE, executable: 'zig' });
      },
      marker: (m: { sha256: string; files: FilesSummary }) => m,
      difference: `${FILES_MANIFEST}: not the record written at install (its sha256 differs)`,
    },
    {
      name: 'a record of another archive',
      change: async () => {},
      marker: (m: { sha256: string; files: FilesSummary }) => ({ ...m, sha256: 'd'.repeat(64) }),
      difference: `${FILES_MANIFEST}: records another archive than ${'d'.repeat(64)}`,
    },
    {
      name: 'a marker whose record is not the right shape',
      change: async () => {},
      marker: (m: { sha256: string; files: FilesSummary }) => ({
        ...m,
        files: { executable: { path: '../x' } },
      }),
      difference: `${MARKER_FILE}: its record of the files is damaged`,
    },
  ])('refuses $name', async ({ change, marker, difference }) => {
    const written = await recorded();
    await change();
    expect(await verifyInstallFiles(dir, marker(written) as never)).toEqual({
      kind: 'changed',
      differences: [difference],
    });
  });
});

describe('checkExecutable (every use)', () => {
  it('passes an untouched executable, and an unrecorded install (nothing to compare with)', async () => {
    const { files } = await recorded();
    expect(await checkExecutable(dir, files)).toBeUndefined();
    expect(await checkExecutable(dir, undefined)).toBeUndefined();
  });

  it('notices another size, a missing executable, a symlink in its place, and a damaged record', async () => {
    const { files } = await recorded();
    const zig = path.join(dir, 'zig');
    await writeFile(zig, '#!/bin/sh\nexec true\n');
    expect(await checkExecutable(dir, files)).toBe('zig: 20 bytes, recorded 22');
    await rm(zig);
    expect(await checkExecutable(dir, files)).toBe('zig: missing');
    await symlink('/bin/true', zig);
    expect(await checkExecutable(dir, files)).toBe('zig: not a regular file any more');
    expect(await checkExecutable(dir, { executable: { path: '/bin/sh' } })).toBe(
      `${MARKER_FILE}: its record of the files is damaged`,
    );
  });

  it('hashes when the mtime moved: a copy passes, a same-size replacement does not', async () => {
    const { files } = await recorded();
    const zig = path.join(dir, 'zig');
    await utimes(zig, new Date(0), new Date(0));
    expect(await checkExecutable(dir, files)).toBeUndefined();
    await writeFile(zig, '#!/bin/sh\necho 0.15.3\n');
    await utimes(zig, new Date(0), new Date(0));
    expect(await checkExecutable(dir, files)).toBe('zig: content differs');
  });

  it('does not see a same-size replacement with its mtime set back (the full check does)', async () => {
    const marker = await recorded();
    const zig = path.join(dir, 'zig');
    const before = await stat(zig);
    await writeFile(zig, '#!/bin/sh\necho 0.15.3\n');
    await utimes(zig, before.atime, before.mtime);
    expect(await checkExecutable(dir, marker.files)).toBeUndefined();
    expect(await verifyInstallFiles(dir, marker)).toEqual({
      kind: 'changed',
      differences: ['zig: content differs'],
    });
  });
});

it('names at most five differences in the one-line error, and the fix', () => {
  const differences = Array.from({ length: 7 }, (_, i) => `lib/f${i}: missing`);
  expect(changedInstallMessage('0.15.2', '/c/zig/0.15.2', differences)).toBe(
    'the cached Zig 0.15.2 (/c/zig/0.15.2) changed after xcc verified it: lib/f0: missing; lib/f1: missing; lib/f2: missing; lib/f3: missing; lib/f4: missing; and 2 more; remove it and install again: xcc prune --all && xcc install 0.15.2',
  );
});

describe('on a real Zig (19,000 files)', { timeout: 300_000 }, () => {
  it('records and verifies in a few seconds, and checks the executable in well under a millisecond', async (context) => {
    const test = needTestZig(context);
    const install = path.join(dir, 'real');
    cpSync(test.install.dir, install, { recursive: true });
    let started = performance.now();
    const files = await writeFilesManifest(install, { archiveSha256: ARCHIVE, executable: 'zig' });
    const recordMs = performance.now() - started;
    started = performance.now();
    const verdict = await verifyInstallFiles(install, { sha256: ARCHIVE, files });
    const verifyMs = performance.now() - started;
    started = performance.now();
    for (let i = 0; i < 100; i++) expect(await checkExecutable(install, files)).toBeUndefined();
    const cheapMs = (performance.now() - started) / 100;
    console.log(
      `${files.manifest.entries} entries: record ${Math.round(recordMs)} ms, verify ${Math.round(verifyMs)} ms, executable check ${cheapMs.toFixed(3)} ms`,
    );
    expect(verdict).toEqual({ kind: 'verified', entries: files.manifest.entries });
    expect(files.manifest.entries).toBeGreaterThan(15_000);
    // Generous bounds for a loaded 2-core machine: the point is seconds, not minutes.
    expect(recordMs).toBeLessThan(20_000);
    expect(verifyMs).toBeLessThan(20_000);
    expect(cheapMs).toBeLessThan(5);
  });
});
