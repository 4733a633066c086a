import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { run } from '../support/builds.js';
import { fixturesDir } from '../support/paths.js';
import { needTestZig } from '../support/provided-zig.js';
import { testZigBuildCache } from '../support/test-zig.js';
import { mustRun, provisionForTest } from '../support/toolchains.js';

/**
 * darwin/arm64's C code is compiled for the CPU every arm64 Mac has (Apple M1), as Apple clang and zig's
 * own baseline do: under `-mcpu=generic` clang refuses NEON code that real projects ship (DataDog/zstd's
 * lazy matcher failed to build with "requires target feature 'aes'").
 */

const source = path.join(fixturesDir, 'darwin-neon', 'mask.c');
let home: string;
beforeAll(async () => {
  home = await mkdtemp(path.join(os.tmpdir(), 'xcc-darwin-cpu-'));
});

describe('darwin/arm64 CPU', () => {
  it('compiles the NEON code that -mcpu=generic refuses', { timeout: 120_000 }, async (context) => {
    const test = needTestZig(context);
    const env = {
      ...process.env,
      ZIG_GLOBAL_CACHE_DIR: testZigBuildCache(),
      ZIG_LOCAL_CACHE_DIR: testZigBuildCache(),
    };
    // What xcc passed before: the same file fails, so this test can tell.
    const generic = run(
      test.install.zig,
      [
        'cc',
        '-target',
        'aarch64-macos-none',
        '-mcpu=generic',
        '-c',
        source,
        '-o',
        path.join(home, 'generic.o'),
      ],
      { env },
    );
    expect(generic.status).not.toBe(0);
    expect(generic.stderr).toMatch(/requires target feature 'aes'/);

    const toolchain = await provisionForTest(test, { target: 'darwin/arm64' }, { home });
    expect(toolchain.target.zigCpu).toBe('apple_m1');
    mustRun(toolchain.tools.cc!, ['-c', source, '-o', path.join(home, 'mask.o')]);
  });
});
