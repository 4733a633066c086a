import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/clock.js';
import { checkCache } from '../../src/doctor/cache.js';
import { runCommand } from '../../src/doctor/check.js';
import { checkGo, checkGoEnv } from '../../src/doctor/go.js';
import { type CheckResult, runDoctor } from '../../src/doctor/index.js';
import { checkNetwork, escalateUnreachable } from '../../src/doctor/network.js';
import { checkTarget } from '../../src/doctor/target.js';
import { checkZig } from '../../src/doctor/zig.js';
import { MARKER_FILE } from '../../src/home.js';
import type { TargetRequest } from '../../src/resolve/index.js';
import { ensureZig } from '../../src/zig/install.js';
import { zigExecutable } from '../../src/zig/verify/zig-binary.js';
import { needTestZig, providedTestZig } from '../support/provided-zig.js';
import { startZigPypi } from '../support/pypi-server.js';
import { type TestZig, testZigBuildCache } from '../support/test-zig.js';
import { startZigMirror, type ZigMirror } from '../support/zig-mirror.js';

/**
 * Every doctor check against the real thing: the real `go` with its settings written by `go env -w` into
 * an isolated GOENV file, the test Zig installed from a loopback mirror, HTTP on 127.0.0.1 (a closed port
 * is an unreachable source), and real cgo builds through xcc's wrappers read back by `xcc inspect`.
 */

const base = await mkdtemp(path.join(os.tmpdir(), 'xcc-doctor-test-'));
afterAll(() => rm(base, { recursive: true, force: true }));

let counter = 0;
async function scratch(name: string): Promise<string> {
  const dir = path.join(base, `${name}-${++counter}`);
  await mkdir(dir, { recursive: true });
  return dir;
}

/** The environment with only PATH and HOME-like variables: no Go or xcc settings of the developer. */
function cleanEnv(extra: Record<string, string> = {}): Record<string, string> {
  const keep = ['PATH', 'HOME', 'TMPDIR', 'GOCACHE', 'GOPATH', 'GOMODCACHE', 'GOPROXY'];
  const env: Record<string, string> = {};
  for (const name of keep) if (process.env[name] !== undefined) env[name] = process.env[name]!;
  return { ...env, GOTOOLCHAIN: 'local', ...extra };
}

/** A closed port on 127.0.0.1: connecting is refused at once. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const byId = (checks: CheckResult[]) => Object.fromEntries(checks.map((check) => [check.id, check]));

describe('Go and go env', () => {
  async function goChecks(settings: string[], extra: Record<string, string> = {}) {
    const goenv = path.join(await scratch('goenv'), 'env');
    const env = cleanEnv({ GOENV: goenv, ...extra });
    if (settings.length > 0) {
      const written = spawnSync('go', ['env', '-w', ...settings], {
        env: cleanEnv({ GOENV: goenv }),
        encoding: 'utf8',
      });
      expect(written.stderr).toBe('');
    }
    const { check, facts } = await checkGo({ env, run: runCommand, clock: systemClock });
    expect(check.status).toBe('pass');
    return { go: check, checks: checkGoEnv(env, facts!) };
  }

  it('finds Go and its version, and passes a clean environment', async () => {
    const { go, checks } = await goChecks([]);
    expect(go.detail).toMatch(/^go version go1\.\d+/);
    expect(checks).toMatchObject([{ id: 'go-env', status: 'pass' }]);
  });

  it('fails when go is not on PATH', async () => {
    const { check, facts } = await checkGo({
      env: { PATH: await scratch('empty-path') },
      run: runCommand,
      clock: systemClock,
    });
    expect(facts).toBeUndefined();
    expect(check).toMatchObject({ status: 'fail', detail: "'go version' failed: not found" });
  });

  // Each setting written with the real `go env -w`, and the fix names the go env file.
  it.each([
    ['CGO_ENABLED=0', 'go-env:CGO_ENABLED', 'warn', 'go env -u CGO_ENABLED'],
    ['CC=gcc', 'go-env:CC', 'warn', 'go env -u CC'],
    ['CXX=g++', 'go-env:CXX', 'warn', 'go env -u CXX'],
    ['GOOS=windows', 'go-env:GOOS', 'warn', 'go env -u GOOS'],
    ['GOARCH=arm64', 'go-env:GOARCH', 'warn', 'go env -u GOARCH'],
    ['GOFLAGS=-ldflags=-linkmode=internal', 'go-env:GOFLAGS', 'fail', 'go env -u GOFLAGS'],
    ['GOFLAGS=-race', 'go-env:GOFLAGS', 'fail', 'go env -u GOFLAGS'],
    ['CGO_LDFLAGS=-L/usr/lib/x86_64-linux-gnu', 'go-env:CGO_LDFLAGS', 'warn', 'go env -u CGO_LDFLAGS'],
    ['CGO_CFLAGS=-O2 -march=native', 'go-env:CGO_CFLAGS', 'warn', 'go env -u CGO_CFLAGS'],
  ])('go env -w %s: %s %s', async (setting, id, status, fix) => {
    const { checks } = await goChecks([setting]);
    expect(checks).toHaveLength(1);
    expect(checks[0]).toMatchObject({ id, status });
    expect(checks[0]!.fix).toContain(fix);
  });

  it('harmless settings pass: GOFLAGS=-trimpath, CGO_CFLAGS=-O2 -g', async () => {
    const { checks } = await goChecks(['GOFLAGS=-trimpath', 'CGO_CFLAGS=-O2 -g']);
    expect(checks).toMatchObject([{ id: 'go-env', status: 'pass' }]);
  });

  it('a setting in the environment is fixed with unset, and wins over the go env file', async () => {
    const { checks } = await goChecks(['CC=gcc'], { CC: 'clang', CGO_ENABLED: '0' });
    const found = byId(checks);
    expect(found['go-env:CC']).toMatchObject({ status: 'warn', fix: 'unset CC' });
    expect(found['go-env:CC']!.detail).toMatch(/^CC=clang set in the environment/);
    expect(found['go-env:CGO_ENABLED']).toMatchObject({ status: 'warn', fix: 'unset CGO_ENABLED' });
  });

  it('GOOS in the environment of this one command is not a global setting', async () => {
    const { checks } = await goChecks([], { GOOS: 'linux' });
    expect(checks).toMatchObject([{ id: 'go-env', status: 'pass' }]);
  });
});

/** One loopback mirror in mirror layout and one in ziglang.org's (which serves /download/index.json). */
let mirror: ZigMirror | undefined;
let origin: ZigMirror | undefined;
beforeAll(async () => {
  const zig = providedTestZig();
  if (!zig) return;
  mirror = await startZigMirror(zig, { prefix: '/zig' });
  origin = await startZigMirror(zig, { layout: 'ziglang.org' });
});
afterAll(async () => {
  await mirror?.close();
  await origin?.close();
});

function mirrorEnv(zig: TestZig, home: string): Record<string, string> {
  return {
    XCC_HOME: home,
    XCC_ZIG_INDEX: `${origin!.url}/download/index.json`,
    XCC_ZIG_MIRROR: mirror!.base,
    XCC_ZIG_PUBKEY: zig.key.publicKey,
  };
}

describe('Zig', { timeout: 300_000 }, () => {
  let installedHome: string;

  beforeAll(async () => {
    const zig = providedTestZig();
    if (!zig) return;
    installedHome = await scratch('home-installed');
    await ensureZig({ spec: zig.version, home: installedHome, env: mirrorEnv(zig, installedHome) });
  });

  function zigOptions(home: string, env: Record<string, string> = {}) {
    return {
      env: cleanEnv(env),
      home,
      spec: undefined,
      locked: undefined,
      platform: process.platform,
      run: runCommand,
      clock: systemClock,
    };
  }

  it('an installed Zig runs and shows its verification record', async (context) => {
    const test = needTestZig(context);
    const found = byId(await checkZig({ ...zigOptions(installedHome), spec: test.version }));
    expect(found.zig).toMatchObject({ status: 'pass' });
    expect(found.zig!.detail).toBe(
      `Zig ${test.version} is installed (${path.join(installedHome, 'v1', 'zig', test.version)})`,
    );
    expect(found[`zig:${test.version}`]).toMatchObject({ status: 'pass' });
    expect(found[`zig:${test.version}`]!.detail).toMatch(
      new RegExp(
        `^'zig version' prints ${test.version.replaceAll('.', '\\.')}; verified sha256 ${test.release.sha256.slice(0, 12)}\\.\\.\\. from 127\\.0\\.0\\.1:\\d+, installed \\d{4}-\\d\\d-\\d\\d$`,
      ),
    );
  });

  it('a changed install fails its files check and is not run; one without a record is run and fails on its version', async (context) => {
    const test = needTestZig(context);
    const home = await scratch('home-damaged');
    await ensureZig({ spec: test.version, home, env: mirrorEnv(test, home) });
    const dir = path.join(home, 'v1', 'zig', test.version);
    const zig = zigExecutable(dir);
    // Prints the version and leaves a trace: the files check must keep doctor from running it.
    await writeFile(zig, `#!/bin/sh\ntouch "$0.ran"\necho 0.0.1\n`);
    await chmod(zig, 0o755);
    const changed = byId(await checkZig({ ...zigOptions(home), spec: test.version }));
    expect(changed[`zig-files:${test.version}`]).toMatchObject({
      status: 'fail',
      detail: expect.stringMatching(
        /^changed after xcc verified it, so xcc refuses to use it: zig: \d+ bytes, recorded \d+$/,
      ),
      fix: `xcc prune --all && xcc install ${test.version}`,
    });
    expect(changed[`zig:${test.version}`]).toMatchObject({ status: 'skip' });
    expect(existsSync(`${zig}.ran`)).toBe(false);

    // An install from before xcc recorded files: nothing to compare with, so a warning, and the old check.
    const markerFile = path.join(dir, MARKER_FILE);
    const { files: _files, ...older } = JSON.parse(await readFile(markerFile, 'utf8')) as Record<
      string,
      unknown
    >;
    await writeFile(markerFile, JSON.stringify(older));
    const unrecorded = byId(await checkZig({ ...zigOptions(home), spec: test.version }));
    expect(unrecorded[`zig-files:${test.version}`]).toMatchObject({
      status: 'warn',
      fix: `xcc prune --all && xcc install ${test.version}`,
    });
    expect(unrecorded[`zig:${test.version}`]).toMatchObject({
      status: 'fail',
      fix: `xcc prune --all && xcc install ${test.version}`,
    });
    expect(unrecorded[`zig:${test.version}`]!.detail).toContain(
      `'zig version' prints "0.0.1", not ${test.version}`,
    );
  });

  it('no Zig installed: a warning that the first build downloads it', async () => {
    const checks = await checkZig(zigOptions(await scratch('home-empty')));
    expect(checks).toMatchObject([{ id: 'zig', status: 'warn', fix: 'xcc install 0.15.2' }]);
  });

  it('XCC_ZIG: runs or fails', async (context) => {
    const test = needTestZig(context);
    const home = await scratch('home-adopted');
    const good = await checkZig(zigOptions(home, { XCC_ZIG: test.install.zig }));
    expect(good).toMatchObject([{ id: 'zig', status: 'pass' }]);
    expect(good[0]!.detail).toContain(`Zig ${test.version} (your own Zig`);
    const missing = await checkZig(zigOptions(home, { XCC_ZIG: path.join(home, 'no-zig') }));
    expect(missing).toMatchObject([{ id: 'zig', status: 'fail' }]);
    expect(missing[0]!.detail).toContain("'zig version' failed: not found");
  });
});

describe('cache', () => {
  it('a writable cache with room passes and says how much is free', async () => {
    const home = await scratch('cache-ok');
    const checks = await checkCache({ XCC_HOME: home });
    expect(checks).toMatchObject([{ id: 'cache', status: 'pass' }]);
    expect(checks[0]!.detail).toMatch(new RegExp(`^${home} is writable; [\\d.]+ [KMGT]iB free$`));
  });

  it('a cache path under a file fails with the setting to change', async () => {
    const file = path.join(await scratch('cache-file'), 'file');
    await writeFile(file, 'not a directory');
    const checks = await checkCache({ XCC_HOME: path.join(file, 'home') });
    expect(checks).toMatchObject([{ id: 'cache', status: 'fail' }]);
    expect(checks[0]!.fix).toContain('set XCC_HOME to a writable directory');
  });

  it('XCC_ZIG_CACHE_DIR outside the home gets its own check', async () => {
    const home = await scratch('cache-home');
    const zigCache = await scratch('zig-cache');
    const checks = await checkCache({ XCC_HOME: home, XCC_ZIG_CACHE_DIR: zigCache });
    expect(checks.map((check) => [check.id, check.status])).toEqual([
      ['cache', 'pass'],
      ['zig-cache', 'pass'],
    ]);
  });
});

describe('network', { timeout: 120_000 }, () => {
  let pypi: Awaited<ReturnType<typeof startZigPypi>> | undefined;

  beforeAll(async () => {
    const zig = providedTestZig();
    if (zig) pypi = await startZigPypi(zig);
  });
  afterAll(() => pypi?.close());

  async function network(env: Record<string, string>) {
    const home = await scratch('net-home');
    return checkNetwork({
      env: cleanEnv(env),
      home,
      spec: undefined,
      platform: process.platform,
      arch: process.arch,
      clock: systemClock,
      timeoutMs: 2_000,
    });
  }

  it('reachable and unreachable sources, each named', async (context) => {
    needTestZig(context);
    const closed = `http://127.0.0.1:${await closedPort()}`;
    const found = byId(
      await network({
        XCC_ZIG_MIRROR: `${mirror!.base},${closed}/zig`,
        XCC_ZIG_INDEX: `${origin!.url}/download/index.json`,
        XCC_PYPI_INDEX_URL: pypi!.indexUrl,
      }),
    );
    expect(found['net:mirrors']).toMatchObject({ status: 'pass' });
    expect(found['net:mirrors']!.detail).toMatch(
      new RegExp(
        `^1 of 2 XCC_ZIG_MIRROR serve zig-\\S+\\.minisig; failed: ${closed}/zig \\(.*ECONNREFUSED.*\\)$`,
      ),
    );
    expect(found['net:ziglang.org']).toMatchObject({ status: 'skip' });
    expect(found['net:index']).toMatchObject({
      status: 'pass',
      detail: `${origin!.url}/download/index.json answers`,
    });
    expect(found['net:pypi']).toMatchObject({ status: 'pass' });
    expect(found['net:pypi']!.detail).toBe(
      `${pypi!.indexUrl}ziglang/ answers (index from XCC_PYPI_INDEX_URL)`,
    );
  });

  it('no source reachable: warnings, and failures when the Zig is not installed', async () => {
    const closed = `http://127.0.0.1:${await closedPort()}`;
    const checks = await network({
      XCC_ZIG_MIRROR: `${closed}/zig`,
      XCC_ZIG_INDEX: `${closed}/index.json`,
      XCC_PYPI_INDEX_URL: `${closed}/simple`,
    });
    const found = byId(checks);
    expect(found['net:mirrors']).toMatchObject({ status: 'warn' });
    expect(found['net:pypi']).toMatchObject({ status: 'warn' });
    expect(found['net:pypi']!.detail).toMatch(/ECONNREFUSED/);
    const escalated = byId(escalateUnreachable(checks, true));
    expect(escalated['net:mirrors']).toMatchObject({ status: 'fail' });
    expect(escalated['net:pypi']).toMatchObject({ status: 'fail' });
    expect(escalated['net:index']).toMatchObject({ status: 'warn' });
    expect(escalateUnreachable(checks, false)).toEqual(checks);
  });

  it.each([
    ['XCC_OFFLINE', '1'],
    ['npm_config_offline', 'true'],
  ])('offline (%s=%s): every network check is skipped', async (name, value) => {
    const checks = await network({ [name]: value });
    expect(checks.map((check) => check.status)).toEqual(['skip', 'skip', 'skip', 'skip']);
    expect(checks[0]!.detail).toBe(`offline (${name}=${value}): only installed Zig versions are used`);
  });
});

describe('a real cgo build per target', { timeout: 1_800_000 }, () => {
  /** zig's build cache, shared with the other tests: a cold libc build for one target takes minutes. */
  const zigCache = testZigBuildCache();

  async function build(test: TestZig, request: TargetRequest, extra = {}) {
    const home = await scratch('build-home');
    return checkTarget({
      request,
      env: cleanEnv({ XCC_ZIG: test.install.zig, XCC_ZIG_CACHE_DIR: zigCache, ...extra }),
      home,
      spec: undefined,
      locked: undefined,
      run: runCommand,
      clock: systemClock,
      tmpDir: base,
    });
  }

  // Static and dynamic, musl and glibc, ARM hard and soft float, Windows: each built and read back.
  it.for<[TargetRequest, string | RegExp]>([
    [{ target: 'linux/amd64' }, 'linux/amd64/v1, static, CGO_ENABLED=1, libc musl'],
    [
      { target: 'linux/arm64', libc: 'glibc', glibcVersion: '2.28' },
      /^linux\/arm64\/v8\.0, dynamic \(needs \/lib\/ld-linux-aarch64\.so\.1, .*libc\.so\.6.*\), CGO_ENABLED=1, libc glibc, needs glibc 2\.\d+$/,
    ],
    // ARM on glibc, whose stubs are cheap to build (musl's libc for ARM is a minute of CPU that CI's budget
    // cannot spare); soft float as GOARM=7,softfloat: GOARM=5 cannot link with zig 0.15.2 (ziglang/zig#25403).
    [
      { target: 'linux/arm/v7', libc: 'glibc', glibcVersion: '2.28' },
      /^linux\/arm\/v7.*, dynamic .*libc glibc.*hard-float$/,
    ],
    [
      { target: 'linux/arm', goarm: '7,softfloat', libc: 'glibc', glibcVersion: '2.28' },
      /^linux\/arm\/v7.*, dynamic .*libc glibc.*soft-float/,
    ],
    [{ target: 'windows/amd64' }, 'windows/amd64/v1, static, CGO_ENABLED=1'],
  ])('%j', async ([request, facts], context) => {
    const test = needTestZig(context);
    const check = await build(test, request);
    expect(check.status, check.detail).toBe('pass');
    const summary = check.detail.replace(/^.*: /, '');
    if (typeof facts === 'string') expect(summary).toBe(facts);
    else expect(summary).toMatch(facts);
  });

  it("a build that fails says why in go build's words", async (context) => {
    const test = needTestZig(context);
    const check = await build(
      test,
      { target: 'linux/amd64' },
      { GOFLAGS: '-ldflags=-extld=/nonexistent/cc' },
    );
    expect(check.status).toBe('fail');
    expect(check.detail).toMatch(/^go build of a cgo program failed after [\d.]+s: .*\/nonexistent\/cc/);
  });

  it('a build that succeeds with the wrong result says what differs', async (context) => {
    const test = needTestZig(context);
    // A global GOFLAGS that asks the external linker for a dynamic link: a musl binary that needs musl's loader.
    const check = await build(test, { target: 'linux/amd64' }, { GOFLAGS: '-ldflags=-extldflags=-dynamic' });
    expect(check.status).toBe('fail');
    expect(check.detail).toMatch(
      /^go build succeeded in [\d.]+s, but the binary is not what linux-amd64-musl promises: expected static, got dynamic \(needs \/lib\/ld-musl-x86_64\.so\.1, libc\.so\)$/,
    );
  });
});

describe('runDoctor', { timeout: 300_000 }, () => {
  it('collects every check in order and is ok only without failures', async () => {
    const home = await scratch('doctor-home');
    const seen: string[] = [];
    const report = await runDoctor({
      env: cleanEnv({ XCC_HOME: home, XCC_OFFLINE: '1', GOENV: path.join(home, 'goenv') }),
      home,
      onCheck: (check) => seen.push(check.id),
    });
    expect(seen).toEqual(report.checks.map((check) => check.id));
    expect(seen).toEqual([
      'go',
      'go-env',
      'zig',
      'cache',
      'net:mirrors',
      'net:ziglang.org',
      'net:index',
      'net:pypi',
    ]);
    expect(report.counts).toEqual({ pass: 3, warn: 1, fail: 0, skip: 4 });
    expect(report.ok).toBe(true);
  });
});
