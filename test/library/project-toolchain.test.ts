import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { zigHostKey } from '../../src/zig/host.js';
import { resolveProbe } from '../support/module-probe.js';
import { projectRoot } from '../support/paths.js';
import { needTestZig, providedTestZig } from '../support/provided-zig.js';
import { testZigBuildCache } from '../support/test-zig.js';
import { startZigSources, type ZigSources } from '../support/zig-mirror.js';

/**
 * `projectToolchain`, the library's way to what `xcc env` does: the project's xcc.json and xcc.lock.json
 * choose the Zig, and a toolchain provisioned before comes back without the installer being loaded.
 * Through the package's public entry (`import('xcc')`, dist/), with the test Zig from a signed mirror on
 * 127.0.0.1.
 */
let sources: ZigSources | undefined;
const root = mkdtempSync(path.join(os.tmpdir(), 'xcc-project-toolchain-'));

beforeAll(async () => {
  const zig = providedTestZig();
  if (!zig) return;
  sources = await startZigSources(zig, testZigBuildCache());
});
afterAll(async () => {
  await sources?.close();
  rmSync(root, { recursive: true, force: true });
});

function userEnv(home: string): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '',
    ...sources!.userEnv(home),
  };
}

function project(name: string, config: object, lock?: object): string {
  const dir = path.join(root, name);
  mkdirSync(path.join(dir, 'src'), { recursive: true });
  writeFileSync(path.join(dir, 'xcc.json'), JSON.stringify(config));
  if (lock) writeFileSync(path.join(dir, 'xcc.lock.json'), JSON.stringify(lock));
  return path.join(dir, 'src');
}

const TARGET = { target: 'linux/amd64', glibc: '2.28' };

describe('projectToolchain', { timeout: 600_000 }, () => {
  it("provisions the project's Zig once, then serves it without loading the installer", async (context) => {
    const test = needTestZig(context);
    const xcc = await import('xcc');
    const env = userEnv(path.join(root, 'home'));
    const cwd = project('pinned', { zig: test.version, targets: [TARGET] });
    const events: string[] = [];
    const cold = await xcc.projectToolchain({
      target: TARGET,
      cwd,
      env,
      onEvent: (event) => events.push(event.type),
    });
    expect(cold.zig).toMatchObject({ version: test.version, cached: false });
    expect(events).toContain('installed');
    expect(cold.env).toMatchObject({ GOOS: 'linux', GOARCH: 'amd64', CGO_ENABLED: '1' });

    // Warm, in a process of its own: the same toolchain, and none of the installer's packages loaded.
    const probe = resolveProbe(root);
    const script = `const xcc = await import('xcc');
const toolchain = await xcc.projectToolchain(${JSON.stringify({ target: TARGET, cwd, env })});
console.log(JSON.stringify(toolchain));`;
    const run = spawnSync(process.execPath, [probe.flag, '--input-type=module', '-e', script], {
      cwd: projectRoot,
      encoding: 'utf8',
    });
    expect(run.stderr).toBe('');
    const warm = JSON.parse(run.stdout) as typeof cold;
    expect(warm).toEqual({ ...cold, zig: { ...cold.zig, cached: true } });
    const installer = /\/node_modules\/(undici|tar|semver|execa)\/|\/dist\/zig\/install\.js$/;
    expect(probe.resolved().filter((url) => installer.test(url))).toEqual([]);
    expect(probe.resolved().some((url) => url.endsWith('/dist/toolchain/cached.js'))).toBe(true);

    // A lock file that pins other bytes than the cached Zig's is not served warm: the installer refuses.
    const marker = JSON.parse(readFileSync(path.join(cold.zig.dir, '.xcc-install.json'), 'utf8')) as {
      sha256: string;
      host: string;
    };
    const lock = (sha256: string) => ({
      lockfileVersion: 1,
      zig: {
        spec: test.version,
        version: test.version,
        hosts: { [marker.host]: { file: 'zig.tar.xz', size: 1, sha256 } },
      },
      targets: ['linux/amd64'],
    });
    const config = { zig: test.version, targets: [TARGET] };
    const pinnedBytes = project('locked', config, lock(marker.sha256));
    expect(await xcc.projectToolchain({ target: TARGET, cwd: pinnedBytes, env })).toEqual(warm);
    const otherBytes = project('locked elsewhere', config, lock('0'.repeat(64)));
    await expect(xcc.projectToolchain({ target: TARGET, cwd: otherBytes, env })).rejects.toThrow(
      /installed from bytes \(sha256 [0-9a-f]{64}\) that the lock file does not name/,
    );
    // The caller's spec goes before the project's, as --zig does.
    expect(await xcc.projectToolchain({ target: TARGET, cwd: otherBytes, spec: test.version, env })).toEqual(
      warm,
    );
  });

  it("asks for the Zig the project's config or lock file names", async () => {
    const xcc = await import('xcc');
    // Offline and with xcc's own release table (no index): the error names the version that was asked for.
    const env = { PATH: process.env.PATH ?? '', XCC_HOME: path.join(root, 'home offline'), XCC_OFFLINE: '1' };
    const offline = /^Zig 0\.14\.1 is not installed and xcc is offline/;
    const configured = project('older', { zig: '0.14.1', targets: ['linux/amd64'] });
    await expect(xcc.projectToolchain({ target: TARGET, cwd: configured, env })).rejects.toThrow(offline);
    const locked = project(
      'older locked',
      { targets: ['linux/amd64'] },
      {
        lockfileVersion: 1,
        zig: {
          spec: 'default',
          version: '0.14.1',
          hosts: { [zigHostKey()]: { file: 'zig.tar.xz', size: 1, sha256: 'a'.repeat(64) } },
        },
        targets: ['linux/amd64'],
      },
    );
    await expect(xcc.projectToolchain({ target: TARGET, cwd: locked, env })).rejects.toThrow(offline);
  });
});
