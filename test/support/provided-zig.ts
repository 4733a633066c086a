import { inject } from 'vitest';
import { type TestZig, testZigBuildCache } from './test-zig.js';
import { requireOrSkip, type Skippable } from './tools.js';

/**
 * How a test gets the test Zig: global-setup.ts prepares it once per run (test-zig.ts) and provides it;
 * these read it. Apart from test-zig.ts because it needs vitest's `inject`, which scripts cannot load.
 */

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
 * A test of the full suite only (minutes of CPU: a C library built in a fresh zig cache). Not a missing
 * prerequisite but a choice of what this run covers, so it is skipped with its reason even under
 * `XCC_E2E=require`; `XCC_E2E_MATRIX=full` runs it.
 */
export function needFullSuite(context: Skippable, cost: string): void {
  if (!fullSuite) context.skip(`${cost}: only in the full suite (XCC_E2E_MATRIX=full)`);
}

/**
 * The test Zig for a test that cannot run without it: fails under `XCC_E2E=require` (CI) and is skipped
 * with the reason otherwise (see `requireOrSkip`). Call it in the test or in a `beforeEach`; `beforeAll`
 * hooks that start servers read `providedTestZig()` instead.
 */
export function needTestZig(context: Skippable): TestZig {
  return testZigOrSkip(inject('testZig'), context);
}

export function testZigOrSkip(provided: ProvidedTestZig, context: Skippable): TestZig {
  if (provided.ok) return provided.zig;
  return requireOrSkip(
    context,
    `the test Zig is not available (${provided.reason})`,
    'let the tests reach PyPI once (the ziglang wheel is cached in $XCC_TEST_CACHE), or set XCC_TEST_CACHE to a cache that holds it',
  );
}

/** The test Zig if it was prepared, for `beforeAll` hooks; tests still call `needTestZig`. */
export function providedTestZig(): TestZig | undefined {
  const provided = inject('testZig');
  return provided.ok ? provided.zig : undefined;
}

/**
 * The test Zig as a C cross-compiler for tests that build with it directly: its binary, and an environment
 * whose zig build cache is shared with the other tests (a cold musl build takes minutes). Undefined when
 * there is none: such tests then call `needTestZig`, which XCC_E2E=require turns into a failure.
 */
export function providedZigCompiler(): { zig: string; env: NodeJS.ProcessEnv } | undefined {
  const zig = providedTestZig()?.install.zig;
  if (!zig) return undefined;
  const cache = testZigBuildCache();
  return { zig, env: { ...process.env, ZIG_GLOBAL_CACHE_DIR: cache, ZIG_LOCAL_CACHE_DIR: cache } };
}
