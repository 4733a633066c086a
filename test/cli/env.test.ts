import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAsync, startCollecting } from '../support/builds.js';
import { runXcc, startXcc } from '../support/cli.js';
import { parseGithubEnv } from '../support/env-readers.js';
import { requireProbe, resolveProbe } from '../support/module-probe.js';
import { cliBin, projectRoot } from '../support/paths.js';
import { needTestZig, providedTestZig } from '../support/provided-zig.js';
import { testZigBuildCache } from '../support/test-zig.js';
import { mustRun } from '../support/toolchains.js';
import { needCommand } from '../support/tools.js';
import { startZigSources, type ZigSources } from '../support/zig-mirror.js';

/**
 * `xcc env`, `xcc exec`, `xcc lock` and `xcc install` in a project, as users run them: through the built
 * CLI, with the Zig coming from a signed mirror on 127.0.0.1, and a cache under a directory whose name
 * has a space, a single quote, `$`, a backtick and non-ASCII letters. The target is linux/amd64 with
 * glibc 2.28 so that what go builds runs on this host without an emulator (the cross targets run in
 * test/e2e).
 */

let sources: ZigSources | undefined;
let root: string;
const TARGET = ['linux/amd64', '--glibc=2.28'];

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), "xcc env it's $HOME `x` ünï-"));
  const zig = providedTestZig();
  if (!zig) return;
  sources = await startZigSources(zig, testZigBuildCache());
});
afterAll(async () => {
  await sources?.close();
  await rm(root, { recursive: true, force: true });
});

function userEnv(home: string): Record<string, string> {
  return {
    ...sources!.userEnv(home),
  };
}

/** Runs a shell script (`args` as $1...) and reads back each named variable exactly (hex, or fish's escape). */
function readBack(
  shell: string,
  script: string,
  names: string[],
  args: string[] = [],
): Record<string, string> {
  const printer =
    shell === 'fish'
      ? names.map((name) => `printf '%s=%s\\n' ${name} (string escape -- "$${name}")`).join('; ')
      : names
          .map((name) => `printf '%s=%s\\n' ${name} "$(printf %s "$${name}" | od -An -tx1 | tr -d ' \\n')"`)
          .join('; ');
  // sh-like shells take the first word after the script as $0; fish puts every word in $argv.
  const out = mustRun(shell, [
    '-c',
    `${script}\n${printer}`,
    ...(shell === 'fish' ? [] : ['xcc-test']),
    ...args,
  ]);
  const vars: Record<string, string> = {};
  for (const line of out.trim().split('\n')) {
    const [name, value = ''] = line.split(/=(.*)/s);
    vars[name!] = shell === 'fish' ? value : Buffer.from(value, 'hex').toString('utf8');
  }
  return vars;
}

/**
 * Runs the CLI with both module probes: the CommonJS modules it loads (require.cache: the CLI bundle, and
 * cac through require(esm)), every ES module Node resolves (a resolve hook), and the builtins. `packages`
 * lists what it loaded from node_modules besides cac, which every command needs.
 */
async function probedXcc(args: string[], env: Record<string, string>) {
  const required = requireProbe(root);
  const resolved = resolveProbe(root);
  const result = await runXcc(args, { env: { ...env, NODE_OPTIONS: `${required.flag} ${resolved.flag}` } });
  const { required: cjsModules, builtins } = required.loaded();
  const esModules = resolved.resolved();
  // Each probe sees something that is loaded (cac; the CLI's entry, which the hook resolves), so an
  // absence means something.
  expect(cjsModules.some((file) => file.includes('/node_modules/cac/'))).toBe(true);
  expect(esModules.some((url) => url.endsWith('/bin/xcc.cjs'))).toBe(true);
  const packages = [...cjsModules, ...esModules].filter(
    (name) => name.includes('/node_modules/') && !name.includes('/node_modules/cac/'),
  );
  return { ...result, packages, builtins };
}

describe('xcc env and xcc exec', { timeout: 600_000 }, () => {
  it('prints an environment that bash, dash, zsh and fish read back exactly, and go builds with it', {
    tags: ['fast'],
  }, async (context) => {
    needTestZig(context);
    const home = path.join(root, 'home sh');
    const env = userEnv(home);
    const json = await runXcc(['env', ...TARGET, '--format', 'json', '--quiet'], { env });
    expect(json.stderr).toBe('');
    expect(json.exitCode).toBe(0);
    const vars = JSON.parse(json.stdout) as Record<string, string>;
    expect(vars).toMatchObject({ GOOS: 'linux', GOARCH: 'amd64', CGO_ENABLED: '1' });
    // CC is one word for Go: the wrapper path, quoted the way Go splits CC (the home has a space).
    expect(vars.CC).toMatch(/^".*\/x86_64-linux-gnu-cc"$/);
    const names = Object.keys(vars);

    for (const shell of ['bash', 'dash', 'zsh', 'fish']) {
      needCommand(context, shell);
      const format = shell === 'fish' ? 'fish' : 'sh';
      const printed = await runXcc(['env', ...TARGET, '--format', format], { env });
      expect(printed.exitCode).toBe(0);
      // What users type: `eval "$(xcc env ...)"`, and `xcc env ... | source` in fish.
      const script = shell === 'fish' ? 'printf %s $argv[1] | source' : 'eval "$1"';
      const back = readBack(shell, script, names, [printed.stdout]);
      const expected =
        shell === 'fish'
          ? Object.fromEntries(
              names.map((name) => [
                name,
                mustRun('fish', ['-c', 'string escape -- $argv[1]', vars[name]!]).trim(),
              ]),
            )
          : vars;
      expect(back, shell).toEqual(expected);
    }

    // The same variables from the env file in the cache, sourced without Node.
    const toolchainDir = path.dirname(path.dirname(vars.CC!.slice(1, -1)));
    const sourced = readBack('sh', '. "$1"', names, [path.join(toolchainDir, 'env.sh')]);
    expect(sourced).toEqual(vars);

    // The shell-startup path: a warm `xcc env` reads the manifest and loads no package but cac (none of
    // the installer's: undici, tar, semver, execa) nor node:crypto, each of which costs more than the rest.
    const warm = await probedXcc(['env', ...TARGET], env);
    expect(warm.exitCode).toBe(0);
    expect(warm.packages).toEqual([]);
    expect(warm.builtins).not.toContain('NativeModule crypto');
    // Nor Node's stream modules: the result goes out with write(2), and nothing touches process.stdout or
    // process.stderr (Node runs its entry through the ES module loader when a hook is registered, and that
    // loads streams, so this run has the CommonJS probe only).
    const required = requireProbe(root);
    const unhooked = await runXcc(['env', ...TARGET], { env: { ...env, NODE_OPTIONS: required.flag } });
    expect(unhooked).toMatchObject({ exitCode: 0, stdout: warm.stdout });
    expect(required.loaded().builtins).toContain('NativeModule fs');
    expect(required.loaded().builtins).not.toContain('NativeModule stream');

    // go build with the environment: the cgo program runs here (glibc 2.28 is older than this host's).
    const work = path.join(root, 'hello sh');
    cpSync(path.join(projectRoot, 'examples', 'hello'), work, { recursive: true });
    mustRun('go', ['build', '-o', 'hello', '.'], { cwd: work, env: { ...process.env, ...vars } });
    expect(mustRun(path.join(work, 'hello'), [])).toBe('hello from linux/amd64: hypotenuse(3, 4) = 5\n');
  });

  it('writes env files, and --unset and --reset print what undoes them', async (context) => {
    needTestZig(context);
    const home = path.join(root, 'home write');
    const env = userEnv(home);
    const file = path.join(root, 'out', 'xcc.env.sh');
    const written = await runXcc(['env', ...TARGET, '--format', 'sh', '--write', file, '--quiet'], { env });
    expect(written).toMatchObject({ exitCode: 0, stdout: '' });
    expect(mustRun('sh', ['-c', '. "$1" && printf %s "$GOOS/$GOARCH"', 'x', file])).toBe('linux/amd64');
    // A directory named as the file: one line, exit 2, nothing written beside it; the same for --reset.
    const out = path.dirname(file);
    for (const args of [[...TARGET, '--format', 'sh'], ['--reset']]) {
      const intoDir = await runXcc(['env', ...args, '--write', out], { env });
      expect(intoDir).toMatchObject({ exitCode: 2, stdout: '' });
      expect(intoDir.stderr).toBe(
        `xcc: --write ${out} is a directory; name a file to write, like ${path.join(out, 'xcc.env')}\n`,
      );
      expect(readdirSync(out)).toEqual(['xcc.env.sh']);
    }
    // dotenv has no quoting for a value holding both quotes and `$` (CC here, in a directory named with
    // all of them): refused, naming the formats that can say it, and nothing written.
    const dotenv = await runXcc(['env', ...TARGET, '--format', 'dotenv', '--write', `${file}.env`], { env });
    expect(dotenv.exitCode).toBe(1);
    expect(dotenv.stderr).toMatch(/^xcc: the value of CC contains .* use --format sh or --format json\n$/);
    expect(existsSync(`${file}.env`)).toBe(false);

    const sh = (await runXcc(['env', ...TARGET, '--format', 'sh'], { env })).stdout;
    const unset = await runXcc(['env', ...TARGET, '--unset'], { env: { ...env, SHELL: '/bin/bash' } });
    expect(unset.exitCode).toBe(0);
    const reset = await runXcc(['env', '--reset', '--format', 'sh'], { env });
    for (const undo of [unset.stdout, reset.stdout]) {
      const after = mustRun('bash', [
        '-c',
        `eval "$1"; eval "$2"; echo "[\${CC-unset}] [\${GOOS-unset}] [\${CGO_ENABLED-unset}]"`,
        'x',
        sh,
        undo,
      ]);
      expect(after.trim()).toBe('[unset] [unset] [unset]');
    }
    const both = await runXcc(['env', 'linux/amd64', '--reset'], { env });
    expect(both).toMatchObject({ exitCode: 2 });
    expect(both.stderr).toBe(
      "xcc: --reset undoes every xcc variable and takes no target; use 'xcc env linux/amd64 --unset'\n",
    );
  });

  it('appends to GITHUB_ENV and GITHUB_PATH in a form Actions parses back exactly', async (context) => {
    needTestZig(context);
    const home = path.join(root, 'home github');
    const github = path.join(root, 'github');
    mkdirSync(github, { recursive: true });
    const GITHUB_ENV = path.join(github, 'env');
    const GITHUB_PATH = path.join(github, 'path');
    writeFileSync(GITHUB_ENV, 'EARLIER=1\n');
    const env = { ...userEnv(home), GITHUB_ACTIONS: 'true', GITHUB_ENV, GITHUB_PATH, CI: 'true' };
    const result = await runXcc(['env', ...TARGET], { env });
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(
      /^xcc: set \d+ variables for later steps \(GITHUB_ENV\) and added .* to PATH$/m,
    );
    const vars = parseGithubEnv(readFileSync(GITHUB_ENV, 'utf8'));
    const json = JSON.parse(
      (await runXcc(['env', ...TARGET, '--format', 'json'], { env: userEnv(home) })).stdout,
    );
    expect(vars).toEqual({ EARLIER: '1', ...json });
    const [bin] = readFileSync(GITHUB_PATH, 'utf8').split('\n');
    expect(existsSync(path.join(bin!, 'x86_64-linux-gnu-cc'))).toBe(true);
    // The wrapper directory holds only cross-named tools: nothing of the runner's own is shadowed.
    expect(existsSync(path.join(bin!, 'cc'))).toBe(false);
  });

  it('xcc exec runs the command with the environment, passes its exit code and forwards signals', {
    tags: ['fast'],
  }, async (context) => {
    needTestZig(context);
    const env = userEnv(path.join(root, 'home exec'));
    const ran = await runXcc(
      ['exec', ...TARGET, '--', 'sh', '-c', 'printf "%s|%s" "$GOARCH" "$CC"; exit 7'],
      { env },
    );
    expect(ran.exitCode).toBe(7);
    expect(ran.stdout).toMatch(/^amd64\|".*x86_64-linux-gnu-cc"$/);

    // The path of every build: a warm `xcc exec` loads what a warm `xcc env` does and its own chunk,
    // no package but cac (execa, with its dozens of files, cost more than all the rest).
    const warm = await probedXcc(['exec', ...TARGET, '--', 'true'], env);
    expect(warm.exitCode).toBe(0);
    expect(warm.packages).toEqual([]);
    expect(warm.builtins).not.toContain('NativeModule crypto');

    // A command killed by a signal kills xcc with it, as if xcc were the command...
    const killed = await startXcc(['exec', ...TARGET, '--', 'sh', '-c', 'kill -TERM $$'], { env }).exited;
    expect(killed).toMatchObject({ exitCode: null, signal: 'SIGTERM' });
    // ...and where Node cannot die of it, xcc exits as a shell reports it, 128 + the signal's number,
    // never 0: Node ignores SIGPIPE (a build piped into head), and starts its debugger on SIGUSR1.
    for (const [signal, status] of [
      ['PIPE', 141],
      ['USR1', 138],
    ] as const) {
      // --quiet: nothing but the command's own end on stderr (no first build's notice, first-build.test.ts).
      const ended = await runXcc(['exec', ...TARGET, '--quiet', '--', 'sh', '-c', `kill -${signal} $$`], {
        env,
      });
      expect(ended, signal).toEqual({ exitCode: status, stdout: '', stderr: '' });
    }

    // A TERM to xcc reaches the command, which reports it; xcc then exits as the command did. The
    // command prints its pid so that, should xcc die instead, the orphan (which holds the output pipe
    // open) is killed and the test fails at once rather than hanging.
    const { child, output, closed } = startCollecting(
      process.execPath,
      [
        cliBin,
        'exec',
        ...TARGET,
        '--',
        'sh',
        '-c',
        'trap "echo got-term; exit 3" TERM; echo "ready $$"; while :; do sleep 0.1; done',
      ],
      { env: { ...process.env, ...env } },
    );
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.on('exit', (code, signal) => resolve({ code, signal })),
    );
    const commandPid = await new Promise<number>((resolve, reject) => {
      child.stdout!.on('data', () => {
        const ready = /ready (\d+)\n/.exec(output.stdout);
        if (ready) resolve(Number(ready[1]));
      });
      closed.then(({ status }) =>
        reject(new Error(`xcc exec ended (${status}) before the command was ready: ${output.stderr}`)),
      );
    });
    child.kill('SIGTERM');
    const exit = await exited;
    if (exit.signal !== null) process.kill(commandPid, 'SIGKILL');
    const { stdout } = await closed;
    expect(exit).toEqual({ code: 3, signal: null });
    expect(stdout).toContain('got-term');

    const missing = await runXcc(['exec', ...TARGET, '--', 'no-such-program-xcc'], { env });
    expect(missing.exitCode).toBe(2);
    expect(missing.stderr).toMatch(/^xcc: cannot run no-such-program-xcc: /);
  });
});

describe('a project: config, lock, postinstall', { timeout: 900_000 }, () => {
  it('xcc install provisions the configured targets; xcc lock pins them; --frozen enforces the lock', async (context) => {
    const test = needTestZig(context);
    const project = path.join(root, 'project');
    mkdirSync(project, { recursive: true });
    const config = { zig: test.version, targets: [{ target: 'linux/amd64', glibc: '2.28' }, 'linux/arm64'] };
    writeFileSync(path.join(project, 'xcc.json'), `${JSON.stringify(config)}\n`);
    const env = userEnv(path.join(root, 'home project'));

    const install = await runXcc(['install', '--json'], { env, cwd: project });
    expect(install.exitCode).toBe(0);
    const report = JSON.parse(install.stdout);
    expect(report.targets.map((t: { target: string }) => t.target)).toEqual([
      'linux-amd64-glibc2.28',
      'linux-arm64-musl',
    ]);
    for (const { dir } of report.targets) expect(statSync(path.join(dir, 'env.sh')).isFile()).toBe(true);

    const frozenWithoutLock = await runXcc(['install', '--frozen'], { env, cwd: project });
    expect(frozenWithoutLock.exitCode).toBe(2);
    expect(frozenWithoutLock.stderr).toMatch(
      /--frozen needs .*xcc\.lock\.json; run 'xcc lock' and commit it/,
    );

    const lock = await runXcc(['lock'], { env, cwd: project });
    expect(lock.exitCode).toBe(0);
    const locked = JSON.parse(readFileSync(path.join(project, 'xcc.lock.json'), 'utf8'));
    expect(locked.zig.version).toBe(test.version);
    expect(locked.zig.hosts[test.hostKey]).toMatchObject({
      sha256: test.release.sha256,
      size: test.release.size,
    });

    expect((await runXcc(['install', '--frozen', '--quiet'], { env, cwd: project })).exitCode).toBe(0);

    writeFileSync(
      path.join(project, 'xcc.json'),
      `${JSON.stringify({ ...config, targets: ['linux/riscv64'] })}\n`,
    );
    const stale = await runXcc(['install', '--frozen'], { env, cwd: project });
    expect(stale.exitCode).toBe(2);
    expect(stale.stderr).toMatch(/xcc\.lock\.json is out of date: .*; run 'xcc lock' and commit it/);

    const skipped = await runXcc(['install'], { env: { ...env, XCC_SKIP_INSTALL: '1' }, cwd: project });
    expect(skipped).toMatchObject({ exitCode: 0, stdout: '' });
    expect(skipped.stderr).toContain('XCC_SKIP_INSTALL');
  });

  it('"postinstall": "xcc install" runs under npm install, quietly and line by line', async (context) => {
    const test = needTestZig(context);
    const project = path.join(root, 'npm-project');
    mkdirSync(project, { recursive: true });
    const tarball = mustRun('npm', ['pack', '--silent', '--pack-destination', root, '--ignore-scripts'], {
      cwd: projectRoot,
    }).trim();
    writeFileSync(
      path.join(project, 'package.json'),
      `${JSON.stringify({
        name: 'polyglot-app',
        private: true,
        scripts: { postinstall: 'xcc install' },
        devDependencies: { xcc: `file:${path.join(root, tarball)}` },
        xcc: { zig: test.version, targets: [{ target: 'linux/amd64', glibc: '2.28' }] },
      })}\n`,
    );
    const env = { ...process.env, ...userEnv(path.join(root, 'home npm')) };
    // A bare `npm install` runs the project's own postinstall (`npm install <pkg>` would not).
    // Asynchronously: the mirror that answers xcc's postinstall runs in this process.
    const installed = await runAsync(
      'npm',
      ['install', '--prefer-offline', '--no-audit', '--no-fund', '--foreground-scripts'],
      { cwd: project, env },
    );
    expect(installed.status, installed.stderr).toBe(0);
    const output = installed.stdout + installed.stderr;
    expect(output).toContain(`Zig ${test.version} installed`);
    expect(output).toContain('linux-amd64-glibc2.28');
    // No progress bar (npm gives the script no terminal): plain lines, no carriage returns.
    expect(output).not.toContain('\r');
    // The installed xcc works from the project, on the warm cache.
    const envOut = mustRun(
      path.join(project, 'node_modules', '.bin', 'xcc'),
      ['env', 'linux/amd64', '--glibc=2.28', '--format', 'json'],
      {
        cwd: project,
        env,
      },
    );
    expect(JSON.parse(envOut).GOARCH).toBe('amd64');
  });
});

describe('the library API, as another tool imports it', { timeout: 600_000 }, () => {
  it("import('xcc') resolves, ensures a Zig, provisions a target and renders its environment", async (context) => {
    const test = needTestZig(context);
    // The package's own name resolves through its "exports", to dist/ as for any dependent.
    const xcc = await import('xcc');
    const env = userEnv(path.join(root, 'home api'));
    const events: string[] = [];
    const zig = await xcc.ensureZig({ spec: test.version, env, onEvent: (event) => events.push(event.type) });
    expect(zig).toMatchObject({ version: test.version, cached: false });
    expect(events.length).toBeGreaterThan(0);
    const target = xcc.resolveTarget({ target: 'linux/arm/v7' }, { zigVersion: zig.version });
    expect(target.zigTarget).toBe('arm-linux-musleabihf');
    const toolchain = await xcc.provision({ target: { target: 'linux/arm/v7' }, zigInstall: zig, env });
    expect(toolchain.env).toMatchObject({ GOARCH: 'arm', GOARM: '7', CGO_ENABLED: '1' });
    expect(mustRun(toolchain.tools.cc!, ['--version'])).toContain('clang version');
    expect(xcc.renderEnv({ GOARM: '7' }, 'fish')).toBe("set -gx GOARM '7'\n");
  });
});
