import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { goBuildMode } from '../../src/go-build-mode.js';
import { goEnv, goModule } from '../support/builds.js';
import { runXcc } from '../support/cli.js';
import { needTestZig } from '../support/provided-zig.js';
import { type TestZig, testZigBuildCache } from '../support/test-zig.js';
import { mustRun } from '../support/toolchains.js';
import { needCommand, needHost } from '../support/tools.js';

/**
 * `-buildmode=c-archive` and `c-shared` for a musl target: `xcc exec` refuses them (exit 2, the fix in the
 * line) because the result crashes (golang/go#13492), and the same build for glibc works. The crash is
 * shown for real: a musl c-archive, linked into a C program by the same zig, dies with SIGSEGV.
 */

describe('the build mode of a go command line', () => {
  const mode = (args: string[], env: Record<string, string> = {}, program = 'go') =>
    goBuildMode(program, args, env);

  it('reads every spelling go accepts, the last one winning', () => {
    expect(mode(['build', '-buildmode=c-archive', '.'])).toEqual({ mode: 'c-archive', from: 'arguments' });
    expect(mode(['build', '--buildmode=c-shared'])?.mode).toBe('c-shared');
    expect(mode(['build', '-buildmode', 'c-shared', '-o', 'lib.so', '.'])?.mode).toBe('c-shared');
    expect(mode(['build', '--buildmode', 'c-archive'])?.mode).toBe('c-archive');
    expect(mode(['build', '-buildmode=c-shared', '-buildmode=exe'])?.mode).toBe('exe');
    expect(mode(['-C', 'sub', 'build', '-buildmode=c-archive'])?.mode).toBe('c-archive');
    expect(mode(['-C=sub', 'install', '-buildmode=c-archive'])?.mode).toBe('c-archive');
    expect(mode(['test', '-c', '-buildmode=c-archive'])?.mode).toBe('c-archive');
  });

  it('skips the values of flags that take one, and stops where go stops reading flags', () => {
    // `-o -buildmode=...` names the output file; it sets no build mode.
    expect(mode(['build', '-o', '-buildmode=c-archive', '.'])).toBeUndefined();
    expect(mode(['build', '-ldflags', '-buildmode=c-shared', '.'])).toBeUndefined();
    expect(mode(['build', '-v', '-trimpath', '-buildmode=c-archive'])?.mode).toBe('c-archive');
    // After the package: go build takes no more flags; go run passes them to the program.
    expect(mode(['build', '.', '-buildmode=c-archive'])).toBeUndefined();
    expect(mode(['run', '.', '-buildmode=c-shared'])).toBeUndefined();
    // go test reads flags after its packages, up to -args.
    expect(mode(['test', './...', '-buildmode=c-archive'])?.mode).toBe('c-archive');
    expect(mode(['test', '.', '-args', '-buildmode=c-archive'])).toBeUndefined();
    expect(mode(['build', '--', '-buildmode=c-archive'])).toBeUndefined();
  });

  it('takes GOFLAGS when the command line says nothing, and only for go commands that link', () => {
    const env = { GOFLAGS: '-trimpath  -buildmode=c-shared -mod=vendor' };
    expect(mode(['build', '.'], env)).toEqual({ mode: 'c-shared', from: 'GOFLAGS' });
    expect(mode(['build', '-buildmode=exe', '.'], env)).toEqual({ mode: 'exe', from: 'arguments' });
    expect(mode(['vet', '-buildmode=c-archive'], env)).toBeUndefined();
    expect(mode(['env', 'GOOS'], env)).toBeUndefined();
  });

  it('knows go by its name, including golang.org/dl versions and go.exe, and nothing else', () => {
    const args = ['build', '-buildmode=c-archive'];
    for (const program of ['go', '/usr/local/go/bin/go', 'go1.22.5', 'go1.23rc1', 'GO.EXE']) {
      expect(mode(args, {}, program)?.mode, program).toBe('c-archive');
    }
    for (const program of ['gofmt', 'cargo', 'sh', 'golangci-lint', 'make']) {
      expect(mode(args, {}, program), program).toBeUndefined();
    }
  });
});

const LIBRARY = `package main

import "C"

//export Add
func Add(a, b C.int) C.int { return a + b }

func main() {}
`;

const HOST = `#include <stdio.h>
#include "add.h"
int main(void) { printf("%d\\n", (int)Add(2, 3)); return 0; }
`;

describe('xcc exec and a C library built by Go', { timeout: 600_000 }, () => {
  let root: string;
  beforeAll(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'xcc-buildmode-'));
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  function xccEnv(test: TestZig): Record<string, string> {
    return {
      XCC_HOME: path.join(root, 'home'),
      XCC_ZIG: test.install.zig,
      XCC_ZIG_CACHE_DIR: testZigBuildCache(),
    };
  }

  /** The C compiler xcc wires for a target, as `xcc env --format json` gives it. */
  async function targetCc(test: TestZig, target: string[]): Promise<string> {
    const result = await runXcc(['env', ...target, '--format', 'json'], { env: xccEnv(test) });
    expect(result.exitCode, result.stderr).toBe(0);
    return JSON.parse(result.stdout).CC;
  }

  it('refuses c-archive and c-shared for musl, before go runs, with the fix', async (context) => {
    const test = needTestZig(context);
    const dir = goModule(root, 'refused', { 'add.go': LIBRARY });
    const cases: Array<{ args: string[]; env?: Record<string, string>; mode: string; from: string }> = [
      { args: ['linux/amd64'], mode: 'c-archive', from: '' },
      { args: ['linux/arm64', '--musl'], mode: 'c-shared', from: '' },
      {
        args: ['linux/amd64'],
        env: { GOFLAGS: '-buildmode=c-shared' },
        mode: 'c-shared',
        from: ' (in GOFLAGS)',
      },
    ];
    for (const { args, env, mode, from } of cases) {
      const goArgs = env ? ['build', '-o', 'out', '.'] : ['build', `-buildmode=${mode}`, '-o', 'out', '.'];
      const result = await runXcc(['exec', ...args, '--', 'go', ...goArgs], {
        cwd: dir,
        env: { ...goEnv({}), ...xccEnv(test), ...env },
      });
      const id = `linux-${args[0]!.split('/')[1]}-musl`;
      expect(result.exitCode, result.stderr).toBe(2);
      expect(result.stderr).toMatch(
        new RegExp(
          `^xcc: -buildmode=${mode}${from.replace(/[()]/g, '\\$&')} does not work with musl \\(${id}\\): .*golang/go#13492\\); build for glibc instead \\(--glibc\\)\\n$`,
        ),
      );
      expect(existsSync(path.join(dir, 'out')), 'go did not run').toBe(false);
    }
  });

  it('a musl c-archive crashes the C program it links into; the glibc one, which xcc points to, works', async (context) => {
    needHost(context, { platform: 'linux', arch: 'x64' });
    needCommand(context, 'go');
    const test = needTestZig(context);
    const dir = goModule(root, 'archive', { 'add.go': LIBRARY });
    // Outside the package directory, or go would compile it into the library.
    mkdirSync(path.join(dir, 'host'));
    writeFileSync(path.join(dir, 'host', 'main.c'), HOST);

    // The glibc build goes through xcc exec as users run it.
    const glibc = ['linux/amd64', '--glibc'];
    const built = await runXcc(
      ['exec', ...glibc, '--', 'go', 'build', '-buildmode=c-archive', '-o', 'add.a', '.'],
      {
        cwd: dir,
        env: { ...goEnv({}), ...xccEnv(test) },
      },
    );
    expect(built.exitCode, built.stderr).toBe(0);
    mustRun(await targetCc(test, glibc), ['-I.', 'host/main.c', 'add.a', '-o', 'host-glibc'], { cwd: dir });
    expect(mustRun(path.join(dir, 'host-glibc'), [])).toBe('5\n');

    // The musl one, built behind xcc's back (a shell runs go): what the refusal saves users from.
    const musl = ['linux/amd64', '--musl'];
    const behind = await runXcc(
      ['exec', ...musl, '--', 'sh', '-c', 'go build -buildmode=c-archive -o add.a . && echo built'],
      { cwd: dir, env: { ...goEnv({}), ...xccEnv(test) } },
    );
    expect(behind.stdout, behind.stderr).toBe('built\n');
    mustRun(await targetCc(test, musl), ['-I.', 'host/main.c', 'add.a', '-o', 'host-musl'], { cwd: dir });
    const crashed = spawnSync(path.join(dir, 'host-musl'), { encoding: 'utf8' });
    expect(crashed.signal, crashed.stdout).toBe('SIGSEGV');
  });
});
