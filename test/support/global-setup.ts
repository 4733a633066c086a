import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import type { ProvidedTestZig } from './provided-zig.js';
import { prepareTestZig, TestZigUnavailableError } from './test-zig.js';

/**
 * Vitest globalSetup: prepares the test Zig once per run, in the main process, before any worker
 * starts, and hands its paths and public key to tests (`inject('testZig')`, see provided-zig.ts).
 * The first run on a machine downloads the wheel and repacks it (about a minute); later runs find it
 * in test/.cache/ (or $XCC_TEST_CACHE) in milliseconds.
 *
 * XCC_E2E=skip: do not prepare (offline unit-test runs). Otherwise a wheel that cannot be fetched is
 * reported to the tests, which fail under XCC_E2E=require and skip otherwise; any other failure
 * (a bug in the repack) fails the run.
 */
export default async function setup(project: TestProject): Promise<() => void> {
  const tmp = runTempDir();
  project.provide('testZig', await provide());
  return () => rmSync(tmp, { recursive: true, force: true });
}

/**
 * One temp directory for the whole run, removed at its end: every worker, and every program a test
 * starts (go, zig, wine), inherits it as TMPDIR. A test that is killed, or one that forgets to clean up,
 * then cannot fill the machine's /tmp over repeated runs (a Go build under a test's home leaves
 * gigabytes).
 */
function runTempDir(): string {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'xcc-test-run-'));
  process.env.TMPDIR = tmp;
  return tmp;
}

async function provide(): Promise<ProvidedTestZig> {
  if (process.env.XCC_E2E === 'skip') return { ok: false, reason: 'XCC_E2E=skip' };
  try {
    return { ok: true, zig: await prepareTestZig() };
  } catch (error) {
    if (error instanceof TestZigUnavailableError) return { ok: false, reason: error.message };
    throw error;
  }
}
