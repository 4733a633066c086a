import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import { resolveTarget } from '../../src/resolve/index.js';
import {
  checkDistinct,
  type DispatchEntry,
  dispatchEntry,
  goSplit,
  type HostCompilers,
  renderDispatcher,
  subArchSpellings,
} from '../../src/toolchain/dispatch.js';
import { parseGoEnvFile } from '../../src/toolchain/go-env.js';
import { hasCommand } from '../support/tools.js';

/**
 * The dispatcher's choice, run in real shells: each target's "wrapper" is a script that prints its name and
 * its arguments, so what a run prints is which toolchain Go would have got and what it was handed. Hostile
 * GO* values must reach no shell evaluation and no wrapper; the host falls through to its own compiler.
 */

const ZIG_VERSION = '0.15.2';
const root = mkdtempSync(path.join(os.tmpdir(), "xcc dispatch '$(touch pwned)' "));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const SHELLS = [['sh'], ['dash'], ['bash', '--posix']].filter(([shell]) => hasCommand(shell as string));

/** A fake tool: prints its name then each argument on a line. */
function fakeTool(name: string): string {
  const file = path.join(root, `${name}'s tool`);
  writeFileSync(file, `#!/bin/sh\nprintf '%s\\n' ${JSON.stringify(name)} "$@"\n`);
  chmodSync(file, 0o755);
  return file;
}

function entryFor(target: string, options: Record<string, string> = {}): DispatchEntry {
  const resolved = resolveTarget({ target, ...options }, { zigVersion: ZIG_VERSION });
  return dispatchEntry(resolved, {
    cc: fakeTool(`${resolved.id} cc`),
    'c++': fakeTool(`${resolved.id} c++`),
  });
}

const host: HostCompilers = {
  goos: 'linux',
  goarch: 'amd64',
  cc: [fakeTool('host cc'), '-with', 'an arg'],
  cxx: [fakeTool('host c++')],
};

const entries = [
  entryFor('linux/arm64'),
  entryFor('linux/arm/v7'),
  entryFor('linux/arm', { goarm: '6' }),
  entryFor('windows/amd64'),
  entryFor('linux/riscv64', { libc: 'glibc' }),
];

function write(tool: 'cc' | 'c++'): string {
  const file = path.join(root, `dispatch-${tool}`);
  writeFileSync(file, renderDispatcher({ tool, entries, host, command: 'xcc setup' }));
  chmodSync(file, 0o755);
  return file;
}
const cc = write('cc');
const cxx = write('c++');

interface Ran {
  status: number | null;
  stdout: string[];
  stderr: string;
}

/** Runs the dispatcher with exactly these variables (and PATH), in every shell, which must agree. */
function dispatch(env: Record<string, string>, args: string[] = ['-c', 'x y.c'], file = cc): Ran {
  const runs = SHELLS.map(([shell, ...shellArgs]) => {
    const ran = spawnSync(shell as string, [...shellArgs, file, ...args], {
      encoding: 'utf8',
      env: { PATH: process.env.PATH, ...env },
      cwd: root,
    });
    return { status: ran.status, stdout: ran.stdout.split('\n').slice(0, -1), stderr: ran.stderr };
  });
  for (const run of runs.slice(1)) expect(run).toEqual(runs[0]);
  return runs[0]!;
}

describe('the dispatcher', () => {
  it('runs the toolchain of the GOOS, GOARCH and sub-architecture Go sets, with the arguments as given', () => {
    expect(dispatch({ GOOS: 'linux', GOARCH: 'arm64', GOARM64: 'v8.0' }).stdout).toEqual([
      'linux-arm64-musl cc',
      '-c',
      'x y.c',
    ]);
    expect(dispatch({ GOOS: 'linux', GOARCH: 'arm', GOARM: '7' }).stdout[0]).toBe('linux-arm-v7-musl cc');
    expect(dispatch({ GOOS: 'linux', GOARCH: 'arm', GOARM: '7,hardfloat' }).stdout[0]).toBe(
      'linux-arm-v7-musl cc',
    );
    expect(dispatch({ GOOS: 'linux', GOARCH: 'arm', GOARM: '6' }).stdout[0]).toBe('linux-arm-v6-musl cc');
    expect(dispatch({ GOOS: 'windows', GOARCH: 'amd64', GOAMD64: 'v1' }).stdout[0]).toBe(
      'windows-amd64-mingw cc',
    );
    // The libc is the configured target's: GO* does not say it.
    expect(dispatch({ GOOS: 'linux', GOARCH: 'riscv64', GORISCV64: 'rva20u64' }).stdout[0]).toBe(
      'linux-riscv64-glibc2.28 cc',
    );
    expect(dispatch({ GOOS: 'linux', GOARCH: 'arm64' }, ['-E'], cxx).stdout).toEqual([
      'linux-arm64-musl c++',
      '-E',
    ]);
  });

  it('looks only at the sub-architecture variable of GOARCH: a stray GOARM does not matter on arm64', () => {
    expect(dispatch({ GOOS: 'linux', GOARCH: 'arm64', GOARM: '5' }).stdout[0]).toBe('linux-arm64-musl cc');
  });

  it('refuses a sub-architecture no configured target has, naming it, rather than a near toolchain', () => {
    const ran = dispatch({ GOOS: 'linux', GOARCH: 'arm', GOARM: '7,softfloat' });
    expect(ran.status).toBe(1);
    expect(ran.stdout).toEqual([]);
    expect(ran.stderr).toMatch(
      /^xcc: no toolchain for linux\/arm GOARM=7,softfloat in this cc \(it has .*linux-arm-v7-musl.*\); run xcc setup again with linux\/arm among its targets\n$/,
    );
    expect(dispatch({ GOOS: 'windows', GOARCH: 'amd64', GOAMD64: 'v3' }).status).toBe(1);
  });

  it('falls through to the host compiler, with its own words, for the host target when it is not configured', () => {
    expect(dispatch({ GOOS: 'linux', GOARCH: 'amd64', GOAMD64: 'v1' }).stdout).toEqual([
      'host cc',
      '-with',
      'an arg',
      '-c',
      'x y.c',
    ]);
    // Unset GOOS and GOARCH mean the host, as they do for Go.
    expect(dispatch({}).stdout[0]).toBe('host cc');
    expect(dispatch({}, [], cxx).stdout).toEqual(['host c++']);
  });

  it('a configured host target wins over the fall-through', () => {
    const file = path.join(root, 'with-host');
    const withHost = [...entries, entryFor('linux/amd64')];
    writeFileSync(file, renderDispatcher({ tool: 'cc', entries: withHost, host, command: 'xcc dispatch' }));
    chmodSync(file, 0o755);
    expect(dispatch({ GOOS: 'linux', GOARCH: 'amd64' }, [], file).stdout[0]).toBe('linux-amd64-musl cc');
    // Another GOAMD64 is not that target: the host's compiler builds it, as before.
    expect(dispatch({ GOOS: 'linux', GOARCH: 'amd64', GOAMD64: 'v3' }, [], file).stdout[0]).toBe('host cc');
  });

  it.each([
    ['linux;touch pwned', 'arm64'],
    ['$(touch pwned)', 'arm64'],
    ['`touch pwned`', 'arm64'],
    ['linux\ntouch pwned', 'arm64'],
    ['*', '*'],
    ['linux', 'arm64 ) echo injected ;; *'],
    ['linux/arm64', ''],
    ['%s%n', '%x'],
  ])('refuses GOOS=%j GOARCH=%j without evaluating them', (goos, goarch) => {
    const ran = dispatch({ GOOS: goos, GOARCH: goarch, GOARM64: '$(touch pwned)' });
    expect(ran.status).toBe(1);
    expect(ran.stdout).toEqual([]);
    expect(ran.stderr.startsWith('xcc: no toolchain for ')).toBe(true);
    expect(ran.stderr).toContain(goos);
    expect(existsSync(path.join(root, 'pwned'))).toBe(false);
  });

  it('refuses hostile sub-architecture values as well', () => {
    for (const value of ['v8.0;touch pwned', '*', "''", 'v8.0 ']) {
      const ran = dispatch({ GOOS: 'linux', GOARCH: 'arm64', GOARM64: value });
      expect(ran.status, value).toBe(1);
    }
    expect(existsSync(path.join(root, 'pwned'))).toBe(false);
  });
});

describe('what a dispatcher is made of', () => {
  it('takes every spelling of a sub-architecture that means the target, and only those', () => {
    const resolve = (target: string, options: Record<string, string> = {}) =>
      resolveTarget({ target, ...options }, { zigVersion: ZIG_VERSION });
    expect(subArchSpellings(resolve('linux/arm/v7'))).toEqual(['', '7', '7,hardfloat']);
    expect(subArchSpellings(resolve('linux/arm/v5'))).toEqual(['5', '5,softfloat']);
    expect(subArchSpellings(resolve('linux/arm64'))).toEqual(['', 'v8.0']);
    expect(subArchSpellings(resolve('linux/arm64', { goarm64: 'v8.2,lse' }))).toEqual(['v8.2', 'v8.2,lse']);
    expect(subArchSpellings(resolve('linux/amd64/v3'))).toEqual(['v3']);
    expect(subArchSpellings(resolve('linux/s390x'))).toEqual([]);
  });

  it('refuses two targets the GO* variables cannot tell apart', () => {
    const musl = entryFor('linux/amd64');
    const glibc = entryFor('linux/amd64', { libc: 'glibc' });
    expect(() => checkDistinct([musl, glibc])).toThrow(UsageError);
    expect(() => checkDistinct([musl, glibc])).toThrow(
      /linux-amd64-musl and linux-amd64-glibc2.28 are both linux\/amd64/,
    );
    expect(() => checkDistinct([musl, entryFor('linux/amd64/v3', { libc: 'glibc' })])).not.toThrow();
  });

  it('splits CC as Go does (cmd/internal/quoted)', () => {
    expect(goSplit('gcc')).toEqual(['gcc']);
    expect(goSplit('  ccache  gcc -m64 ')).toEqual(['ccache', 'gcc', '-m64']);
    expect(goSplit(`'/opt/my cc/gcc' "-I a b" x'y`)).toEqual(['/opt/my cc/gcc', '-I a b', "x'y"]);
    expect(() => goSplit("'unterminated")).toThrow(/unterminated/);
  });

  it('reads the go env file as cmd/go does', () => {
    expect(parseGoEnvFile('CC=clang -v\n# comment\nbad\nCXX=a=b\nlower=x\nCC=last\n')).toEqual({
      CC: 'last',
      CXX: 'a=b',
    });
  });

  it('writes its tool paths, whatever they hold, as single words', () => {
    const text = readFileSync(cc, 'utf8');
    expect(text).toContain(`'${root.replaceAll("'", `'\\''`)}/linux-arm64-musl cc'\\''s tool'`);
  });
});
