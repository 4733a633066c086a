import { runAsync, startCollecting } from './builds.js';
import { cliBin } from './paths.js';

export interface CliResult {
  exitCode: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs the built CLI as a user would (`node bin/xcc.cjs ...`), with exactly the environment given on top
 * of the test process's (whose XCC_* variables setup.ts already cleared).
 */
export async function runXcc(
  args: readonly string[],
  options: { env?: Record<string, string | undefined>; cwd?: string; input?: string } = {},
): Promise<CliResult> {
  const ran = await runAsync(process.execPath, [cliBin, ...args], {
    cwd: options.cwd,
    env: { ...process.env, ...options.env },
    input: options.input,
  });
  return { exitCode: ran.status, stdout: ran.stdout, stderr: ran.stderr };
}

export interface RunningXcc {
  pid: number;
  /** Settles when the process has exited, with its output; `signal` when it was killed. */
  exited: Promise<CliResult & { signal: NodeJS.Signals | null }>;
  /** Resolves once stderr contains `text`; rejects if the process exits first. */
  printed(text: string | RegExp): Promise<void>;
  stderr(): string;
  /** SIGKILL: no handler, no cleanup, as a crash or the OOM killer would end it. */
  kill(): void;
}

/** Starts the built CLI without waiting for it, for tests that watch it or kill it midway. */
export function startXcc(
  args: readonly string[],
  options: { env?: Record<string, string | undefined> } = {},
): RunningXcc {
  const { child, output, closed } = startCollecting(process.execPath, [cliBin, ...args], {
    env: { ...process.env, ...options.env },
  });
  const exited = closed.then(({ status, signal, stdout, stderr }) => ({
    exitCode: status,
    signal,
    stdout,
    stderr,
  }));
  const seen = (text: string | RegExp) =>
    typeof text === 'string' ? output.stderr.includes(text) : text.test(output.stderr);
  return {
    pid: child.pid ?? -1,
    exited,
    stderr: () => output.stderr,
    printed: (text) =>
      new Promise<void>((resolve, reject) => {
        const check = () => {
          if (seen(text)) resolve();
        };
        child.stderr!.on('data', check);
        exited.then(() =>
          seen(text) ? resolve() : reject(new Error(`xcc exited before printing ${text}: ${output.stderr}`)),
        );
        check();
      }),
    kill: () => {
      child.kill('SIGKILL');
    },
  };
}

/**
 * stderr without the line `xcc env`/`xcc exec` print before a target's first build (src/cli/first-build.ts),
 * for tests whose subject is something else and whose zig cache has never linked for the target.
 */
export function withoutFirstBuildNotice(stderr: string): string {
  return stderr.replace(/^xcc: the first cgo build for .*\n/m, '');
}
