import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { runXcc } from './cli.js';
import type { TestZig } from './test-zig.js';
import { zigIndex } from './zig-mirror.js';

/**
 * The test Zig served by Python's `http.server`: a plain HTTP/1.0 server that closes the connection after
 * each response, as many small mirrors and some proxies do. Not our server on purpose: its pace and the
 * way it ends a response are Python's. Layout: `/download/index.json` (the test index) and a flat
 * community mirror under `/zig/` (`<file>`, `<file>.minisig`).
 */
export interface PythonMirror {
  /** `http://127.0.0.1:<port>` */
  url: string;
  /** What XCC_ZIG_MIRROR is given. */
  mirror: string;
  /** What XCC_ZIG_INDEX is given. */
  index: string;
  close(): Promise<void>;
}

export async function startPythonMirror(zig: TestZig): Promise<PythonMirror> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'xcc-python-mirror-'));
  await mkdir(path.join(root, 'zig'));
  await mkdir(path.join(root, 'download'));
  const { release } = zig;
  await symlink(release.path, path.join(root, 'zig', release.fileName));
  await symlink(release.signaturePath, path.join(root, 'zig', `${release.fileName}.minisig`));
  const server = spawn(
    'python3',
    ['-u', '-m', 'http.server', '--bind', '127.0.0.1', '--directory', root, '0'],
    {
      stdio: ['ignore', 'pipe', 'ignore'],
    },
  );
  const port = await new Promise<number>((resolve, reject) => {
    let printed = '';
    server.once('error', reject);
    server.once('exit', (code) => reject(new Error(`python3 -m http.server exited (${code}): ${printed}`)));
    server.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      printed += chunk;
      const port = / port (\d+) /.exec(printed)?.[1];
      if (port) resolve(Number(port));
    });
  });
  const url = `http://127.0.0.1:${port}`;
  await writeFile(path.join(root, 'download', 'index.json'), JSON.stringify(zigIndex(url, [release])));
  return {
    url,
    mirror: `${url}/zig`,
    index: `${url}/download/index.json`,
    close: async () => {
      const exited = new Promise((resolve) => server.once('exit', resolve));
      server.kill();
      await exited;
      await rm(root, { recursive: true, force: true });
    },
  };
}

export interface ColdInstall {
  exitCode: number | null;
  stderr: string;
  seconds: number;
}

/** One `xcc install` from the Python mirror alone, into a fresh XCC_HOME (removed afterwards). */
export async function coldInstallFrom(mirror: PythonMirror, zig: TestZig): Promise<ColdInstall> {
  const home = await mkdtemp(path.join(os.tmpdir(), 'xcc-python-mirror-home-'));
  const started = performance.now();
  try {
    const result = await runXcc(['install', zig.version, '--source', 'mirror'], {
      env: {
        XCC_HOME: home,
        XCC_ZIG_INDEX: mirror.index,
        XCC_ZIG_MIRROR: mirror.mirror,
        XCC_ZIG_PUBKEY: zig.key.publicKey,
      },
    });
    return {
      exitCode: result.exitCode,
      stderr: result.stderr,
      seconds: (performance.now() - started) / 1000,
    };
  } finally {
    await rm(home, { recursive: true, force: true });
  }
}
