import path from 'node:path';
import type { TargetRequest } from '../../src/resolve/index.js';
import { provision, type Toolchain } from '../../src/toolchain/provision.js';
import type { Zig } from '../../src/zig/install.js';
import { run } from './builds.js';
import { type TestZig, testZigBuildCache } from './test-zig.js';

/**
 * Wrappers over the test Zig for tests of the wire step, without going through an install each time
 * (the install tests do that). Zig's build cache lives with the test cache (`$XCC_TEST_CACHE`) so that
 * a second run does not rebuild a target's libc; every test must also pass with it empty.
 */
export function testZigInstall(test: TestZig, zigPath: string = test.install.zig): Zig {
  return { version: test.version, dir: path.dirname(zigPath), zig: zigPath, source: 'test', cached: true };
}

export function provisionForTest(
  test: TestZig,
  target: TargetRequest,
  options: { home: string; zigPath?: string; zigCache?: string } = { home: process.env.XCC_HOME! },
): Promise<Toolchain> {
  return provision({
    target,
    zigInstall: testZigInstall(test, options.zigPath),
    home: options.home,
    env: {
      ...process.env,
      XCC_HOME: options.home,
      XCC_ZIG_CACHE_DIR: options.zigCache ?? testZigBuildCache(),
    },
  });
}

/** Runs a program (no shell), failing the test with the program's own words unless it exits 0; its stdout. */
export function mustRun(
  command: string,
  args: readonly string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): string {
  const ran = run(command, args, options);
  if (ran.error) throw ran.error;
  if (ran.status !== 0) {
    throw new Error(`${command} ${args.join(' ')} exited ${ran.status}:\n${ran.stderr}${ran.stdout}`);
  }
  return ran.stdout;
}
