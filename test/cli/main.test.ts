import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cliBin, projectRoot } from '../support/paths.js';

function xcc(...args: string[]) {
  const result = spawnSync(process.execPath, [cliBin, ...args], { encoding: 'utf8' });
  return { exitCode: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('xcc CLI basics', () => {
  it('prints the package version', () => {
    const manifest = JSON.parse(readFileSync(path.join(projectRoot, 'package.json'), 'utf8'));
    expect(execFileSync(process.execPath, [cliBin, '--version'], { encoding: 'utf8' })).toContain(
      `xcc/${manifest.version}`,
    );
  });

  it.each([
    [['frobnicate'], "xcc: unknown command 'frobnicate'; run 'xcc --help' for usage\n"],
    [['--bogus'], "xcc: unknown option '--bogus'; run 'xcc --help' for usage\n"],
  ])('rejects %j with one line and exit code 2', (args, message) => {
    const result = xcc(...args);
    expect(result).toEqual({ exitCode: 2, stdout: '', stderr: message });
  });

  it('says in one line that a Node without require(esm) is too old', () => {
    // Node 20.19+ can turn require(esm) off, which is how Node 22.0 to 22.11 run by default.
    const result = spawnSync(process.execPath, ['--no-experimental-require-module', cliBin, '--version'], {
      encoding: 'utf8',
    });
    expect(result).toMatchObject({ status: 1, stdout: '' });
    expect(result.stderr).toBe(
      `xcc: needs Node.js 20.19+ or 22.12+ (require of ES modules); this is ${process.version}, so install a newer Node\n`,
    );
  });
});
