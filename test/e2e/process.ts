import { readFileSync } from 'node:fs';
import { startCollecting } from '../support/builds.js';

export interface Finished {
  command: string;
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** True when the time limit killed it. */
  timedOut: boolean;
}

/**
 * Runs a command without blocking the event loop (several rows build at once), kills it after
 * `timeoutMs` (a program that hangs under QEMU or Wine must not hang the suite).
 */
export async function exec(
  command: string,
  args: readonly string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs: number },
): Promise<Finished> {
  const { child, closed } = startCollecting(command, args, { cwd: options.cwd, env: options.env });
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill('SIGKILL');
  }, options.timeoutMs);
  const { status, signal, stdout, stderr } = await closed.finally(() => clearTimeout(timer));
  return { command: [command, ...args].join(' '), exitCode: status, signal, stdout, stderr, timedOut };
}

/** One line on why a command failed, with the end of its output (Go and zig put the cause last). */
export function failure(result: Finished): string {
  const how = result.timedOut
    ? 'timed out'
    : result.signal
      ? `killed by ${result.signal}`
      : `exit ${result.exitCode}`;
  const output = `${result.stderr}\n${result.stdout}`.trim().split('\n').slice(-15).join('\n');
  return `${result.command}: ${how}\n${output}`;
}

/**
 * CPU seconds (user + system) of the children this process has waited for, from /proc/self/stat
 * (cutime, cstime): what the builds cost regardless of how busy the machine was.
 */
export function childCpuSeconds(): number {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  // Fields after the command name (which may hold spaces) start at field 3, `state`.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticksPerSecond = 100;
  return (Number(fields[13]) + Number(fields[14])) / ticksPerSecond;
}
