import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { shQuote } from '../../src/toolchain/render.js';
import { goEnv } from '../support/builds.js';
import { runXcc } from '../support/cli.js';
import { cliBin, projectRoot } from '../support/paths.js';
import { needTestZig } from '../support/provided-zig.js';
import { testCacheDir, testZigBuildCache } from '../support/test-zig.js';
import { needCommand } from '../support/tools.js';

/**
 * The README's GoReleaser example as it is: `goreleaser build --snapshot --clean` in examples/release,
 * with xcc on PATH, builds linux/amd64, linux/arm64 and windows/amd64 through one CC (the config's
 * before hook runs `xcc dispatch`), and each binary runs: natively, under qemu-aarch64 and under Wine.
 * The xcc home lives in the test cache, so the Wine prefix is made once.
 */
const scratch = mkdtempSync(path.join(os.tmpdir(), 'xcc-goreleaser-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
const home = path.join(testCacheDir(), 'dispatch', 'home');

it(
  'goreleaser builds examples/release for three targets with one CC, and each binary runs',
  async (context) => {
    const zig = needTestZig(context);
    for (const command of ['go', 'goreleaser', 'qemu-aarch64-static', 'wine']) needCommand(context, command);
    const project = path.join(scratch, 'release');
    cpSync(path.join(projectRoot, 'examples', 'release'), project, { recursive: true });
    // xcc from PATH, as a user who installed it has it.
    const bin = path.join(scratch, 'bin');
    mkdirSync(bin);
    writeFileSync(
      path.join(bin, 'xcc'),
      `#!/bin/sh\nexec ${shQuote(process.execPath)} ${shQuote(cliBin)} "$@"\n`,
    );
    chmodSync(path.join(bin, 'xcc'), 0o755);
    const env: NodeJS.ProcessEnv = {
      ...goEnv({ GOCACHE: path.join(testCacheDir(), 'e2e', 'go-cache') }),
      PATH: `${bin}${path.delimiter}${process.env.PATH}`,
      XCC_HOME: home,
      XCC_ZIG: zig.install.zig,
      XCC_ZIG_CACHE_DIR: testZigBuildCache(),
    };
    delete env.CGO_ENABLED;

    const built = spawnSync('goreleaser', ['build', '--snapshot', '--clean'], {
      cwd: project,
      env,
      encoding: 'utf8',
    });
    expect(built.status, `${built.stdout}\n${built.stderr}`).toBe(0);
    const dist = path.join(project, 'dist');
    const binaries = {
      'linux/amd64': path.join(dist, 'release_linux_amd64_v1', 'release'),
      'linux/arm64': path.join(dist, 'release_linux_arm64_v8.0', 'release'),
      'windows/amd64': path.join(dist, 'release_windows_amd64_v1', 'release.exe'),
    };
    for (const file of Object.values(binaries)) expect(existsSync(file), file).toBe(true);
    // Every build went through the dispatcher of the hook, not a compiler of the machine.
    const dispatcher = readFileSync(path.join(project, '.xcc', 'dispatch'), 'utf8').trim();
    expect(dispatcher).toMatch(new RegExp(`^${home.replaceAll('/', '\\/')}/v1/dispatch/[0-9a-f]{12}$`));

    const gates = {
      'linux/amd64': '--expect=linux/amd64,static',
      'linux/arm64': '--expect=linux/arm64,static',
      'windows/amd64': '--expect=windows/amd64',
    };
    for (const [target, file] of Object.entries(binaries)) {
      const inspected = await runXcc(['inspect', file, gates[target as keyof typeof gates]], { env });
      expect(inspected.exitCode, `${target}: ${inspected.stdout}${inspected.stderr}`).toBe(0);
      const ran = await runXcc(['run', target, '--quiet', '--', file], { env });
      const libc = target.startsWith('windows/') ? 'mingw' : 'musl';
      expect(ran.stdout.replaceAll('\r', ''), `${target}: ${ran.stderr}`).toBe(
        `release for ${target} (${libc}): answer 42\n`,
      );
      expect(ran.exitCode).toBe(0);
    }
  },
  20 * 60_000,
);
