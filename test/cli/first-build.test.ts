import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { resolveTarget } from '../../src/resolve/index.js';
import { firstLinkMark } from '../../src/toolchain/first-link.js';
import { goEnv } from '../support/builds.js';
import { runXcc } from '../support/cli.js';
import { needTestZig } from '../support/provided-zig.js';
import { needCommand } from '../support/tools.js';

/**
 * Issue 17's first build: with a zig cache that has never linked for the target, `xcc env` and `xcc exec`
 * say in one line on stderr that the first build compiles the C library and which `xcc install --prewarm`
 * does it ahead; once a link through the wrappers has succeeded (the mark in zig's cache), nothing. The
 * wrappers' side (which commands mark) is test/toolchain/wrappers.test.ts, and the e2e suite checks after
 * every row's real build that the notice is gone. Real zig (compiles only: a link would build a libc).
 */
const scratch = mkdtempSync(path.join(os.tmpdir(), 'xcc-first-build-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

let env: NodeJS.ProcessEnv = {};
let zigVersion = '';
let zigCache = '';
let run = 0;

beforeEach((context) => {
  const zig = needTestZig(context);
  zigVersion = zig.version;
  // A fresh home and zig cache per test: every test starts before the target's first build.
  zigCache = path.join(scratch, `zig-cache-${++run}`);
  env = {
    ...goEnv({}),
    XCC_HOME: path.join(scratch, `home-${run}`),
    XCC_ZIG: zig.install.zig,
    XCC_ZIG_CACHE_DIR: zigCache,
  };
});

const NOTICE =
  /^xcc: the first cgo build for (\S+) compiles its C library \(([^)]+)\) into zig's cache, minutes on a small machine; '([^']+)' does it ahead \(with --cxx for C\+\+\)$/m;

describe('xcc env', () => {
  it('says it once on stderr before the first build, with the prewarm command for the same target', async () => {
    const result = await runXcc(['env', 'linux/riscv64', '--glibc=2.31', '--format', 'json'], { env });
    expect(result.exitCode).toBe(0);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(NOTICE.exec(result.stderr)?.slice(1)).toEqual([
      'linux/riscv64',
      'glibc 2.31',
      'xcc install --prewarm linux/riscv64 --glibc=2.31',
    ]);
    // stdout is the environment, untouched.
    expect(JSON.parse(result.stdout).ZIG_GLOBAL_CACHE_DIR).toBe(zigCache);
  });

  it('names the libc and sub-architecture options as given, and is quiet with --quiet', async () => {
    const arm = await runXcc(['env', 'linux/arm', '--goarm', '6', '--format', 'json'], { env });
    expect(NOTICE.exec(arm.stderr)?.slice(2)).toEqual(['musl', 'xcc install --prewarm linux/arm --goarm=6']);
    const windows = await runXcc(['env', 'windows/amd64', '--format', 'json'], { env });
    expect(NOTICE.exec(windows.stderr)?.slice(2)).toEqual([
      'mingw-w64',
      'xcc install --prewarm windows/amd64',
    ]);
    const quiet = await runXcc(['env', 'linux/arm64', '--quiet', '--format', 'json'], { env });
    expect(quiet.stderr).toBe('');
  });

  it("is silent once the target's mark is in zig's cache, and a compile through the wrapper makes none", async () => {
    const first = await runXcc(['env', 'linux/riscv64', '--format', 'json'], { env });
    const toolchain = JSON.parse(first.stdout) as Record<string, string>;
    // A real compile through the real wrapper: it links nothing, so the notice stays.
    const source = path.join(scratch, `hello-${run}.c`);
    writeFileSync(source, 'int twice(int x) { return 2 * x; }\n');
    await execa(toolchain.CC!, ['-c', source, '-o', `${source}.o`], {
      env: { ...process.env, ...toolchain },
    });
    expect((await runXcc(['env', 'linux/riscv64', '--format', 'json'], { env })).stderr).toMatch(NOTICE);
    // The mark a successful link leaves (the wrapper test proves which commands leave it).
    mkdirSync(
      path.join(
        zigCache,
        firstLinkMark(zigVersion, resolveTarget({ target: 'linux/riscv64' }, { zigVersion })),
      ),
      { recursive: true },
    );
    expect((await runXcc(['env', 'linux/riscv64', '--format', 'json'], { env })).stderr).toBe('');
    // Another target's first build is still ahead.
    expect((await runXcc(['env', 'linux/arm64', '--format', 'json'], { env })).stderr).toMatch(NOTICE);
  });
});

describe('xcc exec', () => {
  it('says it before a command that may link C, not before a go command that does not', async (context) => {
    needCommand(context, 'go');
    const version = await runXcc(['exec', 'linux/arm64', '--', 'go', 'env', 'GOARCH'], { env });
    expect(version.stdout.trim()).toBe('arm64');
    expect(version.stderr).toBe('');
    const make = await runXcc(['exec', 'linux/arm64', '--', 'sh', '-c', 'echo built'], { env });
    expect(make.stdout).toBe('built\n');
    expect(NOTICE.exec(make.stderr)?.[3]).toBe('xcc install --prewarm linux/arm64');
    // `go build -n` prints what it would run: a building go command, so the notice is said.
    const module = path.join(scratch, `module-${run}`);
    mkdirSync(module);
    writeFileSync(path.join(module, 'go.mod'), 'module m\n\ngo 1.22\n');
    writeFileSync(path.join(module, 'main.go'), 'package main\n\nimport "C"\n\nfunc main() {}\n');
    const build = await runXcc(['exec', 'linux/arm64', '--', 'go', 'build', '-n', '.'], { env, cwd: module });
    expect(build.exitCode).toBe(0);
    // Said once the command has started (a command that cannot start gets its one error line alone).
    expect(build.stderr).toMatch(NOTICE);
  });
});

describe('xcc install --prewarm with target options', () => {
  it('refuses a target option without --prewarm, before any download', async () => {
    const result = await runXcc(['install', '--glibc=2.31', '--goarm', '7'], { env });
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toBe(
      'xcc: --glibc and --goarm say which variant --prewarm builds; add --prewarm <targets>, or drop it\n',
    );
  });

  it('refuses a bad option value for a prewarm target before any download', async () => {
    const result = await runXcc(['install', '--prewarm', 'linux/arm64', '--glibc=banana'], {
      env: { ...env, XCC_ZIG: undefined, XCC_OFFLINE: '1' },
    });
    expect(result.exitCode).toBe(2);
    expect(result.stderr.split('\n')).toHaveLength(2);
    expect(result.stderr).toContain('banana');
  });
});
