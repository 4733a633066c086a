import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { findExecutable } from '../../src/which.js';
import { goEnv } from '../support/builds.js';
import { runXcc } from '../support/cli.js';
import { needTestZig } from '../support/provided-zig.js';
import { testCacheDir, testZigBuildCache } from '../support/test-zig.js';
import { needCommand, requireOrSkip } from '../support/tools.js';

/**
 * Issue 16's "done when": from a fresh shell (no -exec flag, nothing on PATH), `xcc exec TARGET -- go
 * test ./...` runs a package's cgo tests on the target through the runner xcc puts beside the wrappers,
 * `go run` does too, and `xcc run` runs a built binary with its exit code. Real qemu-user and Wine.
 *
 * The xcc home is kept in the test cache: the Wine prefix xcc makes there on the first run takes seconds
 * and hundreds of MB. GOCACHE is the e2e suite's, where the standard library of these targets is built.
 */
const home = path.join(testCacheDir(), 'run', 'home');
const scratch = mkdtempSync(path.join(os.tmpdir(), 'xcc-run-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
const LONG = 15 * 60_000;

/** A module with cgo in the package and its test, and a command that exits with a code C computed. */
const probe = path.join(scratch, 'probe');
mkdirSync(path.join(probe, 'cmd', 'hello'), { recursive: true });
writeFileSync(path.join(probe, 'go.mod'), 'module probe\n\ngo 1.22\n');
writeFileSync(
  path.join(probe, 'twice.go'),
  `package probe

// #include <stdlib.h>
// static int twice(int x) { return 2 * x; }
import "C"

func Twice(x int) int { return int(C.twice(C.int(x))) }

func Abs(x int) int { return int(C.abs(C.int(x))) }
`,
);
// Go allows no cgo in _test.go files: the test calls into C through the package.
writeFileSync(
  path.join(probe, 'twice_test.go'),
  `package probe

import "testing"

func TestTwice(t *testing.T) {
	if got := Twice(21); got != 42 {
		t.Fatalf("Twice(21) = %d", got)
	}
	if got := Abs(-5); got != 5 {
		t.Fatalf("Abs(-5) = %d", got)
	}
}
`,
);
writeFileSync(
  path.join(probe, 'cmd', 'hello', 'main.go'),
  `package main

// #include <stdlib.h>
import "C"

import (
	"fmt"
	"os"
	"strings"
)

func main() {
	fmt.Println("args:", strings.Join(os.Args[1:], "|"))
	os.Exit(int(C.abs(-3)))
}
`,
);

let env: Record<string, string | undefined> = {};

beforeEach((context) => {
  const zig = needTestZig(context);
  needCommand(context, 'go');
  env = {
    ...goEnv({ GOCACHE: path.join(testCacheDir(), 'e2e', 'go-cache'), GOFLAGS: '-count=1' }),
    XCC_HOME: home,
    XCC_ZIG: zig.install.zig,
    XCC_ZIG_CACHE_DIR: testZigBuildCache(),
  };
});

/** The targets of the issue's "done when", with what runs them here. */
const TARGETS: Array<{ target: string; flags: string[]; needs: string; wine32?: boolean }> = [
  { target: 'linux/arm64', flags: [], needs: 'qemu-aarch64-static' },
  { target: 'linux/arm64', flags: ['--glibc=2.28'], needs: 'qemu-aarch64-static' },
  { target: 'linux/riscv64', flags: [], needs: 'qemu-riscv64-static' },
  { target: 'windows/amd64', flags: [], needs: 'wine' },
  // 32-bit Wine runs it in the same prefix (WoW64), with a 32-bit stand-in in syswow64.
  { target: 'windows/386', flags: [], needs: 'wine', wine32: true },
];

describe.each(TARGETS)('$target $flags', ({ target, flags, needs, wine32 }) => {
  it(
    'xcc exec -- go test ./... runs the cgo tests on the target; xcc run runs a built binary',
    async (context) => {
      needCommand(context, needs);
      if (wine32 && existsSync('/usr/lib/wine/wine64') && !existsSync('/usr/lib/wine/wine'))
        requireOrSkip(
          context,
          '32-bit Wine is not installed',
          'dpkg --add-architecture i386 && apt-get install wine32:i386',
        );
      const tested = await runXcc(['exec', target, ...flags, '--quiet', '--', 'go', 'test', '-v', './...'], {
        env,
        cwd: probe,
      });
      // The first Wine run makes the prefix: nothing about the marker file it has not written yet.
      expect(tested.stderr).not.toMatch(/exec format error|bcryptprimitives|cannot open/);
      expect(tested.stdout).toMatch(/^--- PASS: TestTwice/m);
      expect(tested.stdout).toMatch(/^ok\s+probe\s/m);
      expect(tested.exitCode).toBe(0);

      const program = path.join(scratch, `hello-${target.replace('/', '-')}${flags.join('')}.exe`);
      const built = await runXcc(
        ['exec', target, ...flags, '--quiet', '--', 'go', 'build', '-o', program, './cmd/hello'],
        {
          env,
          cwd: probe,
        },
      );
      expect(built.stderr).toBe('');
      const ran = await runXcc(['run', target, ...flags, '--quiet', '--', program, 'a b', "c'd"], {
        env,
        cwd: scratch,
      });
      expect(ran.stdout.replaceAll('\r\n', '\n')).toBe("args: a b|c'd\n");
      expect(ran.exitCode).toBe(3);
    },
    LONG,
  );
});

describe('the runner', () => {
  it(
    'makes go run work without -exec',
    async (context) => {
      needCommand(context, 'qemu-aarch64-static');
      const ran = await runXcc(['exec', 'linux/arm64', '--quiet', '--', 'go', 'run', './cmd/hello', 'x'], {
        env,
        cwd: probe,
      });
      expect(ran.stdout).toBe('args: x\n');
      // go run reports a failing program's status itself, and exits 1.
      expect(ran.stderr).toBe('exit status 3\n');
      expect(ran.exitCode).toBe(1);
    },
    LONG,
  );

  it(
    'says in one line that arm64 race-detector programs cannot run under qemu-user',
    async (context) => {
      needCommand(context, 'qemu-aarch64-static');
      const ran = await runXcc(
        ['exec', 'linux/arm64', '--glibc=2.28', '--quiet', '--', 'go', 'test', '-race', '.'],
        { env, cwd: probe },
      );
      const said = `${ran.stdout}${ran.stderr}`;
      expect(said).toMatch(
        /^xcc: \S+probe\.test: the race detector's linux\/arm64 programs cannot run under qemu-user \(ThreadSanitizer: unsupported VMA range\); run -race tests on arm64 hardware, or without -race under qemu$/m,
      );
      expect(said).not.toContain('FATAL: ThreadSanitizer');
      expect(ran.exitCode).toBe(1);
    },
    LONG,
  );

  it('--qemu-sysroot must be a directory (exit 2); xcc run needs a program that exists', async () => {
    const sysroot = await runXcc(
      ['exec', 'linux/arm64', '--glibc=2.28', '--qemu-sysroot', path.join(scratch, 'nope'), '--', 'true'],
      { env },
    );
    expect(sysroot.stderr).toBe(
      `xcc: --qemu-sysroot ${path.join(scratch, 'nope')} is not a directory; give the root of the target's glibc, like /usr/aarch64-linux-gnu\n`,
    );
    expect(sysroot.exitCode).toBe(2);
    const missing = await runXcc(['run', 'linux/arm64', '--', './no-such-program'], { env, cwd: scratch });
    expect(missing.stderr).toBe(
      'xcc: cannot run ./no-such-program: no such file; give the path of a built program\n',
    );
    expect(missing.exitCode).toBe(2);
  });

  it(
    'xcc doctor says how each target runs here, or what to install',
    async (context) => {
      needCommand(context, 'qemu-aarch64-static');
      const doctor = await runXcc(['doctor', 'linux/arm64', '--glibc=2.28', '--json'], { env, cwd: scratch });
      const checks = JSON.parse(doctor.stdout).checks as Array<{
        id: string;
        status: string;
        detail: string;
      }>;
      expect(checks.find((check) => check.id === 'run:linux/arm64')).toEqual({
        id: 'run:linux/arm64',
        title: 'run linux/arm64',
        status: 'pass',
        detail: 'go test and xcc run use: qemu-aarch64-static -L /usr/aarch64-linux-gnu',
      });
      // With only Go on PATH (no qemu: the test skips where Go shares its directory), the check names the package.
      if (findExecutable('qemu-riscv64-static', { PATH: path.dirname(findExecutable('go') ?? 'go') }))
        context.skip('Go and qemu share a directory here');
      const bare = await runXcc(['doctor', 'linux/riscv64', '--json'], {
        env: { ...env, PATH: path.dirname(findExecutable('go') ?? 'go') },
        cwd: scratch,
      });
      const run = (JSON.parse(bare.stdout).checks as Array<Record<string, string>>).find(
        (check) => check.id === 'run:linux/riscv64',
      );
      expect(run).toEqual({
        id: 'run:linux/riscv64',
        title: 'run linux/riscv64',
        status: 'warn',
        detail: 'cannot run linux/riscv64 programs here: qemu-riscv64-static is not installed',
        fix: 'Debian/Ubuntu: apt-get install qemu-user-static',
      });
    },
    LONG,
  );
});
