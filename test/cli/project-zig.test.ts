import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { zigHostKey } from '../../src/zig/host.js';
import { cliBin } from '../support/paths.js';

/**
 * `xcc targets` and `xcc env --unset` name targets, and the variables they set, by a Zig version without
 * installing it: inside a project it is the project's (its lock file, else its `zig`), as `xcc env` and
 * `xcc exec` use, not xcc's pinned default (0.15.2). Zig 0.14.1 differs where it shows: musl targets get
 * GO_EXTLINK_ENABLED only with 0.15.x (quirk musl-external-link).
 */
const root = mkdtempSync(path.join(os.tmpdir(), 'xcc-project-zig-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function project(name: string, files: Record<string, unknown>): string {
  const dir = path.join(root, name);
  const sub = path.join(dir, 'cmd', 'app');
  for (const [file, content] of Object.entries(files)) {
    writeFileSync(path.join(mkdir(dir), file), `${JSON.stringify(content)}\n`);
  }
  // Run from below the project's directory: the config is looked for upward, as for xcc env.
  return mkdir(sub);
}

function mkdir(dir: string): string {
  mkdirSync(dir, { recursive: true });
  return dir;
}

function xcc(args: string[], cwd: string) {
  const result = spawnSync(process.execPath, [cliBin, ...args], {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, XCC_HOME: path.join(root, 'home') },
  });
  return { exitCode: result.status, stdout: result.stdout, stderr: result.stderr };
}

const pinned = project('pinned', { 'xcc.json': { zig: '0.14.1', targets: ['linux/amd64'] } });
const locked = project('locked', {
  'xcc.json': { targets: ['linux/amd64'] },
  'xcc.lock.json': {
    lockfileVersion: 1,
    zig: {
      spec: 'default',
      version: '0.14.1',
      hosts: { [zigHostKey()]: { file: 'zig-0.14.1.tar.xz', size: 1, sha256: 'a'.repeat(64) } },
    },
    targets: ['linux/amd64'],
  },
});
const ranged = project('ranged', { 'xcc.json': { zig: '>=0.14 <0.16', targets: ['linux/amd64'] } });
const outside = mkdir(path.join(root, 'no project'));

describe('xcc targets in a project', () => {
  it.each([
    ['its zig', pinned, '0.14.1'],
    ['its lock file', locked, '0.14.1'],
    ['xcc default, for a range only the installer resolves', ranged, '0.15.2'],
    ['xcc default, outside a project', outside, '0.15.2'],
  ])('names targets by %s', (_, cwd, version) => {
    const list = xcc(['targets'], cwd);
    expect(list).toMatchObject({ exitCode: 0, stderr: '' });
    expect(list.stdout).toContain(`Target names for zig ${version}.`);
    const one = xcc(['targets', 'linux/amd64', '--json'], cwd);
    expect(one.exitCode).toBe(0);
    expect(JSON.parse(one.stdout)).toMatchObject({ zigVersion: version });
  });

  it('takes --zig over the project', () => {
    expect(xcc(['targets', '--zig', '0.15.2'], pinned).stdout).toContain('Target names for zig 0.15.2.');
  });
});

describe('xcc env --unset in a project', () => {
  const unset = (cwd: string, ...flags: string[]) => {
    const run = xcc(['env', 'linux/amd64', '--unset', '--format', 'sh', ...flags], cwd);
    expect(run).toMatchObject({ exitCode: 0, stderr: '' });
    return run.stdout;
  };

  it("undoes what the project's Zig sets", () => {
    const extLink = / GO_EXTLINK_ENABLED\b/;
    expect(unset(outside)).toMatch(extLink);
    expect(unset(pinned)).toMatch(/^unset GOOS GOARCH .* CC CXX AR /);
    expect(unset(pinned)).not.toMatch(extLink);
    expect(unset(locked)).not.toMatch(extLink);
    expect(unset(pinned, '--zig', '0.15.2')).toMatch(extLink);
  });
});
