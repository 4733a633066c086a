import { statSync } from 'node:fs';
import path from 'node:path';
import type { CAC } from 'cac';
import { UsageError, XccError } from '../../errors.js';
import { addTargetOptions } from '../target-options.js';
import { addRunOptions, type ExecFlags, run, toolchainFor } from './exec.js';

/**
 * `xcc run TARGET -- ./program args`: runs a binary built for TARGET the way `go test` does under
 * `xcc exec` (the toolchain's runner: natively, under qemu-user or Wine), exiting as the program did.
 */
export function registerRun(cli: CAC): void {
  const command = cli.command(
    'run <target>',
    'Run a program built for TARGET (after --): natively, under qemu-user or Wine',
  );
  addTargetOptions(addRunOptions(command))
    .example('  xcc run linux/arm64 -- ./app-linux-arm64 --help')
    .example('  xcc run linux/arm64 --glibc=2.28 -- ./app.test -test.v')
    .example('  xcc run windows/amd64 -- ./app.exe')
    .action(async (target: string, flags: ExecFlags) => {
      const [program, ...args] = flags['--'] ?? [];
      if (program === undefined) {
        throw new UsageError(`give the program after --, like 'xcc run ${target} -- ./app'`);
      }
      const file = path.resolve(program);
      if (!statSync(file, { throwIfNoEntry: false })?.isFile()) {
        throw new UsageError(`cannot run ${program}: no such file; give the path of a built program`);
      }
      const { toolchain, runnerEnv } = await toolchainFor(target, flags);
      const runner = toolchain.tools.exec;
      if (runner !== undefined) return run(runner, [file, ...args], runnerEnv);
      // Windows hosts have no sh runner: what they run is what they run natively.
      const { runnerPlan } = await import('../../run/index.js');
      const plan = runnerPlan(toolchain.target, { platform: process.platform, arch: process.arch });
      if (plan.kind !== 'native') {
        throw new XccError(
          `cannot run ${toolchain.target.port} programs here: ${plan.kind === 'none' ? plan.reason : `${plan.kind} runners need a POSIX host`}`,
        );
      }
      return run(file, args, runnerEnv);
    });
}
