import { inject, type TestContext } from 'vitest';
import type { TestZig } from './test-zig.js';

/** What global-setup.ts provides: the test Zig, or why there is none. */
export type ProvidedTestZig = { ok: true; zig: TestZig } | { ok: false; reason: string };

declare module 'vitest' {
  export interface ProvidedContext {
    testZig: ProvidedTestZig;
  }
}

/**
 * XCC_E2E_MATRIX=full: the full suite, with every matrix row and the proofs that build a C library in a
 * fresh zig cache (minutes of CPU each). CI runs without it: its 30 minutes cannot hold them.
 */
export const fullSuite = process.env.XCC_E2E_MATRIX === 'full';

/**
 * The test Zig for a test that cannot run without it. When it could not be prepared the test fails
 * under `XCC_E2E=require` (CI) and is skipped with the reason otherwise. Call it in the test or in a
 * `beforeEach`; `beforeAll` hooks that start servers read `providedTestZig()` instead.
 */
export function needTestZig(context: Pick<TestContext, 'skip'>): TestZig {
  return testZigOrSkip(inject('testZig'), process.env.XCC_E2E, context.skip);
}

export function testZigOrSkip(
  provided: ProvidedTestZig,
  e2e: string | undefined,
  skip: (note: string) => never,
): TestZig {
  if (provided.ok) return provided.zig;
  const message = `the test Zig is not available: ${provided.reason}`;
  if (e2e === 'require') throw new Error(`${message} (XCC_E2E=require)`);
  return skip(`${message}; set XCC_E2E=require to make this a failure`);
}

/** The test Zig if it was prepared, for `beforeAll` hooks; tests still call `needTestZig`. */
export function providedTestZig(): TestZig | undefined {
  const provided = inject('testZig');
  return provided.ok ? provided.zig : undefined;
}
