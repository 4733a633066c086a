import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/**
 * Real upstream data (the official Zig index, real .minisig files, minisign vectors), copied into the
 * repository so that a clone anywhere runs its tests alone; test/fixtures/README.md says where each came from.
 */
export const fixturesDir = path.join(projectRoot, 'test', 'fixtures');

/** The built CLI: tests spawn it exactly as a user would run it. */
export const cliBin = path.join(projectRoot, 'bin', 'xcc.cjs');
