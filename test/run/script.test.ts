import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveTarget } from '../../src/resolve/index.js';
import { type RunnerPlan, runnerPlan } from '../../src/run/index.js';
import { renderRunnerScript } from '../../src/run/script.js';
import { run } from '../support/builds.js';
import { needCommand } from '../support/tools.js';

/**
 * The runner scripts in a real shell (/bin/sh, dash on Debian): arguments and exit codes pass through,
 * a missing piece is one line naming its package, and hostile paths arrive as they are (nothing of them
 * runs). Running real programs under qemu and Wine is test/cli/run.test.ts.
 */

const scratch = mkdtempSync(path.join(os.tmpdir(), 'xcc-runner-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
/** Quotes, $(...), backticks, spaces and a line break: a path no runner may execute or split. */
const HOSTILE = `it's "a" $(touch pwned) \`touch pwned2\` dir\nline`;
/** A PATH with nothing on it: the runner's lookups of qemu and wine find nothing. */
const emptyPath = path.join(scratch, 'empty-path');
mkdirSync(emptyPath);

function target(text: string, glibc?: string) {
  return resolveTarget({ target: text, ...(glibc ? { glibcVersion: glibc } : {}) }, { zigVersion: '0.15.2' });
}

let count = 0;
/** Writes the runner for `target` (plan: this host's, unless given) and runs it with `args` in a fresh directory. */
function runner(
  name: string,
  options: { plan?: RunnerPlan; cc?: string; wineRoot?: string } = {},
  glibc?: string,
) {
  const resolved = target(name, glibc);
  const dir = path.join(scratch, `case-${count++}`);
  mkdirSync(dir);
  const file = path.join(dir, 'go_exec');
  writeFileSync(
    file,
    renderRunnerScript({
      target: resolved,
      plan: options.plan ?? runnerPlan(resolved, { platform: 'linux', arch: 'x64' }),
      cc: options.cc ?? path.join(dir, 'cc'),
      wineRoot: options.wineRoot ?? path.join(dir, 'wine'),
    }),
  );
  chmodSync(file, 0o755);
  return {
    dir,
    run: (args: string[], env: NodeJS.ProcessEnv = {}) =>
      run('/bin/sh', [file, ...args], { cwd: dir, env: { ...process.env, ...env } }),
  };
}

describe('runner scripts', () => {
  it('run the host target natively, passing arguments and the exit code through', () => {
    const native = runner('linux/amd64');
    const ran = native.run(['/bin/sh', '-c', 'printf "%s|" "$@"; exit 7', 'sh', 'a b', "c'd", '$(x)', '']);
    expect(ran.stdout).toBe("a b|c'd|$(x)||");
    expect(ran.status).toBe(7);
    expect(native.run([], { XCC_RUNNER_EXPLAIN: '1' })).toMatchObject({ status: 0, stdout: 'native\n' });
  });

  it('say how to call them when given no program (exit 2)', () => {
    const ran = runner('linux/arm64').run([]);
    expect(ran.status).toBe(2);
    expect(ran.stderr).toBe('usage: go_linux_arm64_exec PROGRAM [ARGS...]\n');
  });

  it('name the package of a missing qemu, glibc or Wine in one line, exit 1', () => {
    const noQemu = runner('linux/riscv64').run(['./prog'], { PATH: emptyPath });
    expect(noQemu).toMatchObject({
      status: 1,
      stdout: '',
      stderr:
        'xcc: cannot run linux/riscv64 programs here: qemu-riscv64-static is not installed (Debian/Ubuntu: apt-get install qemu-user-static)\n',
    });
    const noWine = runner('windows/amd64').run(['./prog.exe'], { PATH: emptyPath });
    expect(noWine).toMatchObject({
      status: 1,
      stderr:
        'xcc: cannot run windows/amd64 programs here: wine is not installed (Debian/Ubuntu: apt-get install wine wine64)\n',
    });
    const none = runner('darwin/arm64').run(['./prog']);
    expect(none).toMatchObject({
      status: 1,
      stderr:
        'xcc: cannot run darwin/arm64 programs here: no runner for darwin/arm64 programs on linux/amd64 (QEMU user mode runs Linux programs only)\n',
    });
  });

  it('name the glibc cross package when no sysroot is found', (context) => {
    needCommand(context, 'qemu-aarch64-static');
    const plan: RunnerPlan = {
      kind: 'qemu',
      arch: 'aarch64',
      sysroot: { dirs: [path.join(scratch, 'no-such-sysroot')], install: 'libc6-arm64-cross' },
      raceUnsupported: true,
    };
    expect(runner('linux/arm64', { plan }, '2.28').run(['./prog'])).toMatchObject({
      status: 1,
      stderr: `xcc: cannot run linux/arm64 programs here: no arm64 glibc for qemu's -L; install libc6-arm64-cross (Debian/Ubuntu), or give its directory with --qemu-sysroot DIR (QEMU_LD_PREFIX)\n`,
    });
  });

  it('say that 32-bit Wine is missing where Debian has only wine64 (untested with wine32 installed)', (context) => {
    needCommand(context, 'wine');
    if (!existsSync('/usr/lib/wine/wine64') || existsSync('/usr/lib/wine/wine'))
      context.skip('not a Debian Wine without wine32');
    expect(runner('windows/386').run(['./prog.exe'])).toMatchObject({
      status: 1,
      stderr:
        'xcc: cannot run windows/386 programs here: 32-bit Wine is not installed (Debian/Ubuntu: dpkg --add-architecture i386 && apt-get install wine32:i386)\n',
    });
  });

  it('try a failing wineboot twice, then fail in one line, leaving no prefix that counts as ready', () => {
    // A Wine whose wineboot stops after making the directories (as a real one did once, "could not load
    // kernel32.dll"): a fault a real Wine does not make on demand. Each boot is counted.
    const fake = path.join(scratch, 'half-wine');
    mkdirSync(fake);
    writeFileSync(
      path.join(fake, 'wine'),
      `#!/bin/sh\n[ "$1" != --version ] || { echo wine-fake; exit 0; }\necho boot >>"$WINEPREFIX/../boots"\nmkdir -p "$WINEPREFIX/drive_c/windows/system32"\n`,
    );
    writeFileSync(path.join(fake, 'wineserver'), '#!/bin/sh\nexit 0\n');
    chmodSync(path.join(fake, 'wine'), 0o755);
    chmodSync(path.join(fake, 'wineserver'), 0o755);
    const windows = runner('windows/amd64');
    const prefix = path.join(windows.dir, 'wine', 'prefix');
    const ran = windows.run(['./prog.exe'], { PATH: `${fake}:/usr/bin:/bin` });
    expect(ran.status).toBe(1);
    expect(ran.stdout).toBe('');
    expect(ran.stderr).toBe(
      `xcc: making a Wine prefix in ${prefix} (once)\nxcc: wineboot --init did not make a Wine prefix in ${prefix} (no kernel32.dll); run it yourself to see why: WINEPREFIX=${prefix} wineboot --init\n`,
    );
    expect(readFileSync(path.join(windows.dir, 'wine', 'boots'), 'utf8')).toBe('boot\nboot\n');
    expect(existsSync(path.join(prefix, '.xcc-booted'))).toBe(false);
    expect(readdirSync(path.join(windows.dir, 'wine')).sort()).toEqual(['boots', 'prefix']);
  });

  it('stop a race-detector program for linux/arm64 with one line before qemu starts it', (context) => {
    needCommand(context, 'qemu-aarch64-static');
    const arm64 = runner('linux/arm64');
    // Go's build settings as every binary carries them (go version -m); the real binary is run.test.ts's.
    writeFileSync(path.join(arm64.dir, 'race.test'), 'ELF...\0build\t-buildmode=exe\nbuild\t-race=true\n\0');
    const ran = arm64.run(['./race.test', '-test.v']);
    expect(ran.status).toBe(1);
    expect(ran.stderr).toBe(
      "xcc: ./race.test: the race detector's linux/arm64 programs cannot run under qemu-user (ThreadSanitizer: unsupported VMA range); run -race tests on arm64 hardware, or without -race under qemu\n",
    );
  });

  it('take hostile paths as they are: the sysroot, the Wine prefix and the CC wrapper', (context) => {
    needCommand(context, 'qemu-aarch64-static');
    const sysroot = path.join(scratch, HOSTILE);
    mkdirSync(path.join(sysroot, 'lib'), { recursive: true });
    const glibc = runner('linux/arm64', {}, '2.28');
    expect(glibc.run([], { XCC_RUNNER_EXPLAIN: '1', QEMU_LD_PREFIX: sysroot })).toMatchObject({
      status: 0,
      stdout: `qemu-aarch64-static -L ${sysroot}\n`,
    });
    const plan: RunnerPlan = {
      kind: 'qemu',
      arch: 'aarch64',
      cpu: 'max',
      sysroot: { dirs: [path.join(scratch, 'none'), sysroot], install: 'libc6-arm64-cross' },
      raceUnsupported: true,
    };
    const found = runner('linux/arm64', { plan }, '2.28').run([], { XCC_RUNNER_EXPLAIN: '1' });
    expect(found).toMatchObject({ status: 0, stdout: `qemu-aarch64-static -cpu max -L ${sysroot}\n` });
    // The toolchain's sysroot (--sysroot) is used as it is, and --qemu-sysroot (QEMU_LD_PREFIX) still wins.
    const given: RunnerPlan = { ...plan, sysroot: { dirs: [], install: 'x', given: sysroot } };
    const withSysroot = runner('linux/arm64', { plan: given }, '2.28');
    expect(withSysroot.run([], { XCC_RUNNER_EXPLAIN: '1' })).toMatchObject({
      status: 0,
      stdout: `qemu-aarch64-static -cpu max -L ${sysroot}\n`,
    });
    expect(withSysroot.run([], { XCC_RUNNER_EXPLAIN: '1', QEMU_LD_PREFIX: '/other' })).toMatchObject({
      stdout: 'qemu-aarch64-static -cpu max -L /other\n',
    });
    expect(existsSync(path.join(withSysroot.dir, 'pwned'))).toBe(false);

    needCommand(context, 'wine');
    const wineRoot = path.join(scratch, `${HOSTILE}-wine`);
    const windows = runner('windows/amd64', { wineRoot, cc: path.join(scratch, `${HOSTILE}-cc`) });
    const explained = windows.run([], { XCC_RUNNER_EXPLAIN: '1' });
    expect(explained).toMatchObject({
      status: 0,
      stdout: `wine, prefix ${path.join(wineRoot, 'prefix')} (made on the first run)\n`,
    });
    // Preparing the prefix runs the CC wrapper by its path: here it does not exist, so preparing fails
    // after wineboot (skipped: the prefix is made by hand, marked as booted by this Wine, which is
    // `wine --version` and whether the 32-bit loader is there) and says so, having run nothing else.
    const prefix = path.join(wineRoot, 'prefix');
    mkdirSync(path.join(prefix, 'drive_c', 'windows', 'system32'), { recursive: true });
    writeFileSync(path.join(prefix, 'drive_c', 'windows', 'system32', 'kernel32.dll'), '');
    const wineVersion = run('wine', ['--version']).stdout.trim();
    const loader = existsSync('/usr/lib/wine/wine') ? ', 32-bit loader' : '';
    writeFileSync(path.join(prefix, '.xcc-booted'), `${wineVersion}${loader}\n`);
    const prepared = windows.run(['./prog.exe']);
    expect(prepared.status).toBe(1);
    expect(prepared.stderr).toMatch(
      /xcc: could not build the ProcessPrng stand-in for Wine \(above\); check the Zig toolchain with xcc doctor\n$/,
    );
    expect(prepared.stderr).toContain(`${HOSTILE}-cc`);
    // The lock is gone, nothing half-made counts as ready, and nothing of the paths ran.
    expect(readdirSync(wineRoot)).toEqual(['prefix']);
    expect(readdirSync(prefix).filter((entry) => entry.startsWith('.xcc-prng'))).toEqual([]);
    for (const dir of [scratch, windows.dir, glibc.dir]) {
      expect(existsSync(path.join(dir, 'pwned'))).toBe(false);
      expect(existsSync(path.join(dir, 'pwned2'))).toBe(false);
    }
  });
});
