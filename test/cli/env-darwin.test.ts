import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { goEnv } from '../support/builds.js';
import { runXcc } from '../support/cli.js';
import { needTestZig, providedTestZig } from '../support/provided-zig.js';
import { testZigBuildCache } from '../support/test-zig.js';
import { mustRun } from '../support/toolchains.js';
import { needCommand } from '../support/tools.js';
import { startZigSources, type ZigSources } from '../support/zig-mirror.js';

/**
 * `xcc env darwin/...` without a macOS SDK: the wrappers link against stubs made from the Go on PATH, so
 * that Go is asked on every run (another Go, through GOTOOLCHAIN, gets its own stubs), and a missing Go
 * is said before anything is downloaded.
 */

let sources: ZigSources | undefined;
let root: string;
// A Go release other than the machine's, fetched by the go command through the module proxy.
const OTHER_GO = 'go1.27.3';

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'xcc-env-darwin-'));
  const zig = providedTestZig();
  if (zig) sources = await startZigSources(zig, testZigBuildCache());
});
afterAll(async () => {
  await sources?.close();
  await rm(root, { recursive: true, force: true });
});

function userEnv(home: string): Record<string, string | undefined> {
  return { ...goEnv({}), ...sources!.userEnv(home) };
}

/** The stub directory the darwin C compiler wrapper links against. */
function stubsOf(ccWrapper: string): string {
  const match = /-F(\S+\/darwin-stubs\/[^\s/]+)/.exec(readFileSync(ccWrapper, 'utf8'));
  if (match === null) throw new Error(`${ccWrapper} names no darwin stubs`);
  return match[1]!;
}

describe('xcc env for darwin without an SDK', { timeout: 600_000 }, () => {
  it('asks the Go on PATH every time: another Go gets stubs made from its own source', async (context) => {
    needTestZig(context);
    needCommand(context, 'go');
    const home = path.join(root, 'switch');
    const env = userEnv(home);
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
    const downloads = () => sources!.mirror.count(sources!.mirror.pathOf(test.release));
    const before = downloads();
    const result = await runXcc(['env', 'darwin/amd64'], {
      env: { ...userEnv(home), PATH: path.dirname(process.execPath) },
    });
    expect(result.exitCode).toBe(2);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(
      /^xcc: a darwin target needs Go on PATH \(xcc reads Go's minimum macOS and, for a build without a macOS SDK, .*; install Go or put it on PATH\n$/,
    );
    expect(downloads()).toBe(before);
  });
});
