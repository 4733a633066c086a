import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAsync } from '../support/builds.js';
import { projectRoot } from '../support/paths.js';

/**
 * dist-action/index.cjs is committed, since users run the Action from a checkout of the repository where
 * nothing is built or installed. It must be what the sources build today: this rebuilds it with the
 * repository's bundler (scripts/build-cli.ts --action) and compares the bytes. The fix when it differs:
 * `npm run build:action` and commit the result.
 */

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'xcc-action-bundle-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('dist-action/index.cjs', () => {
  it('is what the sources build now (else: npm run build:action, and commit it)', async () => {
    const tsx = path.join(projectRoot, 'node_modules', '.bin', 'tsx');
    const built = await runAsync(tsx, ['scripts/build-cli.ts', '--action', dir], { cwd: projectRoot });
    expect(built.status, built.stderr).toBe(0);
    const fresh = readFileSync(path.join(dir, 'index.cjs'), 'utf8');
    const committed = readFileSync(path.join(projectRoot, 'dist-action', 'index.cjs'), 'utf8');
    // Not toBe: a diff of two 1.7 MB strings would bury the message.
    expect(
      fresh === committed,
      'dist-action/index.cjs is stale: run npm run build:action and commit it',
    ).toBe(true);
    // Self-contained: nothing but Node's builtins is required at run time.
    const required = [...fresh.matchAll(/\brequire\("([^"]+)"\)/g)].map((match) => match[1]!);
    const builtins = new Set(
      (await import('node:module')).builtinModules.flatMap((name) => [name, `node:${name}`]),
    );
    expect(required.filter((name) => !builtins.has(name) && !name.startsWith('node:'))).toEqual([]);
  });
});
