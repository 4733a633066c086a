import { spawnSync } from 'node:child_process';
import type { TestContext } from 'vitest';

/** Whether an external program is on PATH (a real shell, qemu, wine...). */
export function hasCommand(name: string): boolean {
  return spawnSync('sh', ['-c', `command -v '${name}'`], { stdio: 'ignore' }).status === 0;
}

/**
 * A missing prerequisite skips the test with its reason on a developer machine, and fails it in CI
 * where `.ci/run` sets `XCC_E2E=require`: a skip there would hide that nothing was tested.
 */
export function requireOrSkip(context: TestContext, reason: string): void {
  if (process.env.XCC_E2E === 'require') throw new Error(`${reason} (required because XCC_E2E=require)`);
  context.skip(reason);
}
