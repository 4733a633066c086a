import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/**
 * Real upstream data shared by every checkout (see shared/fixtures/README.md): `../shared/fixtures` beside
 * the main checkout, found from worktrees nested deeper (e.g. `wt/<name>`) by looking in each parent.
 */
export const sharedFixtures = findSharedFixtures(path.dirname(projectRoot));

function findSharedFixtures(dir: string): string {
  const candidate = path.join(dir, 'shared', 'fixtures');
  if (existsSync(candidate) || path.dirname(dir) === dir) return candidate;
  return findSharedFixtures(path.dirname(dir));
}

/** The built CLI: tests spawn it exactly as a user would run it. */
export const cliBin = path.join(projectRoot, 'bin', 'xcc.cjs');
