import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { goBuild, goModule, HELLO_GO } from '../support/builds.js';
import { cliBin } from '../support/paths.js';

/** `xcc inspect` as a user and a CI job run it: exit codes, stdout, stderr, the JSON shape. */

const work = mkdtempSync(path.join(os.tmpdir(), 'xcc-inspect-cli-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const bin = (name: string) => path.join(work, 'bin', name);

function xcc(...args: string[]) {
  const result = spawnSync(process.execPath, [cliBin, ...args], { encoding: 'utf8', cwd: work });
  return { exitCode: result.status, stdout: result.stdout, stderr: result.stderr };
}

beforeAll(() => {
  mkdirSync(path.join(work, 'bin'));
  const hello = goModule(work, 'hello', { 'main.go': HELLO_GO });
  goBuild(hello, bin('hello-linux-arm64'), { GOOS: 'linux', GOARCH: 'arm64' }, [
    '-trimpath',
    '-ldflags=-s -w',
  ]);
  for (const arch of ['amd64', 'arm64']) {
    goBuild(hello, bin(`hello-darwin-${arch}`), { GOOS: 'darwin', GOARCH: arch }, ['-trimpath']);
  }
  writeFileSync(bin('notes.txt'), 'not a program\n');
}, 1_800_000);

describe('xcc inspect', () => {
  it('prints the facts and verdicts of a binary and exits 0', () => {
    const result = xcc('inspect', '--host', 'linux/amd64', 'bin/hello-linux-arm64');
    expect(result.stderr).toBe('');
    expect(result.exitCode).toBe(0);
    const lines = result.stdout.split('\n');
    expect(lines[0]).toMatch(
      /^bin\/hello-linux-arm64: ELF 64-bit LSB executable, linux\/arm64 \(ARM aarch64\), static, Go go1\.\d+/,
    );
    expect(lines).toContain(
      '  NO  cannot run on this host (linux/amd64): it is a linux/arm64 binary; run it under qemu-aarch64 or on the target',
    );
    expect(lines).toContain(
      '  ok  runs on scratch/distroless-static: yes, because it is statically linked (no loader, no shared libraries)',
    );
    expect(lines).toContain('  ok  reproducible build flags: yes (-trimpath)');
    expect(
      lines.some((line) =>
        /^ {2}settings {4}-buildmode=exe -compiler=gc -trimpath=true CGO_ENABLED=0 GOARCH=arm64 GOOS=linux/.test(
          line,
        ),
      ),
    ).toBe(true);
  });

  it('--expect: a passing gate exits 0 and lists each expectation', () => {
    const result = xcc('inspect', '--expect', 'linux/arm64,static,!cgo,stripped', 'bin/hello-linux-arm64');
    expect(result.exitCode).toBe(0);
    expect(result.stderr).toBe('');
    expect(result.stdout).toContain(
      '  expect linux/arm64: ok (linux/arm64/v8.0)\n  expect static: ok (static)\n  expect !cgo: ok (CGO_ENABLED=0)\n',
    );
  });

  it('--expect: a failing gate exits 1 and says which expectation failed, on stderr too', () => {
    const result = xcc('inspect', '--expect', 'linux/amd64', '--expect', 'cgo', 'bin/hello-linux-arm64');
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toContain(
      '  expect linux/amd64: FAILED (linux/arm64/v8.0)\n  expect cgo: FAILED (CGO_ENABLED=0)\n',
    );
    expect(result.stderr).toBe(
      'xcc: bin/hello-linux-arm64: expected linux/amd64, but it is linux/arm64/v8.0\n' +
        'xcc: bin/hello-linux-arm64: expected cgo, but it is CGO_ENABLED=0\n',
    );
  });

  it('--json: the documented shape', () => {
    const result = xcc(
      'inspect',
      '--json',
      '--host',
      'linux/arm64',
      '--expect',
      'static',
      'bin/hello-linux-arm64',
      'missing',
    );
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toBe('xcc: cannot read missing: no such file\n');
    const report = JSON.parse(result.stdout);
    expect(Object.keys(report)).toEqual(['version', 'host', 'ok', 'files']);
    expect(report).toMatchObject({
      version: 1,
      host: { os: 'linux', arch: 'arm64', glibc: null, amd64Level: null },
      ok: false,
    });
    const [hello, missing] = report.files;
    expect(Object.keys(hello)).toEqual(['file', 'error', 'images', 'expectations']);
    expect(hello.error).toBeNull();
    expect(hello.expectations).toEqual([{ expectation: 'static', ok: true, actual: 'static' }]);
    const [image] = hello.images;
    expect(Object.keys(image)).toEqual(['facts', 'verdicts']);
    expect(Object.keys(image.facts)).toEqual([
      'format',
      'kind',
      'os',
      'arch',
      'machine',
      'bits',
      'endian',
      'linkage',
      'interpreter',
      'libraries',
      'libc',
      'glibc',
      'arm',
      'cpuVariant',
      'minOsVersion',
      'stripped',
      'debugInfo',
      'compilers',
      'go',
      'macho',
    ]);
    expect(Object.keys(image.facts.go)).toEqual(['version', 'path', 'main', 'deps', 'settings', 'buildId']);
    expect(image.facts).toMatchObject({
      format: 'elf',
      os: 'linux',
      arch: 'arm64',
      linkage: 'static',
      stripped: true,
    });
    expect(image.verdicts[0]).toEqual({
      topic: 'host',
      ok: true,
      text: 'runs on this host (linux/arm64): yes',
    });
    expect(missing).toEqual({
      file: 'missing',
      error: 'cannot read missing: no such file',
      images: [],
      expectations: [],
    });
  });

  it('a universal file from xcc lipo: per slice the dylibs, LC_MAIN, signature and imports; the list in --json', () => {
    const lipo = xcc('lipo', '-o', 'bin/hello-darwin', 'bin/hello-darwin-arm64', 'bin/hello-darwin-amd64');
    expect(lipo).toEqual({ exitCode: 0, stdout: '', stderr: '' });
    const result = xcc('inspect', '--expect', 'darwin/arm64,macos<=12.0', 'bin/hello-darwin');
    expect(result.stderr).toBe('');
    expect(result.exitCode).toBe(0);
    const blocks = result.stdout.split(/^(?=bin\/hello-darwin \(image)/m);
    expect(blocks).toHaveLength(2);
    const [amd64, arm64] = blocks;
    expect(amd64).toMatch(
      /^bin\/hello-darwin \(image 1 of 2\): Mach-O 64-bit LSB executable, darwin\/amd64 \(x86_64\)/,
    );
    expect(amd64).toMatch(/\n {2}libraries {3}\/usr\/lib\/libSystem\.B\.dylib(, \/\S+)*\n/);
    expect(amd64).toContain('\n  entry       no LC_MAIN\n  signature   none\n');
    expect(amd64).toMatch(/\n {2}imports {5}\d+ symbols from 1 library \(the list is in --json\)\n/);
    expect(arm64).toMatch(
      /^bin\/hello-darwin \(image 2 of 2\): Mach-O 64-bit LSB executable, darwin\/arm64 \(arm64\)/,
    );
    expect(arm64).toContain(
      '\n  min os      12.0\n  entry       LC_MAIN\n  signature   ad hoc, page hashes valid\n',
    );
    expect(arm64).toContain('  ok  code signature: valid, signed ad hoc');
    expect(arm64).toContain('  expect darwin/arm64: ok (darwin/amd64/v1 + darwin/arm64/v8.0)\n');
    expect(arm64).toContain('  expect macos<=12.0: ok (needs macOS 12.0)\n');

    const report = JSON.parse(xcc('inspect', '--json', 'bin/hello-darwin').stdout);
    const macho = report.files[0].images[1].facts.macho;
    expect(Object.keys(macho)).toEqual(['hasMain', 'codeSignature', 'imports']);
    expect(macho.codeSignature).toEqual({ adhoc: true, valid: true });
    expect(macho.imports).toContainEqual({
      symbol: '_write',
      library: '/usr/lib/libSystem.B.dylib',
      weak: false,
    });
    expect(report.files[0].images[0].facts.macho.hasMain).toBe(false);
  });

  it('a file that is not a binary: one line on stderr, exit 1, the other files still reported', () => {
    const result = xcc('inspect', 'bin/notes.txt', 'bin/hello-linux-arm64');
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toBe('xcc: bin/notes.txt: not an executable: no ELF, PE or Mach-O header\n');
    expect(result.stdout).toMatch(/^bin\/hello-linux-arm64: ELF/);
  });

  it.each([
    [
      ['inspect'],
      "xcc: missing required args for command 'inspect <...files>'; run 'xcc --help' for usage\n",
    ],
    [
      ['inspect', '--expect', 'linux/arm64,statik', 'bin/hello-linux-arm64'],
      "xcc: unknown expectation 'statik' in --expect; use GOOS/GOARCH[/variant], static, static-pie, dynamic, glibc, musl, glibc<=X.Y, go, go>=X.Y, cgo, stripped, trimpath, reproducible, buildid, hardfloat, softfloat, macos<=X.Y or signed, each optionally negated with '!'\n",
    ],
    [
      ['inspect', '--host', 'linux', 'bin/hello-linux-arm64'],
      "xcc: --host 'linux' is not GOOS/GOARCH; write it like linux/arm64\n",
    ],
  ])('usage errors exit 2: %j', (args, stderr) => {
    expect(xcc(...args)).toEqual({ exitCode: 2, stdout: '', stderr });
  });

  it('--help shows the options and examples', () => {
    const result = xcc('inspect', '--help');
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain('--expect <facts>');
    expect(result.stdout).toContain("xcc inspect --expect 'linux/arm64,static,glibc<=2.28' dist/*");
    expect(result.stdout).toContain('--json');
  });
});
