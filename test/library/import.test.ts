import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { expect, it } from 'vitest';
import { resolveProbe } from '../support/module-probe.js';
import { projectRoot } from '../support/paths.js';

// `import('xcc')` as another tool does it: the library's entry resolves and loads none of the installer's
// packages, which only provisioning needs (src/lazy-installer.ts loads them on the first call; the
// env test's library case makes that call). The probe records every module Node resolves.
it("import('xcc') loads the library without the installer's packages", () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'xcc-import-'));
  const probe = resolveProbe(dir);
  const script = `const xcc = await import('xcc');
console.log([typeof xcc.provision, typeof xcc.ensureZig, xcc.resolveTarget({ target: 'linux/arm64' }, { zigVersion: '0.15.2' }).zigTarget].join(' '));`;
  // Run from the package's directory: 'xcc' resolves through its own "exports", as for a dependent.
  const run = spawnSync(process.execPath, [probe.flag, '--input-type=module', '-e', script], {
    cwd: projectRoot,
    encoding: 'utf8',
  });
  expect(run.stderr).toBe('');
  expect(run.stdout).toBe('function function aarch64-linux-musl\n');
  const modules = probe.resolved();
  rmSync(dir, { recursive: true, force: true });
  expect(modules).toContain(pathToFileURL(path.join(projectRoot, 'dist', 'index.js')).href);
  expect(modules.filter((url) => /\/node_modules\/(undici|tar|semver|execa)\//.test(url))).toEqual([]);
});
