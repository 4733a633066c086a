import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { goEnv } from '../support/builds.js';
import { runXcc } from '../support/cli.js';
import { projectRoot } from '../support/paths.js';
import { needTestZig } from '../support/provided-zig.js';
import { testCacheDir, testZigBuildCache } from '../support/test-zig.js';
import { hasCommand, needCommand } from '../support/tools.js';

/**
 * `xcc setup`: go env's CC and CXX become one dispatcher, so a plain `GOOS=linux GOARCH=arm64 go build`
 * cross-compiles with cgo, and host builds keep the C compiler they had. Each test has its own go env file
 * (GOENV), so the user's is never touched; real go, real zig, the arm64 binary run under qemu.
 */
const scratch = mkdtempSync(path.join(os.tmpdir(), 'xcc-setup-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
const LONG = 15 * 60_000;

const hello = path.join(scratch, 'hello');
cpSync(path.join(projectRoot, 'examples', 'hello'), hello, { recursive: true });

/** The host's C compiler of "before": gcc behind a script that notes each call, to see the fall-through. */
const hostLog = path.join(scratch, 'host-cc.log');
const hostCc = path.join(scratch, 'host cc');
writeFileSync(hostCc, `#!/bin/sh\necho "$*" >> '${hostLog}'\nexec gcc "$@"\n`);
chmodSync(hostCc, 0o755);

let count = 0;
let env: NodeJS.ProcessEnv = {};
let goenv = '';

beforeEach((context) => {
  const zig = needTestZig(context);
  needCommand(context, 'go');
  goenv = path.join(scratch, `go-${count++}.env`);
  env = {
    ...goEnv({ GOCACHE: path.join(testCacheDir(), 'e2e', 'go-cache'), GOENV: goenv }),
    XCC_HOME: path.join(scratch, 'home'),
    XCC_ZIG: zig.install.zig,
    XCC_ZIG_CACHE_DIR: testZigBuildCache(),
  };
  // What go env's file says is the point: nothing in the environment may override it.
  delete env.CGO_ENABLED;
});

function go(args: string[], extra: Record<string, string> = {}, cwd = hello) {
  return spawnSync('go', args, { cwd, env: { ...env, ...extra }, encoding: 'utf8' });
}

/** The ELF machine field: 183 aarch64, 62 x86-64. */
function elfMachine(file: string): number {
  return readFileSync(file).readUInt16LE(18);
}

describe('xcc setup', () => {
  it(
    'makes a plain GOOS=linux GOARCH=arm64 go build cross-compile; host builds run the C compiler of before; --undo restores the file',
    async (context) => {
      needCommand(context, 'gcc');
      const before = `CC='${hostCc}' -O1\nGOPRIVATE=example.com/private\n`;
      writeFileSync(goenv, before);

      const setup = await runXcc(['setup', 'linux/arm64', '--quiet'], { env });
      expect(setup.stderr).toBe('');
      expect(setup.exitCode).toBe(0);
      const cc = go(['env', 'CC']).stdout.trim();
      expect(cc).toMatch(/\/v1\/dispatch\/[0-9a-f]{12}\/cc$/);
      expect(go(['env', 'CGO_ENABLED']).stdout.trim()).toBe('1');

      // GOOS and GOARCH from the command's environment.
      const arm64 = path.join(scratch, 'hello-arm64');
      const built = go(['build', '-o', arm64, '.'], { GOOS: 'linux', GOARCH: 'arm64' });
      expect(built.stderr).toBe('');
      expect(elfMachine(arm64)).toBe(183);
      if (hasCommand('qemu-aarch64-static')) {
        const ran = spawnSync('qemu-aarch64-static', [arm64], { encoding: 'utf8' });
        expect(ran.stdout).toBe('hello from linux/arm64: hypotenuse(3, 4) = 5\n');
      } else needCommand(context, 'qemu-aarch64-static');

      // GOOS and GOARCH from go env -w reach the compiler too: cmd/go exports its settings to its tools.
      expect(go(['env', '-w', 'GOOS=linux', 'GOARCH=arm64']).status).toBe(0);
      const fromFile = path.join(scratch, 'hello-arm64-go-env');
      expect(go(['build', '-o', fromFile, '.']).stderr).toBe('');
      expect(elfMachine(fromFile)).toBe(183);
      expect(go(['env', '-u', 'GOOS', 'GOARCH']).status).toBe(0);

      // The host: through the compiler go env had, with its own argument.
      rmSync(hostLog, { force: true });
      const native = path.join(scratch, 'hello-host');
      expect(go(['build', '-a', '-o', native, '.']).stderr).toBe('');
      expect(readFileSync(hostLog, 'utf8')).toMatch(/^-O1 /m);
      expect(spawnSync(native, { encoding: 'utf8' }).stdout).toMatch(/^hello from linux\/amd64/);

      // A target the dispatcher was not given: one line that says what to do.
      const riscv = go(['build', '-o', path.join(scratch, 'no'), '.'], { GOOS: 'linux', GOARCH: 'riscv64' });
      expect(riscv.status).not.toBe(0);
      expect(riscv.stderr).toContain(
        'xcc: no toolchain for linux/riscv64 GORISCV64=rva20u64 in this cc (it has linux-arm64-musl); run xcc setup again with linux/riscv64 among its targets',
      );

      // Set up again with more targets: what --undo restores is still the file of before.
      const again = await runXcc(['setup', 'linux/arm64', 'windows/amd64', '--quiet'], { env });
      expect(again.exitCode).toBe(0);
      expect(go(['env', 'CC']).stdout.trim()).not.toBe(cc);
      const undo = await runXcc(['setup', '--undo'], { env });
      expect(undo.exitCode).toBe(0);
      expect(undo.stderr).toContain(
        `xcc: restored CC='${hostCc}' -O1, CXX (unset), CGO_ENABLED (unset) in ${goenv}`,
      );
      expect(readFileSync(goenv, 'utf8')).toBe(before);
      const twice = await runXcc(['setup', '--undo'], { env });
      expect(twice.exitCode).toBe(0);
      expect(twice.stderr).toBe(`xcc: nothing to undo: xcc setup has not changed ${goenv}\n`);
    },
    LONG,
  );

  it(
    'limit: a musl program whose only cgo is the standard library links only externally, which go env -w cannot ask for',
    async () => {
      writeFileSync(goenv, '');
      expect((await runXcc(['setup', 'linux/arm64', '--quiet'], { env })).exitCode).toBe(0);
      const net = path.join(scratch, 'net');
      cpSync(path.join(projectRoot, 'examples', 'hello'), net, { recursive: true });
      rmSync(path.join(net, 'main.go'));
      writeFileSync(
        path.join(net, 'main.go'),
        'package main\n\nimport (\n\t"fmt"\n\t"net"\n\t"os/user"\n)\n\nfunc main() {\n\t_, err := user.Current()\n\tfmt.Println(net.ParseIP("::1"), err)\n}\n',
      );
      const arm64 = { GOOS: 'linux', GOARCH: 'arm64' };
      const out = path.join(scratch, 'net-arm64');
      // Go's internal linker cannot resolve musl's symbols (the musl-external-link quirk); xcc env sets
      // GO_EXTLINK_ENABLED=1, which reaches the linker only from the environment: go env -w takes it and
      // cmd/go does not pass it on.
      expect(go(['build', '-o', out, '.'], arm64, net).stderr).toContain('relocation target');
      expect(go(['env', '-w', 'GO_EXTLINK_ENABLED=1']).status).toBe(0);
      expect(go(['build', '-o', out, '.'], arm64, net).stderr).toContain('relocation target');
      expect(go(['env', '-u', 'GO_EXTLINK_ENABLED']).status).toBe(0);
      expect(go(['build', '-o', out, '.'], { ...arm64, GO_EXTLINK_ENABLED: '1' }, net).stderr).toBe('');
      expect(elfMachine(out)).toBe(183);
      rmSync(out);
      expect(go(['build', '-ldflags=-linkmode=external', '-o', out, '.'], arm64, net).stderr).toBe('');
      expect(elfMachine(out)).toBe(183);
      expect((await runXcc(['setup', '--undo', '--quiet'], { env })).exitCode).toBe(0);
      expect(readFileSync(goenv, 'utf8')).toBe('');
    },
    LONG,
  );

  it('--undo leaves a variable the user changed since, and says so; a CC exported in the shell is named', async () => {
    writeFileSync(goenv, '');
    const setup = await runXcc(['setup', 'windows/amd64'], { env: { ...env, CC: 'clang' } });
    expect(setup.exitCode).toBe(0);
    expect(setup.stderr).toContain(
      'xcc: CC=clang is exported in this shell and overrides go env; unset it for the dispatcher to be used',
    );
    expect(go(['env', '-w', 'CXX=clang++']).status).toBe(0);
    const undo = await runXcc(['setup', '--undo'], { env });
    expect(undo.stderr).toContain('restored CC (unset), CGO_ENABLED (unset)');
    expect(undo.stderr).toContain('left CXX as they are: changed since xcc setup wrote them');
    expect(readFileSync(goenv, 'utf8')).toBe('CXX=clang++\n');
  });

  it('refuses, in one line and exit 2, no targets outside a project, two targets Go cannot tell apart, and GOENV=off', async () => {
    const none = await runXcc(['setup'], { env, cwd: scratch });
    expect(none.exitCode).toBe(2);
    expect(none.stderr).toBe(
      'xcc: name the targets, like \'xcc setup linux/arm64 windows/amd64\', or list them in xcc.json ("targets")\n',
    );
    writeFileSync(
      path.join(scratch, 'xcc.json'),
      JSON.stringify({ targets: ['linux/amd64', { target: 'linux/amd64', glibc: '2.28' }] }),
    );
    const twins = await runXcc(['setup'], { env, cwd: scratch });
    rmSync(path.join(scratch, 'xcc.json'));
    expect(twins.exitCode).toBe(2);
    expect(twins.stderr).toMatch(
      /^xcc: linux-amd64-musl and linux-amd64-glibc2.28 are both linux\/amd64 with the same GOAMD64: .*; keep one of them/,
    );
    expect(twins.stderr.split('\n')).toHaveLength(2);
    const off = await runXcc(['setup', 'linux/arm64'], { env: { ...env, GOENV: 'off' } });
    expect(off.exitCode).toBe(2);
    expect(off.stderr).toBe(
      "xcc: go env -w cannot write here (GOENV=off: go has no env file); unset GOENV or set it to a file, or use 'xcc dispatch' and set CC yourself\n",
    );
  });
});
