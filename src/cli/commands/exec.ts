import { type ChildProcess, spawn } from 'node:child_process';
import { statSync } from 'node:fs';
import { constants } from 'node:os';
import path from 'node:path';
import type { CAC, Command } from 'cac';
import { UsageError } from '../../errors.js';
import { checkBuildModeForLibc, goBuildMode, mayLinkC } from '../../go-build-mode.js';
import type { TargetRequest } from '../../resolve/index.js';
import { projectToolchain } from '../../toolchain/project-toolchain.js';
import type { Toolchain } from '../../toolchain/provision.js';
import { firstBuildNotice } from '../first-build.js';
import { textValue } from '../option-text.js';
import { stderrReporter } from '../progress.js';
import { writeStderrLine } from '../stdout.js';
import { addTargetOptions, singleValue, type TargetOptionValues, targetRequest } from '../target-options.js';

export type ExecFlags = TargetOptionValues & {
  zig?: string[];
  quiet?: boolean;
  qemuSysroot?: string[];
  '--'?: string[];
};

const FORWARDED_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

export function registerExec(cli: CAC): void {
  const command = cli.command('exec <target>', 'Run a command (after --) with the environment of TARGET');
  addTargetOptions(addRunOptions(command))
    .example('  xcc exec linux/arm64 -- go build -o app-linux-arm64 .')
    .example('  xcc exec linux/arm64 -- go test ./...          # runs the tests under qemu-aarch64')
    .example('  xcc exec windows/amd64 -- go build -o app.exe .')
    .example('  xcc exec linux/amd64 --glibc=2.28 -- go test -c -o app.test ./...')
    .action(async (target: string, flags: ExecFlags) => {
      const [program, ...args] = flags['--'] ?? [];
      if (program === undefined) {
        throw new UsageError(`give the command after --, like 'xcc exec ${target} -- go build .'`);
      }
      const { toolchain, runnerEnv, request } = await toolchainFor(target, flags);
      // GOFLAGS as go will see it.
      checkBuildModeForLibc(
        goBuildMode(program, args, { ...process.env, ...toolchain.env }),
        toolchain.target,
      );
      const notice =
        flags.quiet || !mayLinkC(program, args) ? undefined : firstBuildNotice(toolchain, request);
      await run(
        program,
        args,
        { ...toolchain.env, ...runnerEnv, ...withRunners(toolchain) },
        notice === undefined ? undefined : () => writeStderrLine(notice),
      );
    });
}

/** The options `xcc exec` and `xcc run` share, beside the target options. */
export function addRunOptions(command: Command): Command {
  return command
    .option('--zig <spec>', 'Zig version spec (default: the project lock or config, else the pinned Zig)', {
      type: [textValue],
    })
    .option('--quiet', 'No progress output while provisioning')
    .option(
      '--qemu-sysroot <dir>',
      "The target's glibc for qemu -L (default: where libc6-<arch>-cross or sys-root packages put it)",
      { type: [textValue] },
    );
}

/**
 * The toolchain of the command line's target (progress on stderr while it is provisioned), and what the
 * runner takes from the command line (--qemu-sysroot), checked first.
 */
export async function toolchainFor(
  target: string,
  flags: ExecFlags,
): Promise<{ toolchain: Toolchain; runnerEnv: Record<string, string>; request: TargetRequest }> {
  const request = targetRequest(target, flags);
  const runnerEnv = qemuSysrootEnv(flags);
  const reporter = stderrReporter(flags);
  try {
    const toolchain = await projectToolchain({
      target: request,
      spec: singleValue('--zig', flags.zig),
      onEvent: reporter.handle,
    });
    return { toolchain, runnerEnv, request };
  } finally {
    reporter.close();
  }
}

/**
 * `--qemu-sysroot DIR` as QEMU reads it (QEMU_LD_PREFIX, its -L), for the runners of glibc targets: an
 * absolute path, since go test runs programs in each package's directory. Not `--sysroot`: that names
 * what C code compiles against, this what programs load at run time (often the same directory, not always).
 */
export function qemuSysrootEnv(flags: { qemuSysroot?: string[] }): Record<string, string> {
  const dir = singleValue('--qemu-sysroot', flags.qemuSysroot);
  if (dir === undefined) return {};
  if (!statSync(dir, { throwIfNoEntry: false })?.isDirectory()) {
    throw new UsageError(
      `--qemu-sysroot ${dir} is not a directory; give the root of the target's glibc, like /usr/aarch64-linux-gnu`,
    );
  }
  return { QEMU_LD_PREFIX: path.resolve(dir) };
}

/**
 * PATH with the wrapper directory first: Go finds the runner there (go_GOOS_GOARCH_exec), so go test and
 * go run need no -exec flag. The wrappers' GNU cross names shadow nothing of the host's.
 */
export function withRunners(toolchain: { bin: string; tools: Record<string, string> }): { PATH?: string } {
  // No runner on Windows hosts (no sh), so PATH (spelt Path there) is left alone.
  if (toolchain.tools.exec === undefined) return {};
  const current = process.env.PATH;
  return { PATH: current ? `${toolchain.bin}${path.delimiter}${current}` : toolchain.bin };
}

/**
 * Why the command did not start, in one line with the fix (Node's own error names only the syscall).
 */
function cannotRun(program: string, code: string | undefined): string {
  switch (code) {
    case 'ENOENT':
      return program.includes('/')
        ? `cannot run ${program}: no such file (ENOENT); check the path`
        : `cannot run ${program}: not found on PATH (ENOENT); check its name, or give its path (./${program})`;
    case 'EACCES':
      return statSync(program, { throwIfNoEntry: false })?.isDirectory()
        ? `cannot run ${program}: it is a directory (EACCES); name the program inside it`
        : `cannot run ${program}: permission denied (EACCES); make it executable (chmod +x ${program}) or run it through its interpreter`;
    default:
      return `cannot run ${program}: the system refused to start it (${code ?? 'unknown error'})`;
  }
}

/**
 * Runs the command directly (no shell: arguments arrive exactly as given), passes signals on, and exits
 * the way it did: with its exit code, or killed by the same signal.
 *
 * node:child_process rather than execa: this is the path of every build, and loading execa (about 150
 * files of node_modules) cost more than the rest of a warm `xcc exec` (`npm run bench`, case exec). With
 * stdio inherited there is no output to collect, which is what execa is for.
 */
export async function run(
  program: string,
  args: string[],
  env: Record<string, string>,
  /** Called once the command has started: a line said before it would precede a failure to start. */
  onStart?: () => void,
): Promise<void> {
  // The handlers go in before the spawn: from the moment the command can run (and, say, print that it
  // is ready), a signal to xcc must reach it, not kill xcc and orphan it. Handlers run on the event
  // loop, so none can see `child` unset unless spawn threw. The child decides what a signal means (go
  // build cleans up on SIGINT): it gets the signal, and nothing kills it after a delay.
  let child: ChildProcess | undefined;
  const forward = (signal: NodeJS.Signals) => child?.kill(signal);
  for (const signal of FORWARDED_SIGNALS) process.on(signal, forward);
  let ended: Promise<Ended>;
  try {
    const started = spawn(program, args, { env: { ...process.env, ...env }, stdio: 'inherit' });
    child = started;
    // A command that cannot start gets 'error' (then 'close'); one that ran, 'exit'.
    ended = new Promise((resolve) => {
      started.once('error', (error: NodeJS.ErrnoException) => resolve({ startError: error.code }));
      started.once('exit', (code, signal) => resolve({ code, signal }));
    });
    if (onStart !== undefined) started.once('spawn', onStart);
  } catch (error) {
    // Refused before there was a process: an argument list over the system's limit (E2BIG).
    ended = Promise.resolve({ startError: (error as NodeJS.ErrnoException).code });
  }
  const result = await ended;
  for (const signal of FORWARDED_SIGNALS) process.off(signal, forward);
  if ('startError' in result) throw new UsageError(cannotRun(program, result.startError));
  if (result.signal !== null) {
    // Where the signal does not end xcc, the status a shell gives: Node ignores SIGPIPE, and starts its
    // debugger on SIGUSR1 (so that one is not raised at all). Either way a failed command never reads as 0.
    process.exitCode = 128 + constants.signals[result.signal];
    if (result.signal !== 'SIGUSR1') process.kill(process.pid, result.signal);
    return;
  }
  process.exitCode = result.code ?? 1;
}

type Ended = { startError: string | undefined } | { code: number | null; signal: NodeJS.Signals | null };
