import { spawnSync } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runXcc, startXcc } from '../support/cli.js';
import { needTestZig, providedTestZig } from '../support/provided-zig.js';
import { cacheState, recordCategory } from '../support/reliability.js';
import { type TestZig, testZigKey, type ZigArtifact } from '../support/test-zig.js';
import { fakeZigMembers, writeZigArchive } from '../support/zig-archives.js';
import { startZigMirror, type ZigMirror } from '../support/zig-mirror.js';

/**
 * Many installs at once, as parallel CI jobs and build tools start them: one cache shared by 16 processes
 * asking for the same version in different words (`0.15.2`, `0.15`, `--from` the archive) and for other
 * versions, while the process holding the lock is killed; and caches that share nothing. Every process
 * must succeed, each version be built once per cache, and nothing be left behind.
 *
 * The other versions (0.14.1, 0.14.0) are small archives in the official layout whose `zig` answers
 * `zig version` with their own version: `zig version` and the index agree, as they must.
 */

recordCategory(
  'concurrency',
  'Concurrency',
  '16 processes in one cache (the same version asked as 0.15.2, 0.15 and --from, and two other versions) started while the lock holder is killed with SIGKILL: all succeed, the dead lock is taken over, each version is built once, nothing is left; prune and ls during an install leave it alone; caches that share nothing each build their own.',
);

let zig: TestZig | undefined;
let others: ZigArtifact[];
let origin: ZigMirror;
let mirror: ZigMirror;

beforeAll(async () => {
  zig = providedTestZig();
  if (!zig) return;
  const key = await testZigKey(zig);
  const dir = await mkdtemp(path.join(os.tmpdir(), 'xcc-reliability-concurrency-'));
  others = await Promise.all(
    ['0.14.1', '0.14.0'].map((version) =>
      writeZigArchive({ dir, version, hostKey: zig!.hostKey, key, members: fakeZigMembers(version) }),
    ),
  );
  const artifacts = [zig.release, ...others];
  origin = await startZigMirror(zig, { layout: 'ziglang.org', artifacts });
  mirror = await startZigMirror(zig, { artifacts, prefix: '/zig' });
  // Downloads from the origin are slow (a few seconds), so a process is surely still working when the
  // others arrive; everything else comes from the fast mirror.
  origin.fault(origin.pathOf(zig.release), { kind: 'throttle', bytesPerSecond: 4 * 1024 ** 2 });
  for (const other of others) {
    origin.fault(origin.pathOf(other), { kind: 'throttle', bytesPerSecond: Math.ceil(other.size / 3) });
  }
});

afterAll(async () => {
  await Promise.all([origin?.close(), mirror?.close()]);
});

function env(test: TestZig, home: string, base: string) {
  return {
    XCC_HOME: home,
    XCC_ZIG_INDEX: `${origin.url}/download/index.json`,
    XCC_ZIG_MIRROR: base,
    XCC_ZIG_PUBKEY: test.key.publicKey,
  };
}

interface Installed {
  version: string;
  dir: string;
  cached: boolean;
}

describe('many installs at once', { timeout: 300_000 }, () => {
  it('16 processes in one cache while the lock holder is killed: all succeed, each version built once', async (context) => {
    const test = needTestZig(context);
    const home = await mkdtemp(path.join(os.tmpdir(), 'xcc-reliability-shared-'));
    const downloads = (artifact: ZigArtifact) => mirror.count(mirror.pathOf(artifact));
    const before = [test.release, ...others].map(downloads);

    const holder = startXcc(['install', test.version], {
      env: env(test, home, `${origin.url}/download/${test.version}`),
    });
    await holder.printed('xcc: downloading ');

    const [v141, v140] = others as [ZigArtifact, ZigArtifact];
    const requests = [
      ...Array.from({ length: 6 }, () => [test.version]),
      ['0.15'],
      ['0.15'],
      ['--from', test.release.path],
      ['--from', test.release.path],
      ...Array.from({ length: 3 }, () => [v141.version]),
      ...Array.from({ length: 3 }, () => [v140.version]),
    ];
    const runs = requests.map((args) =>
      startXcc(['install', ...args, '--json'], { env: env(test, home, mirror.base) }),
    );
    const sameVersion = runs.slice(0, 10);
    await Promise.all(
      sameVersion.map((run) => run.printed(`waiting for another xcc process (pid ${holder.pid} `)),
    );
    holder.kill();
    expect((await holder.exited).signal).toBe('SIGKILL');

    const results = await Promise.all(runs.map((run) => run.exited));
    for (const result of results) expect(result.exitCode, result.stderr).toBe(0);
    const installed = results.map((result) => JSON.parse(result.stdout) as Installed);
    for (const version of [test.version, v141.version, v140.version]) {
      const group = installed.filter((install) => install.version === version);
      expect(new Set(group.map((install) => install.dir)).size, version).toBe(1);
      expect(
        group.filter((install) => !install.cached),
        version,
      ).toHaveLength(1);
    }
    expect(installed.filter((install) => install.version === test.version)).toHaveLength(10);

    // Downloads from the shared mirror: the release at most once (a --from process may have built it),
    // the other versions exactly once.
    const [release, ...rest] = [test.release, ...others].map(
      (artifact, i) => downloads(artifact) - before[i]!,
    );
    expect(release).toBeLessThanOrEqual(1);
    expect(rest).toEqual([1, 1]);

    expect(cacheState(home)).toEqual({
      tmp: [],
      zig: [v140.version, v141.version, test.version].sort(),
      locks: [],
    });
    for (const { version, dir } of installed) {
      expect(spawnSync(path.join(dir, 'zig'), ['version'], { encoding: 'utf8' }).stdout.trim()).toBe(version);
    }
  });

  it('prune --all and ls during an install: the install is neither listed nor disturbed, and succeeds', async (context) => {
    const test = needTestZig(context);
    const [v141] = others as [ZigArtifact];
    const home = await mkdtemp(path.join(os.tmpdir(), 'xcc-reliability-prune-'));
    const slow = startXcc(['install', v141.version, '--json'], {
      env: env(test, home, `${origin.url}/download/${v141.version}`),
    });
    await slow.printed('xcc: downloading ');
    const [pruned, listed] = await Promise.all([
      runXcc(['prune', '--all', '--json'], { env: { XCC_HOME: home } }),
      runXcc(['ls', '--json'], { env: { XCC_HOME: home } }),
    ]);
    expect(pruned.exitCode, pruned.stderr).toBe(0);
    expect(JSON.parse(pruned.stdout)).toMatchObject({ removed: [], temp: [] });
    expect(listed).toMatchObject({ exitCode: 0, stdout: '[]\n' });
    const result = await slow.exited;
    expect(result.exitCode, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ version: v141.version, cached: false });
    expect(cacheState(home)).toEqual({ tmp: [], zig: [v141.version], locks: [] });
  });

  it('four caches that share nothing, two processes each: every cache builds its own, once', async (context) => {
    const test = needTestZig(context);
    const [v141] = others as [ZigArtifact];
    const homes = await Promise.all(
      [0, 1, 2, 3].map(() => mkdtemp(path.join(os.tmpdir(), 'xcc-reliability-separate-'))),
    );
    const before = mirror.count(mirror.pathOf(v141));
    const results = await Promise.all(
      homes.flatMap((home) =>
        [0, 1].map(() => runXcc(['install', v141.version, '--json'], { env: env(test, home, mirror.base) })),
      ),
    );
    for (const result of results) expect(result.exitCode, result.stderr).toBe(0);
    homes.forEach((home, i) => {
      const pair = results.slice(i * 2, i * 2 + 2).map((result) => JSON.parse(result.stdout) as Installed);
      expect(pair.map((install) => install.dir)).toEqual([
        path.join(home, 'v1', 'zig', v141.version),
        path.join(home, 'v1', 'zig', v141.version),
      ]);
      expect(pair.filter((install) => !install.cached)).toHaveLength(1);
      expect(cacheState(home)).toEqual({ tmp: [], zig: [v141.version], locks: [] });
    });
    expect(mirror.count(mirror.pathOf(v141)) - before).toBe(4);
  });
});
