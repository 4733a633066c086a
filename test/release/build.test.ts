import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseManifest } from '../../src/release/manifest.js';
import { goModule } from '../support/builds.js';
import { runXcc } from '../support/cli.js';
import { needTestZig } from '../support/provided-zig.js';
import { type TestZig, testZigBuildCache } from '../support/test-zig.js';
import { needCommand } from '../support/tools.js';

/**
 * `xcc build` for real: a cgo module built for five targets proven in docs/support.md, and a sixth whose C
 * code has an `#error` for its architecture, through the built CLI with the test Zig. Zig's cache is the
 * shared test cache (a cold libc build of a target takes minutes); Go's is the one the shell gives.
 */
const MAIN = `package main

/*
#if defined(__s390x__)
#error "this C code does not build for s390x"
#endif
#include <stdlib.h>
static int answer(void) { char *p = malloc(8); free(p); return 42; }
*/
import "C"

import "fmt"

var version = "dev"

func main() { fmt.Println("answer", int(C.answer()), version) }
`;

const TARGETS = [
  'linux/amd64',
  'linux/arm64',
  'linux/arm/v7',
  'windows/amd64',
  'linux/riscv64',
  'linux/s390x',
];
const BUILT = [
  'linux-amd64-musl',
  'linux-arm-v7-musl',
  'linux-arm64-musl',
  'linux-riscv64-musl',
  'windows-amd64-mingw',
];
const FILES = [
  'relapp-linux-amd64',
  'relapp-linux-arm-v7',
  'relapp-linux-arm64',
  'relapp-linux-riscv64',
  'relapp-windows-amd64.exe',
];

let root: string;
let module: string;
beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'xcc-release-'));
  module = goModule(root, 'relapp', { 'main.go': MAIN });
  writeFileSync(path.join(module, 'xcc.json'), JSON.stringify({ targets: TARGETS }));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

function xccEnv(test: TestZig): Record<string, string> {
  return {
    XCC_HOME: path.join(root, 'home'),
    XCC_ZIG: test.install.zig,
    XCC_ZIG_CACHE_DIR: testZigBuildCache(),
    GOFLAGS: '',
    CI: 'true',
  };
}

function sha256sumCheck(dir: string): string[] {
  const check = spawnSync('sha256sum', ['-c', 'checksums.txt'], { cwd: dir, encoding: 'utf8' });
  expect(check.status, `${check.stdout}${check.stderr}`).toBe(0);
  return check.stdout.trim().split('\n');
}

describe('xcc build', { timeout: 1_800_000 }, () => {
  it("builds xcc.json's targets at once into dist/; one target failing stops no other", async (context) => {
    const test = needTestZig(context);
    needCommand(context, 'go');
    needCommand(context, 'sha256sum');
    needCommand(context, 'readelf');
    needCommand(context, 'llvm-readobj');
    const result = await runXcc(['build', '--', '-tags', 'release', '-ldflags=-X main.version=1.2.3'], {
      cwd: module,
      env: xccEnv(test),
    });
    expect(result.exitCode, result.stderr).toBe(1);
    // One line per target in CI, then the failure's output and the summary naming it.
    for (const id of BUILT) expect(result.stderr).toMatch(new RegExp(`^xcc: built ${id}: relapp-`, 'm'));
    expect(result.stderr).toMatch(
      /^xcc: FAILED linux-s390x-musl \(go build\) after .*this C code does not build for s390x/m,
    );
    expect(result.stderr).toMatch(
      /^xcc: built 5 of 6 targets into dist\/, with checksums.txt and manifest.json$/m,
    );
    expect(result.stderr).toMatch(/^xcc: failed: linux-s390x-musl$/m);
    const dist = path.join(module, 'dist');
    expect(result.stdout.trim().split('\n')).toEqual(FILES.map((file) => path.join(dist, file)));
    expect(readdirSync(dist).sort()).toEqual([...FILES, 'checksums.txt', 'manifest.json'].sort());
    expect(sha256sumCheck(dist)).toEqual(FILES.map((file) => `${file}: OK`));

    const manifest = parseManifest(readFileSync(path.join(dist, 'manifest.json'), 'utf8'), 'manifest.json');
    expect(manifest.artifacts.map((artifact) => artifact.target).sort()).toEqual(BUILT);
    for (const artifact of manifest.artifacts) {
      expect(artifact.go).toMatch(/^go1\./);
      expect(artifact.zig).toBe(test.version);
      expect(artifact.linkage, artifact.target).toBe('static');
      expect(artifact.glibc).toBeNull();
    }
    // The release flags and the user's -X, merged: the native artifact runs and says its version.
    const ran = spawnSync(path.join(dist, 'relapp-linux-amd64'), { encoding: 'utf8' });
    expect(ran.stdout).toBe('answer 42 1.2.3\n');
    const inspected = await runXcc([
      'inspect',
      '--expect',
      'trimpath,!buildid',
      ...FILES.map((f) => path.join(dist, f)),
    ]);
    expect(inspected.exitCode, inspected.stderr).toBe(0);
    // -s -w reaches the C link too: no DWARF or symbol table from the C code and libc in an ELF program,
    // no CodeView entry (a PDB left in Go's temporary directory) in a Windows one.
    for (const file of FILES.filter((name) => !name.endsWith('.exe'))) {
      const sections = spawnSync('readelf', ['-S', '-W', path.join(dist, file)], { encoding: 'utf8' });
      expect(sections.status, sections.stderr).toBe(0);
      expect(sections.stdout, file).toContain('.text');
      expect(sections.stdout, file).not.toMatch(/\.debug_|\.symtab/);
    }
    const debug = spawnSync(
      'llvm-readobj',
      ['--coff-debug-directory', path.join(dist, 'relapp-windows-amd64.exe')],
      { encoding: 'utf8' },
    );
    expect(debug.status, debug.stderr).toBe(0);
    expect(debug.stdout).toContain('DebugDirectory [');
    expect(debug.stdout).not.toContain('CodeView');
  });

  it("keeps the C link's -g when CGO_LDFLAGS comes from the user's go env file", async (context) => {
    const test = needTestZig(context);
    needCommand(context, 'go');
    needCommand(context, 'readelf');
    // `go env -w CGO_LDFLAGS=...` writes this file; the variable itself is unset.
    const goEnv = path.join(root, 'go.env');
    writeFileSync(goEnv, 'CGO_LDFLAGS=-g -O2\n');
    const out = path.join(root, 'dist-go-env');
    const result = await runXcc(['build', 'linux/amd64', '--out', out], {
      cwd: module,
      env: { ...xccEnv(test), GOENV: goEnv, CGO_LDFLAGS: undefined },
    });
    expect(result.exitCode, result.stderr).toBe(0);
    const sections = spawnSync('readelf', ['-S', '-W', path.join(out, 'relapp-linux-amd64')], {
      encoding: 'utf8',
    });
    expect(sections.status, sections.stderr).toBe(0);
    expect(sections.stdout).toContain('.debug_info');
  });
  it('builds shards that xcc checksums merges into the same release', async (context) => {
    const test = needTestZig(context);
    needCommand(context, 'sha256sum');
    const shards = ['1/2', '2/2'].map((shard, at) => ({ shard, out: path.join(root, `shard-${at + 1}`) }));
    const built: string[] = [];
    for (const { shard, out } of shards) {
      const result = await runXcc(['build', '--shard', shard, '--out', out], {
        cwd: module,
        env: xccEnv(test),
      });
      // Sorted by id (amd64, arm-v7, arm64, riscv64, s390x, windows) and dealt: 1/2 holds linux-s390x-musl.
      expect(result.exitCode, result.stderr).toBe(shard === '1/2' ? 1 : 0);
      expect(result.stderr).toMatch(new RegExp(`\\(shard ${shard} of 6 targets\\)`));
      built.push(
        ...result.stdout
          .trim()
          .split('\n')
          .map((file) => path.basename(file)),
      );
    }
    expect(built.sort()).toEqual(FILES);
    const merged = path.join(root, 'merged');
    const result = await runXcc(['checksums', '--out', merged, ...shards.map((s) => s.out)]);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(sha256sumCheck(merged)).toEqual(FILES.map((file) => `${file}: OK`));
  });

  it('refuses a library build mode, colliding names and -o before building anything', async (context) => {
    const test = needTestZig(context);
    needCommand(context, 'go');
    const env = xccEnv(test);
    const archive = await runXcc(['build', 'linux/amd64', '--', '-buildmode=c-archive'], {
      cwd: module,
      env,
    });
    expect(archive.exitCode).toBe(2);
    expect(archive.stderr).toMatch(
      /^xcc: -buildmode=c-archive is not for xcc build, .* xcc exec TARGET -- go build -buildmode=c-archive -o FILE$/m,
    );
    const shared = await runXcc(['build', 'linux/amd64'], {
      cwd: module,
      env: { ...env, GOFLAGS: '-buildmode=c-shared' },
    });
    expect(shared.exitCode).toBe(2);
    expect(shared.stderr).toMatch(/^xcc: -buildmode=c-shared \(in GOFLAGS\) is not for xcc build/);
    const collide = await runXcc(['build', '--name-template', '{name}-{goos}'], { cwd: module, env });
    expect(collide.exitCode).toBe(2);
    expect(collide.stderr).toMatch(
      /linux-amd64-musl and linux-arm-v7-musl would both be written to relapp-linux/,
    );
    const output = await runXcc(['build', 'linux/amd64', '--', '-o', 'x'], { cwd: module, env });
    expect(output.exitCode).toBe(2);
    expect(output.stderr).toMatch(/-o is not for xcc build/);
    for (const result of [archive, shared, collide, output])
      expect(result.stderr.trim().split('\n')).toHaveLength(1);
  });

  it("prints a CI matrix of xcc.json's targets", async () => {
    const github = await runXcc(['targets', '--matrix', 'github', '--shards', '2'], { cwd: module });
    expect(github.exitCode, github.stderr).toBe(0);
    // One job per shard (test/cli/targets.test.ts has the matrix in full); each runs xcc build --shard.
    expect(JSON.parse(github.stdout)).toEqual({ shard: ['1/2', '2/2'] });
    const gitlab = await runXcc(['targets', '--matrix', 'gitlab', '--shards', '6'], { cwd: module });
    expect(gitlab.stdout).toBe(
      'parallel:\n  matrix:\n    - SHARD: ["1/6", "2/6", "3/6", "4/6", "5/6", "6/6"]\n',
    );
  });

  it('--verify-reproducible builds the five targets again from a copy with a cold Go cache: identical', async (context) => {
    const test = needTestZig(context);
    needCommand(context, 'go');
    const targets = TARGETS.filter((target) => target !== 'linux/s390x');
    const result = await runXcc(['build', ...targets, '--verify-reproducible', '--out', 'reproduced'], {
      cwd: module,
      env: xccEnv(test),
    });
    expect(result.exitCode, result.stderr).toBe(0);
    // Not a git work tree: the timestamp is fixed at 0, said once.
    expect(result.stderr).toMatch(/^xcc: reproducible: SOURCE_DATE_EPOCH=0 \(no git history: fixed\)/m);
    for (const id of BUILT)
      expect(result.stderr).toMatch(new RegExp(`^${id} +identical +[0-9a-f]{12} `, 'm'));
    expect(result.stderr).toMatch(
      /^reproducible: 5 of 5 artifacts identical from a copy in another directory with a cold Go cache$/m,
    );
  });

  it('--verify-reproducible catches a link flag that makes every build unique, naming the section, exit 1', async (context) => {
    const test = needTestZig(context);
    needCommand(context, 'go');
    const module = goModule(root, 'unique', {
      'main.go':
        'package main\n\n// static int one(void) { return 1; }\nimport "C"\n\nimport "fmt"\n\nfunc main() { fmt.Println(int(C.one())) }\n',
    });
    // A random build ID from the user's own link flags (the environment's, which go does not filter):
    // what --reproducible cannot fix and must not hide.
    const result = await runXcc(['build', 'linux/amd64', '--verify-reproducible'], {
      cwd: module,
      env: { ...xccEnv(test), CGO_LDFLAGS: '-O2 -Wl,--build-id=uuid' },
    });
    expect(result.exitCode, result.stderr).toBe(1);
    expect(result.stderr).toMatch(
      /^linux-amd64-musl +DIFFERS +section \.note\.gnu\.build-id differs at 0x[0-9a-f]+/m,
    );
    expect(result.stderr).toMatch(/^not reproducible: 1 of 1 artifacts differ$/m);
  });
});
