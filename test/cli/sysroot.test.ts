import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { goEnv, run } from '../support/builds.js';
import { runXcc } from '../support/cli.js';
import { needTestZig } from '../support/provided-zig.js';
import { testCacheDir, testZigBuildCache } from '../support/test-zig.js';
import { mustRun } from '../support/toolchains.js';
import { needCommand, requireOrSkip, type Skippable } from '../support/tools.js';

/**
 * Issue 17's "done when" for target system libraries: a cgo program that uses zlib through `#cgo
 * pkg-config: zlib` cross-builds for linux/arm64 glibc against a sysroot made the way the README says
 * (Debian's own arm64 packages, downloaded with apt-get and unpacked with dpkg-deb -x), and runs under
 * qemu with that sysroot's libc and libz. Real apt, dpkg-deb, pkg-config, go, zig and qemu.
 *
 * The packages are kept in the test cache by name, so a rerun needs no network; they need the arm64
 * architecture in apt (.ci/run: dpkg --add-architecture arm64 && apt-get update).
 */

const PACKAGES = ['libc6:arm64', 'zlib1g:arm64', 'zlib1g-dev:arm64'];
const scratch = mkdtempSync(path.join(os.tmpdir(), 'xcc-sysroot-cli-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
const LONG = 15 * 60_000;

let env: Record<string, string | undefined> = {};
beforeEach((context) => {
  const zig = needTestZig(context);
  for (const tool of ['go', 'qemu-aarch64-static', 'pkg-config', 'apt-get', 'dpkg-deb'])
    needCommand(context, tool);
  env = {
    ...goEnv({ GOCACHE: path.join(testCacheDir(), 'e2e', 'go-cache') }),
    XCC_HOME: path.join(scratch, 'home'),
    XCC_ZIG: zig.install.zig,
    XCC_ZIG_CACHE_DIR: testZigBuildCache(),
  };
});

/** The `.deb` of a package (`zlib1g:arm64`), from the test cache, else downloaded there by apt-get. */
function debOf(context: Skippable, name: string): string {
  const dir = path.join(testCacheDir(), 'debs', name.replace(':', '_'));
  const cached = existsSync(dir) ? readdirSync(dir).filter((file) => file.endsWith('.deb')) : [];
  if (cached.length === 1) return path.join(dir, cached[0]!);
  const download = mkdtempSync(path.join(testCacheDir(), 'debs-download-'));
  const ran = run('apt-get', ['download', name], { cwd: download });
  const debs = readdirSync(download).filter((file) => file.endsWith('.deb'));
  if (ran.status !== 0 || debs.length !== 1) {
    rmSync(download, { recursive: true, force: true });
    return requireOrSkip(
      context,
      `apt-get download ${name} failed (${ran.stderr.trim().split('\n').pop()})`,
      'dpkg --add-architecture arm64 && apt-get update (Debian or Ubuntu)',
    );
  }
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(path.dirname(dir), { recursive: true });
  renameSync(download, dir);
  return path.join(dir, debs[0]!);
}

/** A sysroot as the README makes it: each package unpacked with dpkg-deb -x into one directory. */
function debianSysroot(context: Skippable, dir: string): string {
  mkdirSync(dir, { recursive: true });
  for (const name of PACKAGES) mustRun('dpkg-deb', ['-x', debOf(context, name), dir]);
  return dir;
}

/** A cgo program that compresses and uncompresses through zlib and prints zlib's version. */
function zlibProgram(dir: string, cgoLine: string): string {
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'go.mod'), 'module example.com/zlibdemo\n\ngo 1.22\n');
  writeFileSync(
    path.join(dir, 'main.go'),
    `package main

// ${cgoLine}
// #include <stdlib.h>
// #include <string.h>
// #include <zlib.h>
// static int roundtrip(const char *text) {
//   unsigned char packed[256], unpacked[256];
//   uLongf packedLen = sizeof packed, unpackedLen = sizeof unpacked;
//   if (compress(packed, &packedLen, (const Bytef *)text, strlen(text) + 1) != Z_OK) return -1;
//   if (uncompress(unpacked, &unpackedLen, packed, packedLen) != Z_OK) return -2;
//   return strcmp((const char *)unpacked, text) == 0 ? 0 : -3;
// }
import "C"

import (
	"fmt"
	"os"
	"unsafe"
)

func main() {
	text := C.CString("hello hello hello hello, zlib")
	defer C.free(unsafe.Pointer(text))
	if n := C.roundtrip(text); n != 0 {
		fmt.Println("round trip failed:", n)
		os.Exit(1)
	}
	fmt.Printf("zlib %s round trip ok\\n", C.GoString(C.zlibVersion()))
}
`,
  );
  return dir;
}

/** What the sysroot's zlib.pc says its version is: what the program must print. */
function zlibVersion(sysroot: string): string {
  const pc = readFileSync(path.join(sysroot, 'usr/lib/aarch64-linux-gnu/pkgconfig/zlib.pc'), 'utf8');
  return /^Version: (\S+)$/m.exec(pc)![1]!;
}

describe('target system libraries from a sysroot of Debian packages', () => {
  it(
    '#cgo pkg-config: zlib cross-builds for linux/arm64 glibc and runs under qemu with the sysroot',
    async (context) => {
      const sysroot = debianSysroot(context, path.join(scratch, 'sysroot'));
      // Debian's dev link is absolute: on this host it leads nowhere, the linker must not follow it.
      expect(readlinkSync(path.join(sysroot, 'usr/lib/aarch64-linux-gnu/libz.so'))).toMatch(/^\/lib\//);
      const module = zlibProgram(path.join(scratch, 'pkg-config'), '#cgo pkg-config: zlib');
      const flags = ['linux/arm64', '--glibc=2.28', '--sysroot', sysroot, '--quiet'];
      const program = path.join(scratch, 'zlibdemo');
      const built = await runXcc(['exec', ...flags, '--', 'go', 'build', '-o', program, '.'], {
        env,
        cwd: module,
      });
      expect(built.stderr).toBe('');
      expect(built.exitCode).toBe(0);

      const inspected = await runXcc(['inspect', program, '--json'], { env });
      const facts = JSON.parse(inspected.stdout).files[0].images[0].facts;
      expect(facts).toMatchObject({ arch: 'arm64', linkage: 'dynamic', libc: 'glibc' });
      expect(facts.libraries).toContain('libz.so.1');

      const ran = await runXcc(['run', ...flags, '--', program], { env, cwd: scratch });
      expect(ran.stderr).toBe('');
      expect(ran.stdout).toBe(`zlib ${zlibVersion(sysroot)} round trip ok\n`);
      expect(ran.exitCode).toBe(0);

      // pkg-config in `xcc exec` sees the sysroot alone, whatever the host's PKG_CONFIG_PATH says.
      const cflags = await runXcc(['exec', ...flags, '--', 'pkg-config', '--cflags', '--libs', 'zlib'], {
        env: { ...env, PKG_CONFIG_PATH: '/usr/lib/x86_64-linux-gnu/pkgconfig' },
      });
      expect(cflags.stdout.trim()).toBe('-lz');
    },
    LONG,
  );

  it(
    'links and runs with a sysroot whose path holds a blank and a $ (#cgo LDFLAGS, the wrappers alone)',
    async (context) => {
      const plain = debianSysroot(context, path.join(scratch, 'sysroot-for-copy'));
      const sysroot = path.join(scratch, "a $HOME 'sys root'");
      cpSync(plain, sysroot, { recursive: true, verbatimSymlinks: true });
      const module = zlibProgram(path.join(scratch, 'ldflags'), '#cgo LDFLAGS: -lz');
      const flags = ['linux/arm64', '--glibc=2.28', '--sysroot', sysroot, '--quiet'];
      const program = path.join(scratch, 'zlibdemo-blank');
      const built = await runXcc(['exec', ...flags, '--', 'go', 'build', '-o', program, '.'], {
        env,
        cwd: module,
      });
      expect(built.stderr).toBe('');
      const ran = await runXcc(['run', ...flags, '--', program], { env, cwd: scratch });
      expect(ran.stdout).toBe(`zlib ${zlibVersion(sysroot)} round trip ok\n`);
      expect(ran.exitCode).toBe(0);
    },
    LONG,
  );

  it('without a sysroot, the missing header is explained in one line after the compiler error', async () => {
    const module = zlibProgram(path.join(scratch, 'no-sysroot'), '#cgo LDFLAGS: -lz');
    const built = await runXcc(
      [
        'exec',
        'linux/arm64',
        '--glibc=2.28',
        '--quiet',
        '--',
        'go',
        'build',
        '-o',
        path.join(scratch, 'x'),
        '.',
      ],
      { env, cwd: module },
    );
    expect(built.exitCode).toBe(1);
    expect(built.stderr).toContain("fatal error: 'zlib.h' file not found");
    expect(built.stderr).toContain(
      `xcc: 'zlib.h' belongs to a target system library: give xcc a sysroot with it (--sysroot DIR; see README "Target system libraries")\n`,
    );
  });

  it('refuses a sysroot that is not one, or for a target without one, in one line', async () => {
    const missing = await runXcc(['env', 'linux/arm64', '--sysroot', path.join(scratch, 'nope')], { env });
    expect(missing).toMatchObject({
      exitCode: 2,
      stderr: `xcc: --sysroot ${path.join(scratch, 'nope')}: no such directory; give the root of a tree holding the target's usr/include and usr/lib (README: "Target system libraries")\n`,
    });
    const windows = await runXcc(['env', 'windows/amd64', '--sysroot', scratch], { env });
    expect(windows).toMatchObject({
      exitCode: 2,
      stderr: 'xcc: a sysroot is for linux targets, not windows/amd64; drop --sysroot\n',
    });
    const twice = await runXcc(['env', 'linux/arm64', '--sysroot', scratch, '--sysroot', scratch], { env });
    expect(twice.exitCode).toBe(2);
    expect(twice.stderr).toMatch(/^xcc: --sysroot was given 2 times/);
  });
});
