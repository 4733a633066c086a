import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InstallEvent } from '../../src/zig/events.js';
import { releaseFileName } from '../../src/zig/host.js';
import { ensureZig } from '../../src/zig/install.js';
import { zipArchive } from '../support/archives.js';
import { runXcc } from '../support/cli.js';
import type { MirrorServer } from '../support/mirror-server.js';
import { needTestZig } from '../support/provided-zig.js';
import { type PypiFile, startPypiServer } from '../support/pypi-server.js';
import { cacheState, lines, recordCategory } from '../support/reliability.js';
import { type TestCertificates, testCertificates } from '../support/test-ca.js';
import { fileSha256, sha256Hex, type TestZig, testZigHost, type ZigArtifact } from '../support/test-zig.js';
import { zigIndex } from '../support/zig-mirror.js';

/**
 * The PyPI path where xcc pins no hash: the index's word is all there is, so where that word comes from
 * (TLS or plain http), what the index may name a file, and what runs before anything vouched for the
 * bytes are the attack surface. And wheels installed from disk with `--from`, which only a pinned hash
 * (or a lock file) may vouch for. Every wheel here holds a `zig` that leaves a mark when it runs: a
 * refused wheel must never have run.
 */

recordCategory(
  'pypi',
  'PyPI index and wheels',
  "A wheel name that climbs out of the download directory, an unpinned wheel from a plain-http index (refused unless XCC_PYPI_ALLOW_HTTP=1, and then named as such), an index that lists other bytes than it serves, an unpinned, tampered or foreign-host wheel given to --from, and --from naming nothing while the version is cached: each refused in one line before the wheel's zig runs, nothing written outside the cache; the trust root of each install (pinned hash, index over TLS, index over plain http) is named.",
);

/** Zig versions xcc pins no wheel for, so only the index (or nothing) vouches for them. */
const UNPINNED = '0.16.0';

let certificates: TestCertificates;
let scratch: string;
const servers: MirrorServer[] = [];

beforeAll(async () => {
  certificates = await testCertificates();
  scratch = await mkdtemp(path.join(os.tmpdir(), 'xccpypi'));
});

afterAll(async () => {
  await Promise.all(servers.map((server) => server.close()));
});

interface Box {
  dir: string;
  home: string;
  /** Where the wheel's `zig` writes when it is run. */
  ran: string;
}

async function box(name: string): Promise<Box> {
  const dir = path.join(scratch, name);
  await mkdir(dir, { recursive: true });
  return { dir, home: path.join(dir, 'home'), ran: path.join(dir, 'zig-ran') };
}

function wheelName(version: string): string {
  return `ziglang-${version}-py3-none-${testZigHost().wheelPlatform}.whl`;
}

/** A wheel whose `zig` answers `zig version` and leaves `box.ran` behind: proof that it was run. */
async function writeWheel(box: Box, version: string, fileName = wheelName(version)): Promise<string> {
  const file = path.join(box.dir, 'published', path.basename(fileName));
  await mkdir(path.dirname(file), { recursive: true });
  const zigScript = `#!/bin/sh\n: > '${box.ran}'\n[ "$1" = version ] && echo ${version}\n`;
  await writeFile(
    file,
    zipArchive([
      { name: 'ziglang/zig', data: zigScript, mode: 0o100755 },
      { name: 'ziglang/lib/std/std.zig', data: 'pub const fake = true;\n', mode: 0o100644 },
    ]),
  );
  return file;
}

/**
 * A package index serving `files` (over TLS unless `tls: false`), and a Zig index (XCC_ZIG_INDEX, on the
 * same server) that lists UNPINNED, so it resolves; its tarball is never fetched.
 */
async function serve(test: TestZig, files: PypiFile[], options: { tls?: boolean } = {}) {
  const pypi = await startPypiServer({
    projects: { ziglang: files },
    ...(options.tls === false ? {} : { tls: certificates }),
  });
  servers.push(pypi);
  const tarball: ZigArtifact = {
    ...test.release,
    version: UNPINNED,
    fileName: releaseFileName(UNPINNED, test.hostKey),
    sha256: sha256Hex('never fetched'),
  };
  pypi.setFile('/zig/index.json', ({ baseUrl }) => JSON.stringify(zigIndex(baseUrl, [tarball])));
  const env = {
    XCC_PYPI_INDEX_URL: pypi.indexUrl,
    XCC_ZIG_INDEX: `${pypi.url}/zig/index.json`,
    NODE_EXTRA_CA_CERTS: certificates.caFile,
  };
  return { pypi, env };
}

function install(home: string, env: Record<string, string>, version = UNPINNED) {
  return runXcc(['install', version, '--source', 'pypi'], { env: { XCC_HOME: home, ...env } });
}

/** The pypi source's line in the final error (the source failed, others might have been tried). */
function sourceReason(stderr: string): string {
  const all = lines(stderr);
  expect(stderr).not.toMatch(/internal error|^ {4}at /m);
  expect(all.at(-3), stderr).toMatch(/^xcc: could not install Zig .*; every source failed:$/);
  return all.at(-2)!;
}

describe('an index xcc pins no hash for', { timeout: 120_000 }, () => {
  it('a wheel name that climbs out of the download directory is refused, nothing written', async (context) => {
    const test = needTestZig(context);
    const b = await box('climb');
    const escaped = path.join(b.dir, `escaped.${testZigHost().wheelPlatform}.whl`);
    // Five levels up from <home>/v1/tmp/<download dir>/<name's first segment>: the box, outside the cache.
    const crafted = `ziglang-${UNPINNED}-py3-none-x/../../../../../${path.basename(escaped)}`;
    const wheel = await writeWheel(b, UNPINNED);
    const { pypi, env } = await serve(test, [{ path: wheel, fileName: crafted }]);
    // Where a client that joined the name into a URL would ask for it.
    pypi.setFile(new URL(`${pypi.url}/packages/${crafted}`).pathname, { file: wheel });

    const result = await install(b.home, env);

    expect(existsSync(escaped)).toBe(false);
    expect(result.exitCode, result.stderr).toBe(1);
    expect(sourceReason(result.stderr)).toBe(
      `  pypi: ${pypi.indexUrl}ziglang/ lists ${JSON.stringify(crafted)}, which is not a wheel file name (name-version-python-abi-platform.whl, no path): refusing the index`,
    );
    expect(existsSync(b.ran)).toBe(false);
    expect(cacheState(b.home)).toMatchObject({ tmp: [], zig: [] });
  });

  it('a plain-http index is refused in one line, before the wheel is downloaded', async (context) => {
    const test = needTestZig(context);
    const b = await box('plain-http');
    const wheel = await writeWheel(b, UNPINNED);
    const { pypi, env } = await serve(test, [{ path: wheel }], { tls: false });

    const result = await install(b.home, env);

    expect(result.exitCode, result.stderr).toBe(2);
    expect(lines(result.stderr)).toEqual([
      `xcc: ${pypi.indexUrl}ziglang/ is plain http, and xcc pins no hash for ${wheelName(UNPINNED)}: anyone on the way could change the sha256 it lists; use an https index, or set XCC_PYPI_ALLOW_HTTP=1 to trust this one anyway`,
    ]);
    expect(pypi.count(`/packages/${wheelName(UNPINNED)}`)).toBe(0);
    expect(existsSync(b.ran)).toBe(false);
    expect(cacheState(b.home)).toMatchObject({ tmp: [], zig: [] });
  });

  it('with XCC_PYPI_ALLOW_HTTP=1 a plain-http index is trusted, and named as such', async (context) => {
    const test = needTestZig(context);
    const b = await box('allow-http');
    const wheel = await writeWheel(b, UNPINNED);
    const { pypi, env } = await serve(test, [{ path: wheel }], { tls: false });

    const result = await install(b.home, { ...env, XCC_PYPI_ALLOW_HTTP: '1' });

    expect(result.exitCode, result.stderr).toBe(0);
    const host = new URL(pypi.url).host;
    expect(result.stderr).toContain(
      `warning: xcc pins no hash for ${wheelName(UNPINNED)}: it is trusted on the word of the index at ${host}, read over plain http (XCC_PYPI_ALLOW_HTTP=1), without a signature`,
    );
    expect(result.stderr).toContain(
      `verified sha256 (listed by the index at ${host} over plain http; no pinned hash)`,
    );
    expect(result.stderr).not.toContain('TLS');
  });

  it('an https index is trusted for an unpinned wheel asked for by name, and named as such', async (context) => {
    const test = needTestZig(context);
    const b = await box('tls');
    const wheel = await writeWheel(b, UNPINNED);
    const { pypi, env } = await serve(test, [{ path: wheel }]);

    const result = await install(b.home, env);

    expect(result.exitCode, result.stderr).toBe(0);
    const host = new URL(pypi.url).host;
    expect(result.stderr).toContain(
      `warning: xcc pins no hash for ${wheelName(UNPINNED)}: it is trusted on the word of the index at ${host}, read over TLS, without a signature`,
    );
    expect(result.stderr).toContain(
      `verified sha256 (listed by the index at ${host} over TLS; no pinned hash)`,
    );
    expect(existsSync(b.ran)).toBe(true);
  });

  it('an index that serves other bytes than the sha256 it lists: its zig never runs', async (context) => {
    const test = needTestZig(context);
    const b = await box('other-bytes');
    const wheel = await writeWheel(b, UNPINNED);
    const { env } = await serve(test, [{ path: wheel, sha256: sha256Hex('the honest wheel') }]);

    const result = await install(b.home, env);

    expect(result.exitCode, result.stderr).toBe(1);
    expect(sourceReason(result.stderr)).toMatch(
      new RegExp(
        `^ {2}pypi: ${wheelName(UNPINNED).replaceAll('.', '\\.')} from pypi \\(127\\.0\\.0\\.1:\\d+\\) has sha256 [0-9a-f]{64}, expected ${sha256Hex('the honest wheel')} \\(listed by the index at 127\\.0\\.0\\.1:\\d+ over TLS; no pinned hash\\): the file was altered$`,
      ),
    );
    expect(existsSync(b.ran)).toBe(false);
    expect(cacheState(b.home)).toMatchObject({ tmp: [], zig: [] });
  });
});

describe('xcc install --from a wheel', { timeout: 300_000 }, () => {
  it('installs the pinned wheel air-gapped; then --from naming nothing fails though the version is cached', async (context) => {
    const test = needTestZig(context);
    const b = await box('from-pinned');
    const offline = { XCC_HOME: b.home, XCC_OFFLINE: '1' };

    const result = await runXcc(['install', '--from', test.wheel.path, '--json'], { env: offline });

    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stderr).toContain('verified sha256 (pinned in xcc, toolchains/zig-releases.json)');
    expect(JSON.parse(result.stdout)).toMatchObject({ version: test.version, source: 'file', cached: false });

    const missing = path.join(b.dir, 'nonexistent');
    const again = await runXcc(['install', '--from', missing], { env: offline });
    expect(again).toEqual({
      exitCode: 2,
      stdout: '',
      stderr: `xcc: --from ${missing}: no such file or directory\n`,
    });
  });

  it('refuses a wheel xcc pins no hash for, in one line, without running it', async (context) => {
    const test = needTestZig(context);
    const b = await box('from-unpinned');
    const wheel = await writeWheel(b, UNPINNED);
    const { env } = await serve(test, []);

    const result = await runXcc(['install', '--from', wheel], {
      env: { XCC_HOME: b.home, XCC_ZIG_INDEX: env.XCC_ZIG_INDEX, NODE_EXTRA_CA_CERTS: certificates.caFile },
    });

    expect(lines(result.stderr)).toEqual([
      `xcc: --from ${wheel}: xcc pins no sha256 for the ziglang wheel of Zig ${UNPINNED} for ${test.hostKey}, so nothing vouches for it; install the release archive with its .minisig instead`,
    ]);
    expect(result.exitCode).toBe(2);
    expect(existsSync(b.ran)).toBe(false);
    expect(cacheState(b.home)).toMatchObject({ tmp: [], zig: [] });
  });

  it('installs a wheel xcc pins no hash for when the lock file pins it', async (context) => {
    const test = needTestZig(context);
    const b = await box('from-locked');
    const wheel = await writeWheel(b, UNPINNED);
    const { env } = await serve(test, [], { tls: false });
    const events: InstallEvent[] = [];
    const locked = {
      file: releaseFileName(UNPINNED, test.hostKey),
      size: test.release.size,
      sha256: sha256Hex('never fetched'),
      pypi: { file: path.basename(wheel), size: (await stat(wheel)).size, sha256: await fileSha256(wheel) },
    };

    const zig = await ensureZig({
      from: wheel,
      locked,
      env: { ...process.env, XCC_HOME: b.home, XCC_ZIG_INDEX: env.XCC_ZIG_INDEX },
      onEvent: (event) => events.push(event),
    });

    expect(zig).toMatchObject({ version: UNPINNED, source: 'file', cached: false });
    expect(events.find((event) => event.type === 'verified')).toMatchObject({
      checks: ['sha256 (pinned in the lock file)'],
    });
    expect(existsSync(b.ran)).toBe(true);
  });

  it('refuses a wheel under the pinned name with other bytes, without running it', async (context) => {
    const test = needTestZig(context);
    const b = await box('from-tampered');
    const wheel = await writeWheel(b, test.version, test.wheel.fileName);

    const result = await runXcc(['install', '--from', wheel], {
      env: { XCC_HOME: b.home, XCC_OFFLINE: '1' },
    });

    expect(result.exitCode, result.stderr).toBe(1);
    expect(lines(result.stderr).at(-1)).toMatch(
      new RegExp(
        `^xcc: ${test.wheel.fileName.replaceAll('.', '\\.')} from ${wheel.replaceAll('.', '\\.')} has \\d+ bytes, expected ${test.wheel.size} \\(pinned in xcc, toolchains/zig-releases\\.json\\): truncated or altered in transit$`,
      ),
    );
    expect(existsSync(b.ran)).toBe(false);
    expect(cacheState(b.home)).toMatchObject({ tmp: [], zig: [] });
  });

  it('refuses a wheel for another host in one line', async (context) => {
    const test = needTestZig(context);
    const b = await box('from-foreign');
    const foreign = path.join(b.dir, `ziglang-${test.version}-py3-none-win_amd64.whl`);
    await copyFile(test.wheel.path, foreign);

    const result = await runXcc(['install', '--from', foreign], {
      env: { XCC_HOME: b.home, XCC_OFFLINE: '1' },
    });

    expect(lines(result.stderr)).toEqual([
      `xcc: --from ${foreign}: this is a wheel for another platform (win_amd64); this host (${test.hostKey}) needs ${test.wheel.fileName}`,
    ]);
    expect(result.exitCode).toBe(2);
  });
});
