import { spawnSync } from 'node:child_process';
import {
  existsSync,
  linkSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { quirksFor } from '../../src/toolchain/quirks.js';
import { renderCmdWrapper, renderShWrapper, type WrapperSpec } from '../../src/toolchain/wrappers.js';
import { runXcc } from '../support/cli.js';
import {
  hasPythonDotenv,
  parseEnv0,
  parseGithubEnv,
  readWithNodeEnvFile,
  readWithPythonDotenv,
} from '../support/env-readers.js';
import { needTestZig } from '../support/provided-zig.js';
import { lines, recordCategory } from '../support/reliability.js';
import { type TestZig, testCacheDir } from '../support/test-zig.js';
import { hasCommand, installHint, testWineEnv } from '../support/tools.js';

/**
 * Every value xcc writes into a shell script or an env file may come from an attacker: XCC_HOME, the
 * zig cache (XCC_ZIG_CACHE_DIR), the Zig's own path (XCC_ZIG) and the macOS SDK are paths a user, a CI
 * image or a checked-out project chose. Each hostile name below holds what breaks one quoting context or
 * another; its injected commands create marker files named `pwned-*` in the working directory, so a
 * working directory that holds anything but what the command made is a failure (that also catches the
 * stray directory a literal quote in a path makes). The wrappers run bare, as Go and make run them
 * (`ZIG_GLOBAL_CACHE_DIR` unset, so their defaults apply), in dash and bash.
 */

const category = recordCategory(
  'shell-injection',
  'Shell injection',
  'XCC_HOME, XCC_ZIG_CACHE_DIR, XCC_ZIG and --macos-sdk paths holding spaces, `$(...)`, backticks, both quotes, backslashes, globs and newlines: the CC/CXX/AR wrappers run bare in dash and bash (a real zig compile, its cache where it was told), and every env format is read back in bash, dash, zsh, fish, python-dotenv, Node and a GITHUB_ENV file. Nothing runs, no stray file appears, every value arrives byte for byte or is refused with one line.',
);

const HOSTILE: Record<string, string> = {
  // biome-ignore lint/suspicious/noTemplateCurlyInString: the literal ${HOME} is the point
  'single quote': "a b $(touch pwned-1) `touch pwned-2` it's \\ * ${HOME} $HOME;&|#",
  // biome-ignore lint/suspicious/noTemplateCurlyInString: the literal ${HOME} is the point
  'double quote': 'a b "$(touch pwned-3)" `touch pwned-4` \\" * ?[x] ${HOME}',
  newline: "new\nline $(touch pwned-5)\n'`touch pwned-6`'",
  // Go takes CC bare when it has no space or quote, and dotenv can then hold every value.
  'no space': '$(pwd>pwned-7)`pwd>pwned-8`;pwd>pwned-9&*?\\x|#',
};

/** The shells a `#!/bin/sh` wrapper meets: dash (Debian, Ubuntu), bash (most others, and macOS in POSIX mode). */
const WRAPPER_SHELLS = [['dash'], ['bash', '--posix']] as const;

let root: string;
beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'xcc-injection-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/** A fresh, empty working directory: whatever an injected command or a misquoted path creates shows up here. */
function freshDir(label: string): string {
  const dir = path.join(root, 'cwd', `${label}-${Math.random().toString(36).slice(2)}`);
  mkdirSync(dir, { recursive: true });
  return dir;
}

/**
 * Runs a program with only PATH and HOME (a scratch directory) set: no ZIG_*_CACHE_DIR from the test's
 * environment, and nothing read from the real home.
 */
function runBare(command: string, args: readonly string[], cwd: string, env: Record<string, string> = {}) {
  const ran = spawnSync(command, args, {
    cwd,
    encoding: 'utf8',
    env: { PATH: process.env.PATH, HOME: root, ...env },
  });
  if (ran.error) throw ran.error;
  return ran;
}

describe('a wrapper run bare gives the program it execs exactly the values baked into it', () => {
  /**
   * The wrapper as rendered, with a real program in place of zig that shows what it received: `env -0`
   * its environment, `printf '%s\0'` its arguments. The program sits at a hostile path too (a link).
   */
  function wrapperFor(
    label: string,
    hostile: string,
    program: string,
    programArgs: string[],
    spec: Partial<WrapperSpec>,
  ) {
    const dir = path.join(root, 'unit', label, `bin ${hostile}`);
    mkdirSync(dir, { recursive: true });
    const zig = path.join(dir, `${path.basename(program)} ${hostile}`);
    if (!existsSync(zig)) symlinkSync(program, zig);
    const file = path.join(dir, `wrapper-${path.basename(program)}`);
    writeFileSync(
      file,
      renderShWrapper({
        header: `test ${hostile}`,
        zig,
        subcommand: programArgs,
        fixed: [],
        quirks: [],
        dir,
        prefix: 'x86_64-linux-musl',
        zigCache: path.join(root, `cache ${hostile}`),
        ...spec,
      }),
    );
    return { file, dir };
  }

  for (const [label, hostile] of Object.entries(HOSTILE)) {
    for (const [shell, ...shellArgs] of WRAPPER_SHELLS) {
      it(`${label}, ${shell}: the zig caches and SDKROOT, unless the caller set the caches`, () => {
        const cache = path.join(root, `cache ${hostile}`);
        const sdk = path.join(root, `sdk ${hostile}`);
        const { file } = wrapperFor(label, hostile, '/usr/bin/env', ['-0'], { env: { SDKROOT: sdk } });
        const cwd = freshDir(label);
        const ran = runBare(shell, [...shellArgs, file], cwd);
        expect(ran.stderr).toBe('');
        expect(ran.status).toBe(0);
        const received = parseEnv0(ran.stdout);
        expect(received).toMatchObject({
          ZIG_GLOBAL_CACHE_DIR: cache,
          ZIG_LOCAL_CACHE_DIR: cache,
          SDKROOT: sdk,
        });
        expect(readdirSync(cwd)).toEqual([]);
        // A cache the caller chose wins, however it is spelled.
        const mine = `${hostile} mine`;
        const chosen = runBare(shell, [...shellArgs, file], cwd, {
          ZIG_GLOBAL_CACHE_DIR: mine,
          ZIG_LOCAL_CACHE_DIR: mine,
        });
        expect(parseEnv0(chosen.stdout)).toMatchObject({
          ZIG_GLOBAL_CACHE_DIR: mine,
          ZIG_LOCAL_CACHE_DIR: mine,
        });
        expect(readdirSync(cwd)).toEqual([]);
      });

      it(`${label}, ${shell}: the target flags, quirk arguments, the caller's arguments and quirk answers`, () => {
        // Windows quirks rewrite and add; their answer names the wrapper directory.
        const quirks = quirksFor('0.15.2', 'x86_64-windows-gnu', 'cc');
        expect(quirks.map((quirk) => quirk.action).sort()).toEqual([
          'add',
          'add',
          'add',
          'answer',
          'rewrite',
        ]);
        const fixed = ['-target', hostile, `-mcpu=${hostile}`];
        const { file, dir } = wrapperFor(label, hostile, '/usr/bin/printf', ['%s\\0'], { fixed, quirks });
        const cwd = freshDir(label);
        const callerArgs = [hostile, '-mwindows', '-c', `${hostile}.c`];
        const ran = runBare(shell, [...shellArgs, file, ...callerArgs], cwd);
        expect(ran.stderr).toBe('');
        expect(ran.stdout.split('\0').slice(0, -1)).toEqual([
          ...fixed,
          '-fno-sanitize=undefined',
          '-lapi-ms-win-core-synch-l1-2-0',
          hostile,
          '-Wl,--subsystem,windows',
          '-c',
          `${hostile}.c`,
        ]);
        const answer = runBare(shell, [...shellArgs, file, '-print-prog-name=ar'], cwd);
        expect(answer.stdout).toBe(`${dir}/x86_64-linux-musl-ar\n`);
        expect(readdirSync(cwd)).toEqual([]);
      });
    }
  }
});

describe('the .cmd wrapper for Windows hosts, in cmd (wine)', () => {
  it('sets the zig caches and SDKROOT exactly, with cmd operators, % and ! in them', (context) => {
    if (!hasCommand('wine')) category.skip(context, 'wine is not installed', installHint('wine'));
    // A Windows path cannot hold a quote or a line break (the wrapper refuses both); anything else may.
    const hostile = "C:\\cache & echo INJECTED & %PATH% !x! ^y (z) ;,= 'q' $(touch) %%";
    const dir = freshDir('cmd');
    writeFileSync(
      path.join(dir, 'wrapper.cmd'),
      renderCmdWrapper({
        header: `test ${hostile}`,
        zig: 'C:\\windows\\system32\\cmd.exe',
        subcommand: ['/c', 'set'],
        fixed: [],
        quirks: [],
        dir: hostile,
        prefix: 'x86_64-windows-gnu',
        zigCache: hostile,
        env: { SDKROOT: `${hostile} sdk` },
      }),
    );
    const { ZIG_GLOBAL_CACHE_DIR, ZIG_LOCAL_CACHE_DIR, ...env } = process.env;
    const ran = spawnSync('wine', ['cmd', '/c', 'wrapper.cmd'], {
      cwd: dir,
      encoding: 'utf8',
      env: { ...env, ...testWineEnv(testCacheDir()) },
      timeout: 300_000,
    });
    const printed = ran.stdout.split('\r\n');
    expect(printed.filter((line) => line.startsWith('INJECTED'))).toEqual([]);
    expect(printed).toEqual(
      expect.arrayContaining([
        `ZIG_GLOBAL_CACHE_DIR=${hostile}`,
        `ZIG_LOCAL_CACHE_DIR=${hostile}`,
        `SDKROOT=${hostile} sdk`,
      ]),
    );
    expect(readdirSync(dir)).toEqual(['wrapper.cmd']);
  }, 180_000);
});

/** A Zig whose own path is hostile: the real binary hard-linked there (XCC_ZIG resolves symlinks), its lib linked. */
function zigAt(test: TestZig, dir: string): string {
  mkdirSync(dir, { recursive: true });
  const zig = path.join(dir, 'zig');
  if (!existsSync(zig)) {
    linkSync(test.install.zig, zig);
    symlinkSync(path.join(test.install.dir, 'lib'), path.join(dir, 'lib'));
  }
  return zig;
}

interface Hostile {
  env: Record<string, string>;
  zigCache: string;
  /** `xcc env --format json` for linux/amd64 (glibc 2.28): the values every other format must reproduce. */
  vars: Record<string, string>;
}

const TARGET = ['linux/amd64', '--glibc=2.28'];

describe('xcc under hostile paths, through the CLI and a real zig', { timeout: 300_000 }, () => {
  const setups = new Map<string, Promise<Hostile>>();
  /** One hostile XCC_HOME, XCC_ZIG_CACHE_DIR and XCC_ZIG per name, provisioned once. */
  function hostileSetup(test: TestZig, label: string, hostile: string): Promise<Hostile> {
    let setup = setups.get(label);
    if (setup === undefined) {
      setup = (async () => {
        const base = path.join(root, 'cli', label.replaceAll(' ', '-'));
        // zig cannot keep its cache under a line break (refused: see the last test).
        const zigCache = path.join(base, `zig-cache-${hostile.replace(/\n/g, ' ')}`);
        const env = {
          XCC_HOME: path.join(base, `home-${hostile}`),
          XCC_ZIG_CACHE_DIR: zigCache,
          XCC_ZIG: zigAt(test, path.join(base, `zig-${hostile}`)),
        };
        const json = await runXcc(['env', ...TARGET, '--format', 'json', '--quiet'], {
          env,
          cwd: freshDir(label),
        });
        expect(json.stderr).toBe('');
        expect(json.exitCode).toBe(0);
        return { env, zigCache, vars: JSON.parse(json.stdout) as Record<string, string> };
      })();
      setups.set(label, setup);
    }
    return setup;
  }

  /** The wrapper path inside CC, which Go's quoting wraps in one kind of quote. */
  const unquoted = (cc: string) => (/^['"]/.test(cc) ? cc.slice(1, -1) : cc);

  for (const [label, hostile] of Object.entries(HOSTILE)) {
    it(`${label}: the cc wrapper, run bare in dash and bash, compiles with zig's cache where it was told`, async (context) => {
      const test = needTestZig(context);
      const { vars, zigCache } = await hostileSetup(test, label, hostile);
      const cc = unquoted(vars.CC!);
      expect(cc.startsWith(path.join(root, 'cli'))).toBe(true);
      const source = path.join(root, 'hello.c');
      writeFileSync(source, 'int answer(void) { return 42; }\n');
      for (const [shell, ...shellArgs] of WRAPPER_SHELLS) {
        rmSync(zigCache, { recursive: true, force: true });
        const cwd = freshDir(label);
        const compiled = runBare(shell, [...shellArgs, cc, '-c', source, '-o', 'hello.o'], cwd);
        expect(compiled.stderr, shell).toBe('');
        expect(compiled.status, shell).toBe(0);
        expect(readdirSync(cwd), shell).toEqual(['hello.o']);
        // zig put its cache exactly where the wrapper said (and nowhere else: the cwd holds only the object).
        expect(readdirSync(zigCache).length, shell).toBeGreaterThan(0);
        const prog = runBare(shell, [...shellArgs, cc, '-print-prog-name=ar'], cwd);
        expect(prog.stdout, shell).toBe(`${vars.AR}\n`);
        const ar = runBare(shell, [...shellArgs, vars.AR!, 'rcs', 'lib.a', 'hello.o'], cwd);
        expect(ar.status, `${shell}: ${ar.stderr}`).toBe(0);
        expect(readdirSync(cwd).sort(), shell).toEqual(['hello.o', 'lib.a']);
      }
    });

    it(`${label}: xcc env output and the cached env.sh, read back by bash, dash, zsh and fish`, async (context) => {
      const test = needTestZig(context);
      const { env, vars } = await hostileSetup(test, label, hostile);
      const names = Object.keys(vars);
      const cwd = freshDir(label);
      const readers: Array<[string, string, string[]]> = [
        ['sh', 'bash', ['--norc', '--noprofile', '-c', 'eval "$1" && env -0', 'bash']],
        ['sh', 'dash', ['-c', 'eval "$1" && env -0', 'dash']],
        ['sh', 'zsh', ['-f', '-c', 'eval "$1" && env -0', 'zsh']],
        ['fish', 'fish', ['--no-config', '-c', 'printf %s $argv[1] | source; and env -0']],
      ];
      for (const [format, shell, args] of readers) {
        if (!hasCommand(shell)) category.skip(context, `${shell} is not installed`, installHint(shell));
        const printed = await runXcc(['env', ...TARGET, '--format', format], { env, cwd });
        expect(printed.exitCode).toBe(0);
        const back = parseEnv0(runBare(shell, [...args, printed.stdout], cwd).stdout);
        expect(Object.fromEntries(names.map((name) => [name, back[name]])), shell).toEqual(vars);
      }
      const toolchainDir = path.dirname(path.dirname(unquoted(vars.CC!)));
      const sourced = parseEnv0(
        runBare('dash', ['-c', '. "$1" && env -0', 'dash', path.join(toolchainDir, 'env.sh')], cwd).stdout,
      );
      expect(Object.fromEntries(names.map((name) => [name, sourced[name]]))).toEqual(vars);
      expect(readdirSync(cwd)).toEqual([]);
    });

    it(`${label}: dotenv is read back exactly by python-dotenv and Node, or refused with one line`, async (context) => {
      const test = needTestZig(context);
      if (!hasPythonDotenv())
        category.skip(context, 'python-dotenv is not installed', 'python3 -m pip install python-dotenv');
      const { env, vars } = await hostileSetup(test, label, hostile);
      const cwd = freshDir(label);
      const file = path.join(cwd, '.env');
      // --quiet: the subject is the file (no first build's line, test/cli/first-build.test.ts).
      const written = await runXcc(['env', ...TARGET, '--format', 'dotenv', '--write', file, '--quiet'], {
        env,
        cwd,
      });
      // The others put a quote in CC (Go's quoting of a path with a space) beside `$`, or hold `${`.
      if (label === 'no space') {
        expect(written).toMatchObject({ exitCode: 0, stderr: '' });
        for (const read of [readWithPythonDotenv, readWithNodeEnvFile]) {
          const back = read(file);
          expect(Object.fromEntries(Object.keys(vars).map((name) => [name, back[name]]))).toEqual(vars);
        }
      } else {
        expect(written.exitCode).toBe(1);
        expect(lines(written.stderr)).toEqual([
          expect.stringMatching(/^xcc: the value of \w+ contains .*dotenv/),
        ]);
        expect(readdirSync(cwd)).toEqual([]);
      }
    });

    it(`${label}: GITHUB_ENV and GITHUB_PATH are appended whole, or not at all with one line`, async (context) => {
      const test = needTestZig(context);
      const { env, vars } = await hostileSetup(test, label, hostile);
      const cwd = freshDir(label);
      const GITHUB_ENV = path.join(root, `github-env-${label}`);
      const GITHUB_PATH = path.join(root, `github-path-${label}`);
      writeFileSync(GITHUB_ENV, 'EARLIER=1\n');
      writeFileSync(GITHUB_PATH, '/earlier\n');
      const github = { ...env, GITHUB_ACTIONS: 'true', GITHUB_ENV, GITHUB_PATH };
      const appended = await runXcc(['env', ...TARGET], { env: github, cwd });
      const bin = path.dirname(vars.AR!);
      if (!/[\r\n]/.test(bin)) {
        expect(appended.exitCode).toBe(0);
        expect(parseGithubEnv(readFileSync(GITHUB_ENV, 'utf8'))).toEqual({ EARLIER: '1', ...vars });
        expect(readFileSync(GITHUB_PATH, 'utf8')).toBe(`/earlier\n${bin}\n`);
      } else {
        // The runner reads GITHUB_PATH a line at a time: a newline would add a directory of the attacker's.
        expect(appended.exitCode).toBe(1);
        expect(lines(appended.stderr)).toEqual([
          expect.stringMatching(/^xcc: the value of PATH contains a newline/),
        ]);
        expect(readFileSync(GITHUB_ENV, 'utf8')).toBe('EARLIER=1\n');
        expect(readFileSync(GITHUB_PATH, 'utf8')).toBe('/earlier\n');
      }
      expect(readdirSync(cwd)).toEqual([]);
    });

    it(`${label}: a macOS SDK path reaches SDKROOT and zig's search paths exactly, or is refused`, async (context) => {
      const test = needTestZig(context);
      if (!hasCommand('go')) category.skip(context, 'go is not installed', installHint('go'));
      const { env } = await hostileSetup(test, label, hostile);
      /** What makes a directory an SDK for xcc and clang, and a header to find in it. */
      const sdkAt = (name: string) => {
        const sdk = path.join(root, `MacOSX ${name}.sdk`);
        mkdirSync(path.join(sdk, 'usr', 'include'), { recursive: true });
        writeFileSync(
          path.join(sdk, 'SDKSettings.json'),
          '{"Version":"15.2","MaximumDeploymentTarget":"15.2.99"}',
        );
        writeFileSync(path.join(sdk, 'usr', 'include', 'in_sdk.h'), '#define IN_SDK 42\n');
        return sdk;
      };
      const cwd = freshDir(label);
      const xccEnv = (sdk: string) =>
        runXcc(['env', 'darwin/arm64', '--macos-sdk', sdk, '--format', 'sh'], { env, cwd });
      // zig cannot read headers below a line break, a backslash, or a double quote beside a space (its
      // dependency files): refused.
      expect(hostile).toMatch(/[\\\n]/);
      const refused = await xccEnv(sdkAt(hostile));
      expect(refused.exitCode).toBe(2);
      expect(lines(refused.stderr)).toEqual([
        expect.stringMatching(
          /^xcc: the macOS SDK .* has a (line break|backslash|double quote and a space) in its path, where zig cannot read headers;/,
        ),
      ]);
      // Every other character reaches SDKROOT and the compiler's search path as it is.
      const sdk = sdkAt(hostile.replace(/[\\\r\n"]/g, ''));
      const printed = await xccEnv(sdk);
      expect(printed.stderr).toBe('');
      const back = parseEnv0(
        runBare('dash', ['-c', 'eval "$1" && env -0', 'dash', printed.stdout], cwd).stdout,
      );
      expect(back.SDKROOT).toBe(sdk);
      const cc = unquoted(back.CC!);
      expect(readFileSync(cc, 'utf8')).toContain('SDKROOT=');
      const source = path.join(root, `in-sdk-${label.replaceAll(' ', '-')}.c`);
      writeFileSync(
        source,
        `#include <in_sdk.h>\nint in_sdk_${label.replaceAll(' ', '_')}(void) { return IN_SDK; }\n`,
      );
      for (const [shell, ...shellArgs] of WRAPPER_SHELLS) {
        const compiled = runBare(shell, [...shellArgs, cc, '-c', source, '-o', 'in-sdk.o'], cwd);
        expect(compiled.stderr, shell).toBe('');
        expect(compiled.status, shell).toBe(0);
      }
      expect(readdirSync(cwd)).toEqual(['in-sdk.o']);
    });
  }

  it('a line break in the zig cache path is refused with one line before anything is written', async (context) => {
    const test = needTestZig(context);
    const base = path.join(root, 'cli', 'cache-newline');
    const home = path.join(base, 'home');
    const env = {
      XCC_HOME: home,
      XCC_ZIG_CACHE_DIR: path.join(base, 'zig\ncache $(touch pwned-10)'),
      XCC_ZIG: zigAt(test, path.join(base, 'zig')),
    };
    const cwd = freshDir('cache-newline');
    const refused = await runXcc(['env', ...TARGET, '--format', 'sh'], { env, cwd });
    expect(refused.exitCode).toBe(2);
    expect(lines(refused.stderr)).toEqual([
      expect.stringMatching(
        /^xcc: zig cannot use ".*" as its cache \(a line break in the path\); set XCC_ZIG_CACHE_DIR/,
      ),
    ]);
    expect(refused.stdout).toBe('');
    expect(existsSync(path.join(home, 'v1', 'toolchains'))).toBe(false);
    expect(readdirSync(cwd)).toEqual([]);
  });
});
