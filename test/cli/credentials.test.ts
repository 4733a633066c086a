import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliResult, runXcc } from '../support/cli.js';
import { type MirrorServer, startMirrorServer } from '../support/mirror-server.js';
import { needTestZig, providedTestZig } from '../support/provided-zig.js';
import { startZigMirror, type ZigMirror } from '../support/zig-mirror.js';

/**
 * Credentials in a mirror or index URL (`https://user:secret@host/...`, `?token=secret`) are never printed
 * and never written to disk: after install, a failed install (with --debug), doctor and lock, every byte
 * of stdout, stderr and every file under the cache (and the project's lock file) is searched for them.
 */

const PASSWORD = 'pw-9f3c1d';
const USER_TOKEN = 'ghp-7a2b5e';
const QUERY_TOKEN = 'tok-4e8d0a';
const SECRETS = [PASSWORD, USER_TOKEN, QUERY_TOKEN];

let mirror: ZigMirror;
let broken: MirrorServer;
const dirs: string[] = [];

beforeAll(async () => {
  const zig = providedTestZig();
  if (!zig) return;
  mirror = await startZigMirror(zig, { layout: 'ziglang.org', artifacts: [zig.release] });
  mirror.setFile('/simple/ziglang/', '<html><body></body></html>');
  broken = await startMirrorServer();
  broken.fault('*', { kind: 'status', status: 503 });
});

afterAll(async () => {
  await Promise.all([mirror, broken].filter(Boolean).map((server) => server.close()));
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

/** `http://<credentials>@127.0.0.1:<port><path>` */
function withCredentials(server: MirrorServer, credentials: string, urlPath: string): string {
  return `${server.url.replace('://', `://${credentials}@`)}${urlPath}`;
}

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'xcc-credentials-'));
  dirs.push(dir);
  return dir;
}

/** Files under `dir` (recursively, binary ones included) that contain any secret. */
function filesWithSecrets(dir: string): string[] {
  const grep = spawnSync('grep', ['-rlaF', ...SECRETS.flatMap((secret) => ['-e', secret]), dir], {
    encoding: 'utf8',
  });
  expect(grep.status, grep.stderr).not.toBe(2);
  return grep.stdout.split('\n').filter(Boolean);
}

/** Where a secret showed: `<step> stdout`, `<step> stderr`, or a file. Asserted once, at the end. */
const leaks: string[] = [];

function checkOutput(step: string, result: CliResult) {
  for (const stream of ['stdout', 'stderr'] as const) {
    if (SECRETS.some((secret) => result[stream].includes(secret))) leaks.push(`${step} ${stream}`);
  }
}

describe('credentials in mirror and index URLs', { timeout: 300_000 }, () => {
  it('are neither printed nor stored by install, a failed install, doctor and lock', async (context) => {
    const zig = needTestZig(context);
    const homes = await tempDir();
    const home = path.join(homes, 'home');
    const env = {
      XCC_HOME: home,
      XCC_ZIG_PUBKEY: zig.key.publicKey,
      XCC_ZIG_INDEX: `${withCredentials(mirror, `user:${PASSWORD}`, '/download/index.json')}?token=${QUERY_TOKEN}`,
      XCC_ZIG_MIRROR: [
        withCredentials(broken, USER_TOKEN, '/zig'),
        withCredentials(mirror, `user:${PASSWORD}`, `/download/${zig.version}`),
      ].join(','),
    };

    // The broken mirror fails first (retries shown), the second one serves the file.
    const installed = await runXcc(['install', zig.version, '--source', 'mirror'], { env });
    expect(installed.exitCode, installed.stderr).toBe(0);
    expect(installed.stderr).toMatch(/retrying in/);
    checkOutput('install', installed);

    const failed = await runXcc(['install', '0.14.1', '--source', 'mirror', '--debug'], {
      env: {
        ...env,
        XCC_HOME: path.join(homes, 'home-failed'),
        XCC_ZIG_MIRROR: withCredentials(broken, USER_TOKEN, '/zig'),
      },
    });
    expect(failed.exitCode).toBe(1);
    expect(failed.stderr).toContain('every source failed');
    checkOutput('failed install', failed);

    const doctor = await runXcc(['doctor', '--json'], {
      env: { ...env, PIP_INDEX_URL: withCredentials(mirror, `__token__:${PASSWORD}`, '/simple') },
    });
    checkOutput('doctor', doctor);

    const project = await tempDir();
    await writeFile(
      path.join(project, 'xcc.json'),
      JSON.stringify({ zig: zig.version, targets: ['linux/arm64'] }),
    );
    const locked = await runXcc(['lock'], { env, cwd: project });
    expect(locked.exitCode, locked.stderr).toBe(0);
    checkOutput('lock', locked);
    await readFile(path.join(project, 'xcc.lock.json'), 'utf8');

    const lockFailed = await runXcc(['lock', '--debug'], {
      env: { ...env, XCC_ZIG_INDEX: withCredentials(broken, `user:${PASSWORD}`, '/index.json') },
      cwd: project,
    });
    expect(lockFailed.exitCode).toBe(1);
    checkOutput('failed lock', lockFailed);

    leaks.push(...filesWithSecrets(homes), ...filesWithSecrets(project));
    expect(leaks).toEqual([]);
    // The URLs are still shown, with the credentials hidden.
    expect(installed.stderr).toContain('http://****@127.0.0.1:');
    expect(doctor.stdout).toContain('****@127.0.0.1');
    expect(lockFailed.stderr).toContain('cannot fetch http://****@127.0.0.1:');
  });
});
