import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { goEnv } from '../support/builds.js';
import { runXcc } from '../support/cli.js';
import { needTestZig, providedTestZig } from '../support/provided-zig.js';
import { type TestZig, testZigBuildCache } from '../support/test-zig.js';
import { mustRun } from '../support/toolchains.js';
import { needCommand } from '../support/tools.js';
import { startZigMirror, type ZigMirror } from '../support/zig-mirror.js';

/**
 * `xcc env darwin/...` without a macOS SDK: the wrappers link against stubs made from the Go on PATH, so
 * that Go is asked on every run (another Go, through GOTOOLCHAIN, gets its own stubs), and a missing Go
 * is said before anything is downloaded.
 */

let mirror: ZigMirror | undefined;
let origin: ZigMirror | undefined;
let root: string;
// A Go release other than the machine's, fetched by the go command through the module proxy.
const OTHER_GO = 'go1.27.3';

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'xcc-env-darwin-'));
  const zig = providedTestZig();
  if (!zig) return;
  mirror = await startZigMirror(zig);
  origin = await startZigMirror(zig, { layout: 'ziglang.org', mirrors: () => [] });
});
afterAll(async () => {
  await mirror?.close();
  await origin?.close();
  await rm(root, { recursive: true, force: true });
});

function userEnv(test: TestZig, home: string): Record<string, string | undefined> {
  return {
    ...goEnv({}),
    XCC_HOME: home,
    XCC_ZIG_INDEX: `${origin!.url}/download/index.json`,
    XCC_ZIG_MIRROR: mirror!.base,
    XCC_ZIG_PUBKEY: test.key.publicKey,
    XCC_ZIG_CACHE_DIR: testZigBuildCache(),
  };
}

/** The stub directory the darwin C compiler wrapper links against. */
function stubsOf(ccWrapper: string): string {
  const match = /-F(\S+\/darwin-stubs\/[^\s/]+)/.exec(readFileSync(ccWrapper, 'utf8'));
  if (match === null) throw new Error(`${ccWrapper} names no darwin stubs`);
  return match[1]!;
}

describe('xcc env for darwin without an SDK', { timeout: 600_000 }, () => {
  it('asks the Go on PATH every time: another Go gets stubs made from its own source', async (context) => {
    const test = needTestZig(context);
    needCommand(context, 'go');
    const home = path.join(root, 'switch');
    const env = userEnv(test, home);
    const ccOf = async (extra: Record<string, string>) => {
      const result = await runXcc(['env', 'darwin/arm64', '--format', 'json'], { env: { ...env, ...extra } });
      expect(result.stderr).not.toMatch(/error|failed/i);
      expect(result.exitCode).toBe(0);
      return JSON.parse(result.stdout).CC as string;
    };
    const local = mustRun('go', ['env', 'GOVERSION'], { env: goEnv({}) }).trim();
    const first = await ccOf({});
    expect(path.basename(stubsOf(first))).toBe(local);
    // The same again is served as it was.
    expect(await ccOf({})).toBe(first);

    const other = mustRun('go', ['env', 'GOVERSION'], { env: goEnv({ GOTOOLCHAIN: OTHER_GO }) }).trim();
    expect(other).toBe(OTHER_GO);
    const switched = await ccOf({ GOTOOLCHAIN: OTHER_GO });
    expect(path.basename(stubsOf(switched))).toBe(OTHER_GO);
    // Other wrapper bytes, so another wrapper path: Go's build cache keys cgo objects by $CC's path.
    expect(switched).not.toBe(first);
  });

  it('says a missing Go in one line before it downloads a Zig', async (context) => {
    const test = needTestZig(context);
    const home = path.join(root, 'no-go');
    const downloads = () => mirror!.count(mirror!.pathOf(test.release));
    const before = downloads();
    const result = await runXcc(['env', 'darwin/amd64'], {
      env: { ...userEnv(test, home), PATH: path.dirname(process.execPath) },
    });
    expect(result.exitCode).toBe(2);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(
      /^xcc: a darwin target needs Go on PATH \(xcc reads Go's minimum macOS and, for a build without a macOS SDK, .*; install Go or put it on PATH\n$/,
    );
    expect(downloads()).toBe(before);
  });
});
