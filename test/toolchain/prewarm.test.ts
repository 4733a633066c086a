import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { linkDir, type PrewarmEvent, prewarm } from '../../src/toolchain/prewarm.js';
import { provision } from '../../src/toolchain/provision.js';
import { runXcc } from '../support/cli.js';
import { needTestZig } from '../support/provided-zig.js';
import { needCommand } from '../support/tools.js';

/**
 * Prewarm for real: the test Zig builds a target's runtime libraries into a fresh zig cache through the
 * target's wrappers, and a real `go build` afterwards must find every one of them there (the point of
 * prewarming: the cache keys are the ones Go's link steps use). No timing: files are counted.
 */

/** What zig builds at link time and keeps in its cache: libc (or glibc's stub .so files), compiler-rt, crt objects. */
async function runtimeArtifacts(zigCache: string): Promise<string[]> {
  const objects = path.join(zigCache, 'o');
  const found: string[] = [];
  for (const dir of await readdir(objects).catch(() => [])) {
    for (const name of await readdir(path.join(objects, dir))) {
      if (/^(lib.*\.a|.*crt.*\.o|lib.*\.so(\.\d+)*)$/.test(name)) found.push(`${dir}/${name}`);
    }
  }
  return found.sort();
}

describe('xcc install --prewarm', { timeout: 1_800_000 }, () => {
  it('builds the runtime libraries a first go build links, so that build rebuilds none', async (context) => {
    const test = needTestZig(context);
    needCommand(context, 'go');
    const scratch = await mkdtemp(path.join(os.tmpdir(), 'xcc-prewarm-test-'));
    const zigCache = path.join(scratch, 'zig-cache');
    const env = {
      ...process.env,
      XCC_HOME: path.join(scratch, 'home'),
      XCC_ZIG: test.install.zig,
      XCC_ZIG_CACHE_DIR: zigCache,
    };
    // glibc: its stub libraries build in seconds where musl's libc.a takes minutes; compiler-rt and the
    // crt objects are built for every libc alike.
    const toolchain = await provision({ target: { target: 'linux/amd64', libc: 'glibc' }, env });
    const project = path.join(scratch, 'cgo');
    await mkdir(project);
    await writeFile(path.join(project, 'go.mod'), 'module example.com/cgo\n\ngo 1.22\n');
    await writeFile(
      path.join(project, 'main.go'),
      'package main\n\n// static int twice(int x) { return 2 * x; }\nimport "C"\nimport "fmt"\n\nfunc main() { fmt.Println(C.twice(21)) }\n',
    );
    const events: PrewarmEvent[] = [];
    // Where go build will run: zig's cache keys depend on it (see linkDir).
    await prewarm({
      toolchains: [toolchain],
      env,
      buildDir: project,
      onEvent: (event) => events.push(event),
    });

    expect(events.map((event) => event.type)).toEqual(['prewarm-start', 'prewarm-done']);
    const prewarmed = await runtimeArtifacts(zigCache);
    expect(prewarmed.some((file) => file.endsWith('/libcompiler_rt.a'))).toBe(true);
    expect(prewarmed.some((file) => /\/libc\.so\.6$/.test(file))).toBe(true);

    await promisify(execFile)('go', ['build', '-o', 'app', '.'], {
      cwd: project,
      env: { ...env, ...toolchain.env, GOCACHE: path.join(scratch, 'gocache') },
    });
    expect(await runtimeArtifacts(zigCache)).toEqual(prewarmed);
  });

  it('refuses --cxx without --prewarm before installing anything', async () => {
    const result = await runXcc(['install', '--cxx']);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toBe('xcc: --cxx says what --prewarm builds; add --prewarm <targets>\n');
  });
});

describe('linkDir: where prewarm links, so that zig names its directories as go build will', () => {
  it.each([
    [
      'zig and its cache outside the build dir',
      '/work/app',
      ['/home/u/.cache/xcc/v1/zig/0.15.2', '/home/u/.cache/xcc/v1/zig-cache'],
      '/tmp/scratch',
    ],
    [
      'the zig cache inside the build dir (CI workspace)',
      '/work/app',
      ['/opt/zig', '/work/app/.zig-cache'],
      '/work/app',
    ],
    ['zig inside the build dir', '/home/u', ['/home/u/.cache/xcc/v1/zig/0.15.2', '/tmp/zc'], '/home/u'],
    [
      'a sibling with a common prefix is not inside',
      '/work/app',
      ['/work/app2/zig', '/work/app-cache'],
      '/tmp/scratch',
    ],
  ])('%s', (_name, buildDir, zigDirs, expected) => {
    expect(linkDir(buildDir, '/tmp/scratch', zigDirs)).toBe(expected);
  });
});
