import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep, setImmediate as tick } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cacheLayout } from '../../src/home.js';
import { MARKER_FILE } from '../../src/zig/store/store.js';
import { runXcc, startXcc } from '../support/cli.js';
import type { MinisignKey } from '../support/minisign.js';
import { cliBin } from '../support/paths.js';
import { needTestZig, providedTestZig } from '../support/provided-zig.js';
import { cacheState, recordCategory } from '../support/reliability.js';
import { type TestZig, testZigKey, type ZigArtifact } from '../support/test-zig.js';
import { needCommand } from '../support/tools.js';
import { treeMembers, writeZigArchive, zigScript } from '../support/zig-archives.js';
import { startZigMirror, type ZigMirror } from '../support/zig-mirror.js';

/**
 * Crashes: `kill -9` at 20 points spread over download, extraction and commit, each followed by another
 * run in the same cache, and a full disk (a small tmpfs) during download and during extraction. After
 * every kill the cache may hold a complete install or none, never a partial one; the run after the last
 * kill must succeed at once (the dead holder's lock taken over, its temp dirs removed).
 *
 * The kill points use a mid-sized archive (the test Zig's real lib/std, 16 MB in 600 files, with a `zig`
 * that answers `zig version`) served at a limited rate, so that each phase lasts long enough to be hit;
 * the disk-full cases use the real test Zig (73 MB download, 358 MB extracted).
 */

const recorder = recordCategory(
  'crashes',
  'Crashes and full disks',
  'kill -9 of `xcc install` at 20 random points spread over download, extraction and commit (then the next run must succeed with no partial install left), and a full disk (tmpfs) during download and during extraction (one clear line, nothing left behind, no other source tried).',
);

const KILL_POINTS = 20;
/** Seconds a download of the mid-sized archive takes (the mirror is throttled). */
const DOWNLOAD_S = 1;
const PHASES = ['download', 'extraction', 'commit'] as const;
type Phase = (typeof PHASES)[number];

let zig: TestZig | undefined;
let key: MinisignKey;
let mirror: ZigMirror;
let midsize: ZigArtifact;
let scratch: string;

beforeAll(async () => {
  zig = providedTestZig();
  if (!zig) return;
  key = await testZigKey(zig);
  scratch = await mkdtemp(path.join(os.tmpdir(), 'xcc-reliability-crash-'));
  midsize = await writeZigArchive({
    dir: path.join(scratch, 'midsize'),
    version: zig.version,
    hostKey: zig.hostKey,
    key,
    members: [zigScript(zig.version), ...treeMembers(path.join(zig.install.dir, 'lib', 'std'), 'lib/std')],
  });
  mirror = await startZigMirror(zig, { layout: 'ziglang.org', artifacts: [midsize] });
  // A download that lasts long enough to land a kill in it.
  mirror.fault(mirror.pathOf(midsize), {
    kind: 'throttle',
    bytesPerSecond: Math.round(midsize.size / DOWNLOAD_S),
  });
}, 120_000);

afterAll(async () => {
  await mirror?.close();
});

/** A deterministic sequence from `seed` (mulberry32), so a failing run can be replayed. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function env(test: TestZig, home: string) {
  return {
    XCC_HOME: home,
    XCC_ZIG_INDEX: `${mirror.url}/download/index.json`,
    XCC_ZIG_MIRROR: `${mirror.url}/download/${test.version}`,
    XCC_ZIG_PUBKEY: test.key.publicKey,
  };
}

function stages(home: string): string[] {
  const { tmp } = cacheLayout(home);
  return existsSync(tmp) ? readdirSync(tmp).map((name) => path.join(tmp, name)) : [];
}

/**
 * Resolves when the commit has begun (a stage holds the install marker) or just ended (the install
 * directory exists, the lock not yet released), or when the run exits.
 */
async function committing(home: string, version: string, until: Promise<unknown>): Promise<void> {
  let done = false;
  until.finally(() => {
    done = true;
  });
  const installed = path.join(cacheLayout(home).zig, version);
  while (!done) {
    if (existsSync(installed) || stages(home).some((stage) => existsSync(path.join(stage, MARKER_FILE))))
      return;
    await tick();
  }
}

/** Where the killed run was: judged from what it left, not from when the kill was sent. */
function landedIn(home: string, version: string, archive: ZigArtifact): string {
  if (existsSync(path.join(cacheLayout(home).zig, version, MARKER_FILE))) return 'after commit';
  const left = stages(home).flatMap((stage) =>
    existsSync(stage) ? readdirSync(stage).map((name) => path.join(stage, name)) : [],
  );
  const names = left.map((file) => path.basename(file));
  if (names.includes(MARKER_FILE)) return 'commit';
  if (names.includes('lib') || names.includes('zig')) return 'extraction';
  const download = left.find((file) => file.endsWith('.tar.xz'));
  if (download === undefined) return 'before download';
  // The whole archive is there: verified, and extraction about to write its first file.
  return statSync(download).size < archive.size ? 'download' : 'extraction';
}

/** Every directory under zig/ is a complete install: its marker is there and its zig answers. */
function expectNoPartialInstall(home: string) {
  const { zig: installs } = cacheLayout(home);
  for (const version of existsSync(installs) ? readdirSync(installs) : []) {
    const dir = path.join(installs, version);
    expect(existsSync(path.join(dir, MARKER_FILE)), `${dir} has no marker`).toBe(true);
    expect(spawnSync(path.join(dir, 'zig'), ['version'], { encoding: 'utf8' }).stdout.trim()).toBe(version);
  }
}

/**
 * One chain of runs in one cache: each run is killed in its phase, the next starts at once. Returns where
 * each kill landed. `extractMs` is how long extraction and commit take here.
 */
async function killChain(
  test: TestZig,
  home: string,
  points: Phase[],
  next: () => number,
  extractMs: number,
) {
  const landed: string[] = [];
  for (const phase of points) {
    const run = startXcc(['install', test.version], { env: env(test, home) });
    if (phase === 'download') {
      await run.printed('xcc: downloading ');
      await sleep(next() * DOWNLOAD_S * 1000 * 0.9);
    } else if (phase === 'extraction') {
      await run.printed('xcc: verified ');
      await sleep(next() * extractMs * 0.8);
    } else {
      await run.printed('xcc: verified ');
      await committing(home, test.version, run.exited);
    }
    run.kill();
    const { signal } = await run.exited;
    landed.push(signal === 'SIGKILL' ? landedIn(home, test.version, midsize) : 'finished first');
    expectNoPartialInstall(home);
    // A complete install would turn every later run into a cache hit: remove it, as `xcc prune` would.
    await rm(path.join(cacheLayout(home).zig, test.version), { recursive: true, force: true });
  }
  return landed;
}

describe('kill -9 during an install', { timeout: 600_000 }, () => {
  it(`at ${KILL_POINTS} points over download, extraction and commit: no partial install, the next run succeeds`, async (context) => {
    const test = needTestZig(context);
    const seed = Number(process.env.XCC_TEST_SEED ?? Date.now() % 2 ** 31);
    const where = `seed ${seed} (XCC_TEST_SEED)`;

    // How long extraction and commit take here, so that extraction kills spread over it.
    const calibration = await mkdtemp(path.join(os.tmpdir(), 'xcc-reliability-kill-calibrate-'));
    const timed = startXcc(['install', test.version], { env: env(test, calibration) });
    await timed.printed('xcc: verified ');
    const verifiedAt = performance.now();
    expect((await timed.exited).exitCode, timed.stderr()).toBe(0);
    const extractMs = performance.now() - verifiedAt;

    // Two caches side by side, half the points each: the same work in half the time on two cores.
    const homes = await Promise.all(
      [0, 1].map(() => mkdtemp(path.join(os.tmpdir(), 'xcc-reliability-kill-'))),
    );
    const points = Array.from({ length: KILL_POINTS }, (_, i) => PHASES[i % PHASES.length]!);
    const landed = (
      await Promise.all(
        homes.map((home, chain) =>
          killChain(
            test,
            home,
            points.filter((_, i) => i % 2 === chain),
            random(seed + chain),
            extractMs,
          ),
        ),
      )
    ).flat();

    for (const home of homes) {
      const last = await runXcc(['install', test.version, '--json'], { env: env(test, home) });
      expect(last.exitCode, `${where}: ${last.stderr}`).toBe(0);
      expect(JSON.parse(last.stdout)).toMatchObject({ version: test.version, cached: false });
      expect(last.stderr, where).not.toContain('waiting for another xcc process');
      expectNoPartialInstall(home);
      expect(cacheState(home), where).toMatchObject({ tmp: [], zig: [test.version], locks: [] });
    }

    const counts = new Map<string, number>();
    for (const at of landed) counts.set(at, (counts.get(at) ?? 0) + 1);
    recorder.note(`kill -9 landed (${where}): ${[...counts].map(([at, n]) => `${at} ${n}`).join(', ')}`);
    expect(counts.get('download'), `${where}: ${landed}`).toBeGreaterThan(0);
    expect(counts.get('extraction'), `${where}: ${landed}`).toBeGreaterThan(0);
    recorder.cases(context, KILL_POINTS);
  });
});

/**
 * The install runs in its own mount namespace with a tmpfs of `size` as XCC_HOME (unshare(1); as root,
 * or as an unprivileged user where user namespaces are allowed), so nothing is mounted on the machine
 * itself. The script reports what the install left on the tmpfs before the namespace goes away.
 */
async function installOnTmpfs(test: TestZig, size: string, mirrors: string[]) {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'xcc-reliability-full-'));
  const mount = path.join(dir, 'mnt');
  await mkdir(mount);
  const script = path.join(dir, 'run.sh');
  await writeFile(
    script,
    [
      'set -u',
      // mode: a fresh tmpfs is 1777, world-writable, which xcc refuses as a cache (cache-attacks.test.ts).
      'mount -t tmpfs -o size="$SIZE",mode=0755 tmpfs "$MNT" || exit 99',
      '"$NODE" "$CLI" install "$VERSION" --source mirror >"$OUT/stdout" 2>"$OUT/stderr"',
      'echo $? >"$OUT/code"',
      '(cd "$MNT" && find . -mindepth 1 | sort) >"$OUT/left"',
      '',
    ].join('\n'),
  );
  const asRoot = process.getuid?.() === 0;
  // Not spawnSync: the mirror answering the install lives in this process's event loop.
  const unshare = await run('unshare', [...(asRoot ? [] : ['--map-root-user']), '--mount', 'sh', script], {
    env: {
      ...process.env,
      SIZE: size,
      MNT: mount,
      OUT: dir,
      NODE: process.execPath,
      CLI: cliBin,
      VERSION: test.version,
      XCC_HOME: mount,
      XCC_ZIG_INDEX: `${zigMirror.url}/download/index.json`,
      XCC_ZIG_MIRROR: mirrors.join(','),
      XCC_ZIG_PUBKEY: test.key.publicKey,
    },
  });
  if (unshare.status !== 0 || !existsSync(path.join(dir, 'code'))) {
    return {
      missing: `cannot mount a tmpfs in a private mount namespace here (unshare exit ${unshare.status}: ${unshare.stderr.trim() || 'mount refused'})`,
    };
  }
  const read = (name: string) => readFileSync(path.join(dir, name), 'utf8');
  return {
    exitCode: Number(read('code')),
    stderr: read('stderr'),
    stdout: read('stdout'),
    left: read('left').split('\n').filter(Boolean),
  };
}

function run(command: string, args: string[], options: { env: NodeJS.ProcessEnv }) {
  return new Promise<{ status: number | null; stderr: string }>((resolve, reject) => {
    const child = spawn(command, args, { ...options, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stderr }));
  });
}

let zigMirror: ZigMirror;
let spare: ZigMirror;

describe.concurrent('a full disk', { timeout: 300_000 }, () => {
  beforeAll(async () => {
    if (!zig) return;
    zigMirror = await startZigMirror(zig, { layout: 'ziglang.org', artifacts: [zig.release] });
    spare = await startZigMirror(zig, { artifacts: [zig.release] });
  });
  afterAll(async () => {
    await Promise.all([zigMirror?.close(), spare?.close()]);
  });

  it.for([
    { name: 'during the download (50 MiB for a 73 MB archive)', size: '50m' },
    { name: 'during extraction (150 MiB: the archive fits, its 358 MB of files do not)', size: '150m' },
  ])('$name: one clear line, no other source tried, nothing left', async ({ size }, context) => {
    const test = needTestZig(context);
    needCommand(context, 'unshare');
    const before = spare.count(spare.pathOf(test.release));
    const result = await installOnTmpfs(test, size, [
      `${zigMirror.url}/download/${test.version}`,
      spare.base,
    ]);
    if ('missing' in result)
      return recorder.skip(
        context,
        result.missing!,
        'run the tests as root, or where unprivileged user namespaces are allowed (sysctl kernel.unprivileged_userns_clone=1)',
      );
    expect(result.exitCode, result.stderr).toBe(1);
    expect(result.stderr).not.toMatch(/internal error|^ {4}at /m);
    expect(result.stderr.trimEnd().split('\n').at(-1)).toMatch(
      /^xcc: no space left for the xcc cache in \S+\/v1 \(ENOSPC\); free some space \('xcc prune --keep 1' removes older Zig versions\) or set XCC_HOME to a directory on a larger disk$/,
    );
    expect(spare.count(spare.pathOf(test.release))).toBe(before);
    expect(spare.count(`${spare.pathOf(test.release)}.minisig`)).toBe(0);
    // Left: the cache's directories and the cached index; no download, no stage, no install.
    expect(
      result.left.filter(
        (entry) => !/^\.\/v1(\/(tmp|locks|zig|meta)(\/index\.json-[0-9a-f]{12}\.json)?)?$/.test(entry),
      ),
    ).toEqual([]);
  });
});
