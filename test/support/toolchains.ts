import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import type { TargetRequest } from '../../src/target/index.js';
import { provision, type Toolchain } from '../../src/toolchain/provision.js';
import type { Zig } from '../../src/zig/install.js';
import { type TestZig, testCacheDir } from './test-zig.js';

/**
 * Wrappers over the test Zig for tests of the wire step, without going through an install each time
 * (the install tests do that). Zig's build cache lives with the test cache (`$XCC_TEST_CACHE`) so that
 * a second run does not rebuild a target's libc; every test must also pass with it empty.
 */
export function testZigInstall(test: TestZig, zigPath: string = test.install.zig): Zig {
  return { version: test.version, dir: path.dirname(zigPath), zig: zigPath, source: 'test', cached: true };
}

export function testZigBuildCache(): string {
  return path.join(testCacheDir(), 'zig-cache');
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

export interface Ran {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a program (no shell) and returns what it did; for commands that are expected to fail too. */
export function runProgram(
  command: string,
  args: readonly string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Ran {
  const result = spawnSync(command, args, { encoding: 'utf8', maxBuffer: 64 << 20, ...options });
  if (result.error) throw result.error;
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** The same without blocking the event loop, for commands that talk to a server in the test process. */
export function runProgramAsync(
  command: string,
  args: readonly string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

/** The same, failing the test with the program's own words unless it exits 0. */
export function mustRun(
  command: string,
  args: readonly string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): string {
  const ran = runProgram(command, args, options);
  if (ran.status !== 0) {
    throw new Error(`${command} ${args.join(' ')} exited ${ran.status}:\n${ran.stderr}${ran.stdout}`);
  }
  return ran.stdout;
}
