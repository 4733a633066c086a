import { execa } from 'execa';
import type { Clock } from '../clock.js';
import type { Env } from '../home.js';

/**
 * One check of `xcc doctor`: what was looked at, how it went, and the command that fixes it.
 *
 * pass: fine. warn: xcc's own builds work, but something is likely to bite (a build outside xcc, a
 * source that is down while others are up, little disk left). fail: a build through xcc fails or
 * produces the wrong binary. skip: not applicable here (offline, not asked for).
 */
export type CheckStatus = 'pass' | 'warn' | 'fail' | 'skip';

export interface CheckResult {
  /** Stable, for --json and scripts: `go`, `go-env:CC`, `zig:0.15.2`, `net:pypi`, `target:linux/arm64`. */
  id: string;
  title: string;
  status: CheckStatus;
  /** One line: what was found. */
  detail: string;
  /** What to run or change, when the status is warn or fail. */
  fix?: string;
  durationMs?: number;
}

export interface CommandResult {
  /** Null when the program could not be started (not found, not executable) or was killed. */
  exitCode: number | null;
  stdout: string;
  stderr: string;
  /** Why it did not run or finish: `not found`, `timed out`... */
  problem?: string;
}

/** Runs a program without a shell. Injectable so that embedders can run checks elsewhere (a container). */
export type CommandRunner = (
  file: string,
  args: readonly string[],
  options: { env: Env; cwd?: string; timeoutMs: number },
) => Promise<CommandResult>;

export const runCommand: CommandRunner = async (file, args, options) => {
  const result = await execa(file, args, {
    env: options.env as NodeJS.ProcessEnv,
    extendEnv: false,
    cwd: options.cwd,
    timeout: options.timeoutMs,
    reject: false,
    stdin: 'ignore',
  });
  const stdout = String(result.stdout ?? '');
  const stderr = String(result.stderr ?? '');
  if (result.exitCode !== undefined && !result.timedOut) return { exitCode: result.exitCode, stdout, stderr };
  const code = (result.cause as NodeJS.ErrnoException | undefined)?.code;
  const problem = result.timedOut
    ? `timed out after ${Math.round(options.timeoutMs / 1000)}s`
    : code === 'ENOENT'
      ? 'not found'
      : code === 'EACCES'
        ? 'not executable'
        : (result.shortMessage ?? 'did not run');
  return { exitCode: null, stdout, stderr, problem };
};

/** The first non-empty line of a program's error output, for one-line details. */
export function firstLine(text: string): string {
  return (
    text
      .split('\n')
      .map((line) => line.trim())
      .find((line) => line !== '') ?? ''
  );
}

/** Runs a step and says how long it took, by the caller's monotonic clock. */
export async function timed<T>(clock: Clock, step: () => Promise<T>): Promise<[T, number]> {
  const started = clock.monotonic();
  const value = await step();
  return [value, Math.round(clock.monotonic() - started)];
}
