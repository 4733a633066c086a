import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runXcc } from '../support/cli.js';
import { cliBin } from '../support/paths.js';
import { requireOrSkip } from '../support/tools.js';

/** The built CLI: output shape, exit codes and --json (the checks themselves: test/doctor). */

const base = await mkdtemp(path.join(os.tmpdir(), 'xcc-doctor-cli-'));
afterAll(() => rm(base, { recursive: true, force: true }));

let counter = 0;
async function settings(goSettings: string[] = []): Promise<Record<string, string>> {
  const dir = await mkdtemp(path.join(base, `run-${++counter}-`));
  const env = {
    XCC_HOME: path.join(dir, 'home'),
    XCC_OFFLINE: '1',
    GOENV: path.join(dir, 'goenv'),
    GOFLAGS: '',
  };
  if (goSettings.length > 0)
    spawnSync('go', ['env', '-w', ...goSettings], { env: { ...process.env, ...env } });
  return env;
}

describe('xcc doctor', { timeout: 120_000 }, () => {
  it('prints one line per check, the fix below, and a summary; warnings alone exit 0', async () => {
    const result = await runXcc(['doctor'], { env: await settings() });
    expect(result.stderr).toBe('');
    expect(result.exitCode).toBe(0);
    const lines = result.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^ok {4}Go {22}go version go1\.\d+/);
    expect(lines).toContain(
      "WARN  Zig                     Zig 0.15.2 (xcc's default) is not installed: the first build downloads it (about 50 MB; see the network checks)",
    );
    expect(lines).toContain(`${' '.repeat(30)}fix: xcc install 0.15.2`);
    expect(lines).toContain(
      'skip  PyPI                    offline (XCC_OFFLINE=1): only installed Zig versions are used',
    );
    // The summary counts the lines above it. (Which checks warn depends on the machine: the cache check
    // warns when its disk has less than 2 GiB free.)
    const count = (status: string) => lines.filter((line) => line.startsWith(status)).length;
    expect(count('skip ')).toBe(4);
    const warnings = count('WARN ');
    expect(lines.at(-1)).toBe(
      `ready, with warnings: ${count('ok ')} ok, ${warnings} warning${warnings === 1 ? '' : 's'}, 0 failed, 4 skipped`,
    );
  });

  it('--strict makes warnings fail', async () => {
    const result = await runXcc(['doctor', '--strict'], { env: await settings() });
    expect(result.exitCode).toBe(1);
  });

  it('--json: a stable shape, exit 1 when a check fails', async () => {
    const result = await runXcc(['doctor', '--json'], { env: await settings(['GOFLAGS=-race']) });
    expect(result.exitCode).toBe(1);
    const report = JSON.parse(result.stdout);
    expect(report).toMatchObject({ version: 1, ok: false, counts: { fail: 1 } });
    expect(report.checks.find((check: { id: string }) => check.id === 'go-env:GOFLAGS')).toEqual({
      id: 'go-env:GOFLAGS',
      title: 'go env GOFLAGS',
      status: 'fail',
      detail:
        'GOFLAGS="-race" set with go env -w: sanitizers need runtime libraries zig does not provide for other targets',
      fix: 'go env -u GOFLAGS (or go env -w GOFLAGS=... without that flag)',
    });
  });

  it('an unknown target is a usage error before any check runs', async () => {
    const result = await runXcc(['doctor', 'linux/nope'], { env: await settings() });
    expect(result.exitCode).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/^xcc: .*linux\/nope/);
  });

  it('a read-only cache fails the cache check', async (context) => {
    const env = await settings();
    const home = env.XCC_HOME!;
    spawnSync('mkdir', ['-p', home]);
    // As root, permissions do not stop writes: a read-only bind mount in a private mount namespace does.
    const script = `mount --bind '${home}' '${home}' && mount -o remount,bind,ro '${home}' '${home}' && exec '${process.execPath}' '${cliBin}' doctor --json`;
    const result = spawnSync('unshare', ['--mount', 'sh', '-c', script], {
      env: { ...process.env, ...env },
      encoding: 'utf8',
    });
    if (result.status !== 0 && result.status !== 1) {
      requireOrSkip(
        context,
        `cannot make a read-only mount here: ${result.stderr.trim() || result.error}`,
        'run the tests as root (unshare --mount)',
      );
    }
    expect(result.status).toBe(1);
    const cache = JSON.parse(result.stdout).checks.find((check: { id: string }) => check.id === 'cache');
    expect(cache).toMatchObject({
      status: 'fail',
      detail: `cannot write to ${home}: read-only file system`,
      fix: `make ${home} writable, or set XCC_HOME to a writable directory`,
    });
  });
});
