import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  existsSync,
  lstatSync,
  mkdirSync,
  renameSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAsync } from '../support/builds.js';
import { type CliResult, runXcc, withoutFirstBuildNotice } from '../support/cli.js';
import { type MirrorServer, startMirrorServer } from '../support/mirror-server.js';
import { cliBin } from '../support/paths.js';
import { needTestZig, providedTestZig } from '../support/provided-zig.js';
import { lines, recordCategory, treeOf } from '../support/reliability.js';
import { type TestZig, testZigKey, type ZigArtifact } from '../support/test-zig.js';
import { fakeZigMembers, writeZigArchive } from '../support/zig-archives.js';
import { zigIndex } from '../support/zig-mirror.js';

/**
 * A cache that another user, or a restored CI cache, prepared for xcc: symlinks out of it planted where
 * xcc cleans, directories owned by someone else or writable by everyone, a `zig` waiting to be run. Each is
 * refused with one line (exit 2: the user must fix the directory) before xcc deletes, writes or runs
 * anything there; and whatever the umask, what xcc creates is writable by its owner alone.
 */

recordCategory(
  'cache-attacks',
  'Cache attacks',
  'Symlinks planted at v1, v1/tmp, v1/locks, v1/zig and an install directory, pointing at a victim with day-old files, meet prune and install; a cache root, install directory or zig owned by another user or writable by group or world holds a planted zig that writes a marker, and env, exec and install must refuse it (doctor reports it); a cache left group-writable by an old umask is repaired; installs under umask 000 and 077 leave exactly 0755 directories and 0644/0755 files.',
);

const DAY_MS = 24 * 60 * 60 * 1000;
const TARGET = 'linux/amd64';

let test: TestZig | undefined;
let mirror: MirrorServer;
let archive: ZigArtifact;
let scratch: string;

beforeAll(async () => {
  test = providedTestZig();
  if (!test) return;
  scratch = await mkdtemp(path.join(os.tmpdir(), 'xcc-cache-attacks-'));
  // A tiny Zig signed with the test key: installs take milliseconds, through the same installer.
  archive = await writeZigArchive({
    dir: path.join(scratch, 'archive'),
    version: test.version,
    hostKey: test.hostKey,
    key: await testZigKey(test),
    members: [
      ...fakeZigMembers(test.version),
      { name: 'lib/include/open.h', mode: 0o666, data: '/* world-writable in the archive */\n' },
      { name: 'doc/run.sh', mode: 0o777, data: '#!/bin/sh\n' },
    ],
  });
  mirror = await startMirrorServer();
  mirror.setFile(`/zig/${archive.fileName}`, { file: archive.path });
  mirror.setFile(`/zig/${archive.fileName}.minisig`, { file: archive.signaturePath });
  mirror.setFile('/zig/index.json', ({ baseUrl }) => JSON.stringify(zigIndex(baseUrl, [archive])));
});

afterAll(async () => {
  await mirror?.close();
});

function mirrorEnv(zig: TestZig, home: string): Record<string, string> {
  return {
    XCC_HOME: home,
    XCC_ZIG_INDEX: `${mirror.url}/zig/index.json`,
    XCC_ZIG_MIRROR: `${mirror.url}/zig`,
    XCC_ZIG_PUBKEY: zig.key.publicKey,
  };
}

async function freshDir(name: string): Promise<string> {
  return mkdtemp(path.join(scratch, `${name}-`));
}

/** The ids of `nobody` and its group: "another user" on this machine. */
function nobody(): { uid: number; gid: number } {
  const id = (flag: string) => Number(execFileSync('id', [flag, 'nobody'], { encoding: 'utf8' }).trim());
  return { uid: id('-u'), gid: id('-g') };
}

function chownTree(dir: string, uid: number, gid: number): void {
  chownSync(dir, uid, gid);
  for (const name of treeOf(dir)) {
    const file = path.join(dir, name);
    if (!lstatSync(file).isSymbolicLink()) chownSync(file, uid, gid);
  }
}

/** The one line a refusal prints: what is wrong with which path, and the fix. */
function expectRefusal(result: CliResult, pattern: RegExp): void {
  expect(result.exitCode, result.stderr).toBe(2);
  expect(lines(result.stderr), result.stderr).toHaveLength(1);
  expect(result.stderr).toMatch(pattern);
  expect(result.stderr).not.toMatch(/internal error|^ {4}at /m);
}

describe('symlinks planted in the cache point at a victim with day-old files', { timeout: 60_000 }, () => {
  /** Files where each planted link leads: a cleanup that follows one deletes them. */
  function victimDir(root: string): string {
    const victim = path.join(root, 'victim');
    for (const sub of ['', 'tmp', 'locks', 'zig']) {
      mkdirSync(path.join(victim, sub), { recursive: true });
      writeFileSync(path.join(victim, sub, 'precious.txt'), 'not xcc\u2019s\n');
    }
    const old = new Date(Date.now() - 3 * DAY_MS);
    for (const name of ['', ...treeOf(victim)]) utimesSync(path.join(victim, name), old, old);
    return victim;
  }

  const commands: Array<{ name: string; args: (zig: TestZig) => string[] }> = [
    { name: 'xcc prune --keep 1', args: () => ['prune', '--keep', '1'] },
    { name: 'xcc install', args: (zig) => ['install', zig.version, '--source', 'mirror'] },
  ];
  /** Where the link is planted, and where in the victim it points. */
  const plants = [
    { plant: 'v1', to: '' },
    { plant: 'v1/tmp', to: 'tmp' },
    { plant: 'v1/locks', to: 'locks' },
    { plant: 'v1/zig', to: 'zig' },
    { plant: 'v1/locks/zig-VERSION.lock', to: 'locks' },
  ];
  const cases = plants.flatMap((plant) => commands.map((command) => ({ ...plant, ...command })));

  it.for(cases)('$plant -> victim, then $name', async ({ plant, to, args }, context) => {
    const zig = needTestZig(context);
    const root = await freshDir('link');
    const home = path.join(root, 'home');
    const victim = victimDir(root);
    const before = treeOf(victim);
    const link = path.join(home, plant.replace('VERSION', zig.version));
    mkdirSync(path.dirname(link), { recursive: true });
    symlinkSync(path.join(victim, to), link);

    const result = await runXcc(args(zig), { env: mirrorEnv(zig, home) });

    expect(treeOf(victim)).toEqual(before);
    expectRefusal(
      result,
      new RegExp(`^xcc: ${link.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is a symlink .*; remove it`),
    );
  });

  it('a symlink in tmp/ is removed as a link, and what it points at stays', async (context) => {
    const zig = needTestZig(context);
    const root = await freshDir('tmp-entry');
    const home = path.join(root, 'home');
    const victim = victimDir(root);
    const before = treeOf(victim);
    mkdirSync(path.join(home, 'v1', 'tmp'), { recursive: true });
    const entry = path.join(home, 'v1', 'tmp', 'stage-0123456789-1-abcd');
    symlinkSync(victim, entry);
    const old = new Date(Date.now() - 3 * DAY_MS);
    execFileSync('touch', ['-h', '-d', old.toISOString(), entry]);

    const result = await runXcc(['prune', '--keep', '1'], { env: mirrorEnv(zig, home) });

    expect(result.exitCode, result.stderr).toBe(0);
    expect(treeOf(victim)).toEqual(before);
    expect(existsSync(entry)).toBe(false);
  });
});

describe('a planted zig in a cache that others can write', { timeout: 60_000 }, () => {
  /** An install xcc never made: a marker it accepts and a `zig` that leaves `ran` behind if it ever runs. */
  function plantInstall(home: string, zig: TestZig, ran: string): string {
    const dir = path.join(home, 'v1', 'zig', zig.version);
    mkdirSync(dir, { recursive: true, mode: 0o755 });
    const marker = {
      version: zig.version,
      host: zig.hostKey,
      source: 'planted',
      url: 'https://example.invalid/zig.tar.xz',
      sha256: zig.release.sha256,
      installedAt: new Date().toISOString(),
      bytes: 1,
    };
    writeFileSync(path.join(dir, '.xcc-install.json'), JSON.stringify(marker), { mode: 0o644 });
    writeFileSync(path.join(dir, 'zig'), `#!/bin/sh\ntouch '${ran}'\necho ${zig.version}\n`, { mode: 0o755 });
    mkdirSync(path.join(dir, 'lib'), { mode: 0o755 });
    return dir;
  }

  const hostile: Array<{ name: string; make: (home: string, install: string) => void; says: RegExp }> = [
    {
      name: 'the cache root is owned by nobody',
      make: (home) => chownTree(home, nobody().uid, nobody().gid),
      says: /^xcc: \S+\/home is owned by uid \d+, not by you \(uid 0\) or root: .*XCC_HOME/,
    },
    {
      name: 'the cache root is chmod 0777',
      make: (home) => chmodSync(home, 0o777),
      says: /^xcc: \S+\/home is writable by others \(mode 0777\): .*run chmod -R go-w '\S+\/home' if nobody else used it, else remove the cache/,
    },
    {
      name: "the cache root is group-writable for another user's group",
      make: (home) => {
        chownSync(home, 0, nobody().gid);
        chmodSync(home, 0o775);
      },
      says: /^xcc: \S+\/home is writable by group \d+ \(mode 0775\): .*run chmod -R g-w '\S+\/home' if they never used it/,
    },
    {
      name: 'the install directory is chmod 0777',
      make: (_, install) => chmodSync(install, 0o777),
      says: /^xcc: \S+\/v1\/zig\/[^/]+ is writable by others \(mode 0777\)/,
    },
    {
      name: 'the zig binary is owned by nobody',
      make: (_, install) => chownSync(path.join(install, 'zig'), nobody().uid, nobody().gid),
      says: /^xcc: \S+\/zig is owned by uid \d+, not by you/,
    },
    {
      name: 'the zig binary is world-writable',
      make: (_, install) => chmodSync(path.join(install, 'zig'), 0o757),
      says: /^xcc: \S+\/zig is writable by others \(mode 0757\)/,
    },
    {
      name: 'the install directory is a symlink to a directory xcc did not make',
      make: (home, install) => {
        const elsewhere = path.join(path.dirname(home), 'elsewhere');
        renameSync(install, elsewhere);
        symlinkSync(elsewhere, install);
      },
      says: /^xcc: \S+\/v1\/zig\/[^/]+ is a symlink \(to \S+elsewhere\), which xcc never makes: .*; remove it/,
    },
  ];
  const commands: Array<{ name: string; args: (zig: TestZig) => string[] }> = [
    { name: 'env', args: (zig) => ['env', TARGET, '--zig', zig.version] },
    {
      name: 'exec',
      args: (zig) => ['exec', TARGET, '--zig', zig.version, '--', 'sh', '-c', '"$CC" --version'],
    },
    { name: 'install', args: (zig) => ['install', zig.version] },
  ];
  const cases = hostile.flatMap((setup) => commands.map((command) => ({ ...setup, command })));

  it.for(cases)('$name: $command.name refuses, the zig never runs', async (setup, context) => {
    const zig = needTestZig(context);
    const root = await freshDir('planted');
    const home = path.join(root, 'home');
    const ran = path.join(root, 'zig-ran');
    const install = plantInstall(home, zig, ran);
    setup.make(home, install);

    const result = await runXcc(setup.command.args(zig), { env: { XCC_HOME: home, XCC_OFFLINE: '1' } });

    expect(existsSync(ran), 'the planted zig ran').toBe(false);
    expectRefusal(result, setup.says);
  });

  it.for([
    { name: 'owned by nobody', make: (home: string) => chownTree(home, nobody().uid, nobody().gid) },
    { name: 'chmod 0777', make: (home: string) => chmodSync(home, 0o777) },
  ])('a warm cache that xcc made, then $name: env and exec refuse', async ({ make }, context) => {
    const zig = needTestZig(context);
    const home = path.join(await freshDir('warm'), 'home');
    const env = mirrorEnv(zig, home);
    expect((await runXcc(['install', zig.version, '--source', 'mirror'], { env })).exitCode).toBe(0);
    expect((await runXcc(['env', TARGET, '--zig', zig.version], { env })).exitCode).toBe(0);
    make(home);

    for (const args of [
      ['env', TARGET, '--zig', zig.version],
      ['exec', TARGET, '--zig', zig.version, '--', 'true'],
      ['ls'],
    ]) {
      expectRefusal(await runXcc(args, { env }), /^xcc: \S+\/home is (owned by uid|writable by others)/);
    }
  });
});

describe('xcc doctor on a cache others can write', { timeout: 120_000 }, () => {
  it('reports the Zig check as failed with the fix, and still runs the other checks', async () => {
    const home = path.join(await freshDir('doctor'), 'home');
    mkdirSync(home);
    chmodSync(home, 0o777);
    const result = await runXcc(['doctor', '--json'], { env: { XCC_HOME: home, XCC_OFFLINE: '1' } });
    expect(result.exitCode, result.stderr).toBe(1);
    const report = JSON.parse(result.stdout) as { checks: Array<Record<string, string>> };
    expect(report.checks.find((check) => check.id === 'zig')).toMatchObject({
      status: 'fail',
      detail: `${home} is writable by others (mode 0777): anyone could plant a zig that xcc runs`,
      fix: `run chmod -R go-w '${home}' if nobody else used it, else remove the cache`,
    });
    expect(report.checks.map((check) => check.id)).toContain('cache');
  });
});

/** Every entry below `dir` (and `dir` itself) with its permission bits, without following symlinks. */
function modes(dir: string): Map<string, { mode: number; kind: 'dir' | 'file' | 'link' }> {
  const result = new Map<string, { mode: number; kind: 'dir' | 'file' | 'link' }>();
  for (const name of ['', ...treeOf(dir)]) {
    const info = lstatSync(path.join(dir, name));
    const kind = info.isSymbolicLink() ? 'link' : info.isDirectory() ? 'dir' : 'file';
    result.set(name || '.', { mode: info.mode & 0o7777, kind });
  }
  return result;
}

describe('what xcc creates does not depend on the umask', { timeout: 120_000 }, () => {
  it.for(['000', '077'])(
    'umask %s: install and env into a home that does not exist yet',
    async (umask, context) => {
      const zig = needTestZig(context);
      const home = path.join(await freshDir(`umask-${umask}`), 'new', 'xcc');
      const env = mirrorEnv(zig, home);
      const underUmask = (args: string[]) =>
        runAsync('sh', ['-c', `umask ${umask}; exec "$@"`, 'sh', process.execPath, cliBin, ...args], {
          env: { ...process.env, ...env },
        });

      const installed = await underUmask(['install', zig.version, '--source', 'mirror']);
      expect(installed.status, installed.stderr).toBe(0);
      const wired = await underUmask(['env', TARGET, '--zig', zig.version]);
      expect(wired.status, wired.stderr).toBe(0);

      const found = modes(home);
      expect(found.size).toBeGreaterThan(10);
      const wrong = [...found].filter(([, { mode, kind }]) =>
        kind === 'dir' ? mode !== 0o755 : kind === 'file' ? mode !== 0o644 && mode !== 0o755 : false,
      );
      expect(wrong.map(([name, { mode }]) => `${name} ${mode.toString(8)}`)).toEqual([]);
      const install = path.join('v1', 'zig', zig.version);
      expect(found.get(`${install}/zig`)?.mode).toBe(0o755);
      expect(found.get(`${install}/lib/include/open.h`)?.mode).toBe(0o644);
      expect(found.get(`${install}/doc/run.sh`)?.mode).toBe(0o755);
      expect([...found.keys()].some((name) => name.startsWith('v1/toolchains/'))).toBe(true);
      expect([...found.keys()].some((name) => name.startsWith('v1/meta/'))).toBe(true);
    },
  );

  it('a cache left group-writable by an old umask 002 is repaired and used', async (context) => {
    const zig = needTestZig(context);
    const home = path.join(await freshDir('umask-002'), 'home');
    const env = mirrorEnv(zig, home);
    expect((await runXcc(['install', zig.version, '--source', 'mirror'], { env })).exitCode).toBe(0);
    expect((await runXcc(['env', TARGET, '--zig', zig.version], { env })).exitCode).toBe(0);
    // What xcc used to leave under umask 002 (and more): its directories and files group-writable.
    for (const [name, { mode, kind }] of modes(home)) {
      if (kind !== 'link') chmodSync(path.join(home, name), mode | 0o020);
    }

    const again = await runXcc(['env', TARGET, '--zig', zig.version], { env });
    expect(again.exitCode, again.stderr).toBe(0);
    // Nothing about the repair; the first build's notice (no link has happened in this zig cache) is all.
    expect(withoutFirstBuildNotice(again.stderr)).toBe('');
    const listed = await runXcc(['ls'], { env });
    expect(listed.exitCode, listed.stderr).toBe(0);
    const found = modes(home);
    for (const name of ['.', 'v1', 'v1/zig', `v1/zig/${zig.version}`, 'v1/toolchains']) {
      expect(found.get(name)?.mode, name).toBe(0o755);
    }
    expect(found.get(`v1/zig/${zig.version}/zig`)?.mode).toBe(0o755);
    const wrappers = [...found].filter(([name]) => /^v1\/toolchains\/.*\/bin-[^/]+\/./.test(name));
    expect(wrappers.length).toBeGreaterThan(3);
    for (const [name, { mode }] of wrappers) expect(mode, name).toBe(0o755);
  });
});
