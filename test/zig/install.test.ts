import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, readdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InstallEvent } from '../../src/zig/events.js';
import { ensureZig } from '../../src/zig/install.js';
import { runXcc } from '../support/cli.js';
import { startMirrorServer } from '../support/mirror-server.js';
import { needTestZig, providedTestZig } from '../support/provided-zig.js';
import { startZigPypi } from '../support/pypi-server.js';
import type { TestZig } from '../support/test-zig.js';
import { allArtifacts, startZigMirror, type ZigMirror, zigIndex } from '../support/zig-mirror.js';

/**
 * The whole provisioning path for real: a real Zig (the test Zig) served over HTTP on 127.0.0.1, verified,
 * extracted, checked with `zig version` and committed to a fresh cache, through the built CLI where a
 * user would go through it.
 */

let zig: TestZig | undefined;
let origin: ZigMirror;
const mirrors: ZigMirror[] = [];
const servers: Array<{ close(): Promise<void> }> = [];

beforeAll(async () => {
  zig = providedTestZig();
  if (!zig) return;
  for (let i = 0; i < 3; i++) mirrors.push(await startZigMirror(zig, { prefix: `/zig${i}` }));
  origin = await startZigMirror(zig, { layout: 'ziglang.org', mirrors: () => mirrors.map((m) => m.base) });
  servers.push(origin, ...mirrors);
});

afterAll(async () => {
  await Promise.all(servers.map((server) => server.close()));
});

async function freshHome(): Promise<string> {
  return mkdtemp(path.join(os.tmpdir(), 'xcc-install-'));
}

/** The settings a company mirror (or this test) gives xcc: its index, its mirrors, its signing key. */
function mirrorEnv(test: TestZig, home: string, bases: string[]): Record<string, string> {
  return {
    XCC_HOME: home,
    XCC_ZIG_INDEX: `${origin.url}/download/index.json`,
    XCC_ZIG_MIRROR: bases.join(','),
    XCC_ZIG_PUBKEY: test.key.publicKey,
  };
}

/** Nothing half-written may stay behind: no temp dirs, and no install dir unless the install succeeded. */
function cacheLeftovers(home: string): string[] {
  const tmp = path.join(home, 'v1', 'tmp');
  return existsSync(tmp) ? readdirSync(tmp) : [];
}

describe('xcc install from mirrors', { timeout: 300_000 }, () => {
  it('downloads, verifies and installs the release, then finds it without the network', {
    tags: ['fast'],
  }, async (context) => {
    const test = needTestZig(context);
    const home = await freshHome();
    const before = mirrors[0]!.count(mirrors[0]!.pathOf(test.release));
    const env = mirrorEnv(test, home, [mirrors[0]!.base]);

    const first = await runXcc(['install', test.version, '--json'], { env });
    expect(first.stderr).toContain(`verified sha256 (private-index), minisign (key ${test.key.keyId}`);
    expect(first.exitCode).toBe(0);
    const installed = JSON.parse(first.stdout);
    expect(installed).toMatchObject({
      version: test.version,
      cached: false,
      source: `127.0.0.1:${new URL(mirrors[0]!.url).port}`,
    });
    expect(readFileSync(path.join(installed.dir, 'lib', 'std', 'std.zig'), 'utf8')).toContain('pub const');
    expect(mirrors[0]!.count(mirrors[0]!.pathOf(test.release))).toBe(before + 1);
    const download = mirrors[0]!.requests.filter((r) => r.path.endsWith('.tar.xz')).at(-1);
    expect(download?.query).toBe('source=xcc');
    // The CLI ran on the Node running the tests (CI runs this file on each Node version it tests).
    expect(download?.headers['user-agent']).toContain(`(node ${process.version}; `);
    expect(cacheLeftovers(home)).toEqual([]);

    // Offline, the cached install is all it needs.
    const again = await runXcc(['install', test.version], { env: { ...env, XCC_OFFLINE: '1' } });
    expect(again).toMatchObject({
      exitCode: 0,
      stdout: `Zig ${test.version} is installed: ${installed.zig}\n`,
    });
    expect(mirrors[0]!.count(mirrors[0]!.pathOf(test.release))).toBe(before + 1);

    const listed = await runXcc(['ls', '--json'], { env });
    expect(JSON.parse(listed.stdout)).toMatchObject([{ version: test.version, source: installed.source }]);
  });

  it('installs where no xz program is on PATH, with the WebAssembly decoder', async (context) => {
    const test = needTestZig(context);
    const home = await freshHome();
    const emptyPath = await mkdtemp(path.join(os.tmpdir(), 'xcc-no-xz-'));
    const env = { ...mirrorEnv(test, home, [mirrors[0]!.base]), PATH: emptyPath };
    const result = await runXcc(['install', test.version, '--json'], { env });
    expect(result.stderr).not.toMatch(/error/i);
    expect(result.exitCode).toBe(0);
    const installed = JSON.parse(result.stdout);
    expect(readFileSync(path.join(installed.dir, 'lib', 'std', 'std.zig'), 'utf8')).toContain('pub const');
    expect(cacheLeftovers(home)).toEqual([]);
  });

  it('fails over across mirrors with faults, naming each failure', async (context) => {
    const test = needTestZig(context);
    const home = await freshHome();
    const [down, tampered, good] = mirrors as [ZigMirror, ZigMirror, ZigMirror];
    down.fault(down.pathOf(test.release), { kind: 'status', status: 503 });
    tampered.fault(tampered.pathOf(test.release), { kind: 'flip-byte' });
    try {
      const events: InstallEvent[] = [];
      const result = await ensureZig({
        spec: test.version,
        env: { ...process.env, ...mirrorEnv(test, home, [down.base, tampered.base, good.base]) },
        onEvent: (event) => events.push(event),
      });
      expect(result.source).toBe(new URL(good.url).host);
      const failures = events.filter((event) => event.type === 'source-failed');
      expect(failures.map((event) => event.source)).toEqual([
        new URL(down.url).host,
        new URL(tampered.url).host,
      ]);
      expect(failures[0]!.reason).toContain('HTTP 503');
      expect(failures[1]!.reason).toMatch(
        /has sha256 [0-9a-f]{64}, expected [0-9a-f]{64} \(private-index\): the file was altered/,
      );
      expect(cacheLeftovers(home)).toEqual([]);
    } finally {
      down.clearFaults();
      tampered.clearFaults();
    }
  });

  it('lists every source and why when all fail, and leaves the cache clean', async (context) => {
    const test = needTestZig(context);
    const home = await freshHome();
    const dead = await startMirrorServer();
    const deadUrl = dead.url;
    await dead.close();
    const missing = await startMirrorServer();
    servers.push(missing);
    const result = await runXcc(['install', test.version], {
      env: {
        ...mirrorEnv(test, home, [`${deadUrl}/zig`, `${missing.url}/zig`]),
        XCC_PYPI_INDEX_URL: `${deadUrl}/simple`,
      },
    });
    expect(result.exitCode).toBe(1);
    const lines = result.stderr.trim().split('\n');
    expect(lines.at(-5)).toBe(
      `xcc: could not install Zig ${test.version} for ${test.hostKey}; every source failed:`,
    );
    expect(lines.at(-4)).toMatch(new RegExp(`^  ${new URL(deadUrl).host}: .*(ECONNREFUSED|refused)`));
    expect(lines.at(-3)).toMatch(new RegExp(`^  ${new URL(missing.url).host}: .*404`));
    expect(lines.at(-2)).toMatch(/^ {2}pypi: .*(ECONNREFUSED|refused)/);
    expect(lines.at(-1)).toContain('XCC_ZIG_MIRROR');
    expect(cacheLeftovers(home)).toEqual([]);
    expect(existsSync(path.join(home, 'v1', 'zig', test.version))).toBe(false);
  });

  it('rejects a mirror that serves another Zig under the asked-for name (zig version check)', async (context) => {
    const test = needTestZig(context);
    const home = await freshHome();
    const misnamed = test.variants.misnamed;
    const result = await runXcc(['install', misnamed.version, '--source', 'mirror'], {
      env: mirrorEnv(test, home, [mirrors[0]!.base]),
    });
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain(
      `the archive holds Zig ${misnamed.zigVersion}, not ${misnamed.version} as asked: the source served the wrong version`,
    );
    expect(existsSync(path.join(home, 'v1', 'zig', misnamed.version))).toBe(false);
    expect(cacheLeftovers(home)).toEqual([]);
  });
});

describe('xcc install from PyPI', { timeout: 300_000 }, () => {
  it('installs the pinned wheel from a PEP 691 index when no mirror can deliver', async (context) => {
    const test = needTestZig(context);
    const home = await freshHome();
    const pypi = await startZigPypi(test, { json: true });
    servers.push(pypi);
    const dead = await startMirrorServer();
    const deadUrl = dead.url;
    await dead.close();
    // No XCC_ZIG_INDEX: the real wheel's sha256 is pinned in toolchains/zig-releases.json.
    const result = await runXcc(['install', test.version, '--json'], {
      env: { XCC_HOME: home, XCC_ZIG_MIRROR: `${deadUrl}/zig`, XCC_PYPI_INDEX_URL: pypi.indexUrl },
    });
    expect(result.stderr).toContain('verified sha256 (pinned in xcc, toolchains/zig-releases.json)');
    expect(result.exitCode).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ version: test.version, source: 'pypi' });
    const simple = pypi.requests.find((request) => request.path.endsWith('/ziglang/'));
    expect(simple?.headers.accept).toContain('application/vnd.pypi.simple.v1+json');
  });
});

describe('what a fall-back to PyPI prints', { timeout: 300_000 }, () => {
  /** Base URLs of servers that were started and closed: connections to them are refused. */
  async function deadMirrors(count: number): Promise<string[]> {
    const bases: string[] = [];
    for (let i = 0; i < count; i++) {
      const dead = await startMirrorServer();
      bases.push(`${dead.url}/zig`);
      await dead.close();
    }
    return bases;
  }

  it('one line for the mirrors it could not reach, one for the source used instead; each error with --debug', async (context) => {
    const test = needTestZig(context);
    const pypi = await startZigPypi(test, { json: true });
    servers.push(pypi);
    const dead = await deadMirrors(3);
    const env = { XCC_ZIG_MIRROR: dead.join(','), XCC_PYPI_INDEX_URL: pypi.indexUrl };
    const pypiSource = `pypi (${new URL(pypi.url).host})`;

    // Not a terminal: the lines CI and postinstall get.
    const quiet = await runXcc(['install', test.version], { env: { ...env, XCC_HOME: await freshHome() } });
    expect(quiet.exitCode, quiet.stderr).toBe(0);
    const lines = quiet.stderr.trim().split('\n');
    expect(lines.slice(0, 3)).toEqual([
      'xcc: could not reach 3 Zig mirrors (--debug shows why)',
      `xcc: using ${pypiSource} instead`,
      expect.stringMatching(/^xcc: downloading ziglang-.*\.whl \(\d+ MiB\) from http:\/\/127\.0\.0\.1:/),
    ]);
    expect(quiet.stderr).not.toMatch(/failed|ECONNREFUSED/);
    expect(lines.at(-1)).toMatch(new RegExp(`^xcc: installed Zig ${test.version} from pypi in \\S+$`));

    const debug = await runXcc(['install', test.version, '--debug'], {
      env: { ...env, XCC_HOME: await freshHome() },
    });
    expect(debug.exitCode, debug.stderr).toBe(0);
    const debugLines = debug.stderr.trim().split('\n');
    expect(debugLines.slice(0, 5)).toEqual([
      ...dead.map((base) =>
        expect.stringMatching(
          new RegExp(`^xcc: ${new URL(base).host} failed: cannot fetch ${base}/zig-.*(ECONNREFUSED|refused)`),
        ),
      ),
      'xcc: could not reach 3 Zig mirrors',
      `xcc: using ${pypiSource} instead`,
    ]);
  });
});

describe('offline and concurrency', { timeout: 300_000 }, () => {
  it('says what to do when offline with nothing installed', async () => {
    const home = await freshHome();
    const result = await runXcc(['install'], { env: { XCC_HOME: home, XCC_OFFLINE: '1' } });
    expect(result).toEqual({
      exitCode: 1,
      stdout: '',
      stderr:
        "xcc: Zig 0.15.2 is not installed and xcc is offline (XCC_OFFLINE=1): run 'xcc install 0.15.2' once while online, or install a downloaded archive with 'xcc install --from <file>'\n",
    });
  });

  it('8 installs started at once on a cold cache download once and all succeed', async (context) => {
    const test = needTestZig(context);
    const home = await freshHome();
    const mirror = mirrors[2]!;
    const before = mirror.count(mirror.pathOf(test.release));
    const env = mirrorEnv(test, home, [mirror.base]);
    const results = await Promise.all(
      Array.from({ length: 8 }, () => runXcc(['install', test.version, '--json'], { env })),
    );
    for (const result of results) expect(result.exitCode, result.stderr).toBe(0);
    expect(mirror.count(mirror.pathOf(test.release)) - before).toBe(1);
    const dirs = new Set(results.map((result) => JSON.parse(result.stdout).dir));
    expect(dirs.size).toBe(1);
    expect(results.filter((result) => JSON.parse(result.stdout).cached === false)).toHaveLength(1);
    expect(await readdir(path.join(home, 'v1', 'zig'))).toEqual([test.version]);
    expect(cacheLeftovers(home)).toEqual([]);
  });
});

describe('local archives and existing installs', { timeout: 300_000 }, () => {
  it('installs an archive from a directory with its .minisig, air-gapped', async (context) => {
    const test = needTestZig(context);
    const home = await freshHome();
    const result = await runXcc(
      ['install', '--from', path.dirname(test.release.path), test.version, '--json'],
      {
        env: {
          XCC_HOME: home,
          XCC_OFFLINE: '1',
          XCC_ZIG_PUBKEY: test.key.publicKey,
          XCC_ZIG_INDEX: writeIndexFile(test),
        },
      },
    );
    expect(result.stderr).toContain('verified sha256 (private-index), minisign');
    expect(result.exitCode).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ version: test.version, source: 'file' });
  });

  it('adopts XCC_ZIG after zig version checks out, and refuses a mismatch', async (context) => {
    const test = needTestZig(context);
    const adopted = await runXcc(['install', '--json'], { env: { XCC_ZIG: test.install.zig } });
    expect(adopted.exitCode).toBe(0);
    expect(JSON.parse(adopted.stdout)).toMatchObject({
      version: test.version,
      source: 'XCC_ZIG',
      cached: true,
    });
    const refused = await runXcc(['install', '0.14'], { env: { XCC_ZIG: test.install.zig } });
    expect(refused).toMatchObject({
      exitCode: 1,
      stderr: `xcc: XCC_ZIG=${test.install.zig} is Zig ${test.version}, which does not match "0.14"; unset XCC_ZIG or ask for ${test.version}\n`,
    });
  });
});

/** The test index as a file, for the air-gapped case (no server to ask). */
function writeIndexFile(test: TestZig): string {
  const file = path.join(os.tmpdir(), `xcc-index-${process.pid}.json`);
  writeFileSync(file, JSON.stringify(zigIndex('https://mirror.invalid', allArtifacts(test))));
  return file;
}
