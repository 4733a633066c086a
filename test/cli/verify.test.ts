import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cacheLayout, MARKER_FILE } from '../../src/home.js';
import { writeFilesManifest } from '../../src/zig/verify/install-manifest.js';
import { runXcc } from '../support/cli.js';

/**
 * `xcc verify` through the built CLI: its output, exit codes and bad input. Installs are made by hand the
 * way a commit leaves them (files, their record, the marker), so no Zig is needed; the attacks on real
 * installs are in test/reliability/tampering.test.ts.
 */

const base = await mkdtemp(path.join(os.tmpdir(), 'xcc-verify-cli-'));
afterAll(() => rm(base, { recursive: true, force: true }));

let counter = 0;
async function freshHome(): Promise<string> {
  return mkdtemp(path.join(base, `home-${++counter}-`));
}

const SHA = 'e'.repeat(64);

/** A committed install of `version`: a zig script, one library file, their record and the marker. */
async function plantInstall(home: string, version: string): Promise<string> {
  const dir = path.join(cacheLayout(home).zig, version);
  await mkdir(path.join(dir, 'lib'), { recursive: true });
  await writeFile(path.join(dir, 'zig'), `#!/bin/sh\necho ${version}\n`, { mode: 0o755 });
  await writeFile(path.join(dir, 'lib', 'std.zig'), 'pub const x = 1;\n', { mode: 0o644 });
  const files = await writeFilesManifest(dir, { archiveSha256: SHA, executable: 'zig' });
  const marker = {
    version,
    host: 'x86_64-linux',
    source: 'mirror.example',
    url: `https://mirror.example/zig-x86_64-linux-${version}.tar.xz`,
    sha256: SHA,
    files,
    installedAt: '2026-01-01T00:00:00.000Z',
    bytes: 100,
  };
  await writeFile(path.join(dir, MARKER_FILE), JSON.stringify(marker));
  return dir;
}

const verify = (home: string, args: string[] = []) =>
  runXcc(['verify', ...args], { env: { XCC_HOME: home } });

describe('xcc verify', { timeout: 60_000 }, () => {
  it('with nothing installed, says so and exits 0', async () => {
    const result = await verify(await freshHome());
    expect(result).toMatchObject({
      exitCode: 0,
      stdout: "No Zig installed; nothing to verify ('xcc install' installs one).\n",
      stderr: '',
    });
  });

  it('passes untouched installs, all by default or the versions named', async () => {
    const home = await freshHome();
    const a = await plantInstall(home, '0.15.2');
    const b = await plantInstall(home, '0.14.1');
    const all = await verify(home);
    expect(all.stderr).toBe('');
    expect(all.exitCode).toBe(0);
    expect(all.stdout).toBe(
      `Zig 0.15.2 (${a}): all 3 entries as verified (archive sha256 ${SHA} from mirror.example)\n` +
        `Zig 0.14.1 (${b}): all 3 entries as verified (archive sha256 ${SHA} from mirror.example)\n`,
    );
    const one = await verify(home, ['0.14.1']);
    expect(one.stdout).toBe(
      `Zig 0.14.1 (${b}): all 3 entries as verified (archive sha256 ${SHA} from mirror.example)\n`,
    );
  });

  it('exits 1 with one line naming the first differences and the fix; --json gives every verdict', async () => {
    const home = await freshHome();
    const a = await plantInstall(home, '0.15.2');
    const b = await plantInstall(home, '0.14.1');
    await writeFile(path.join(a, 'zig'), '#!/bin/sh\nexit 0\n');
    await writeFile(path.join(a, 'lib', 'evil.h'), '');
    await rm(path.join(b, 'lib', 'std.zig'));
    const result = await verify(home);
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe(
      `xcc: the cached Zig 0.15.2 (${a}) changed after xcc verified it: lib/evil.h: added; zig: 17 bytes, recorded 22; remove it and install again: xcc prune --all && xcc install 0.15.2 (and 1 more installs fail the check)\n`,
    );
    const json = await verify(home, ['--json']);
    expect(json.exitCode).toBe(1);
    expect(JSON.parse(json.stdout)).toEqual([
      {
        version: '0.15.2',
        dir: a,
        sha256: SHA,
        kind: 'changed',
        differences: ['lib/evil.h: added', 'zig: 17 bytes, recorded 22'],
      },
      { version: '0.14.1', dir: b, sha256: SHA, kind: 'changed', differences: ['lib/std.zig: missing'] },
    ]);
  });

  it.for([
    {
      args: ['not a version'],
      message: "xcc: 'not a version' is not a Zig version; give one like 0.15.2, or none for all\n",
    },
    {
      args: ['0.13.0'],
      message: "xcc: Zig 0.13.0 is not installed; 'xcc ls' lists the installed versions\n",
    },
    { args: ['--fix'], message: "xcc: unknown option '--fix'; run 'xcc --help' for usage\n" },
  ])('bad input $args: one line, exit 2', async ({ args, message }) => {
    const home = await freshHome();
    await plantInstall(home, '0.15.2');
    const result = await verify(home, args);
    expect(result).toMatchObject({ exitCode: 2, stdout: '', stderr: message });
  });
});
