import { isXccError } from '../errors.js';
import { provision } from '../toolchain/provision.js';
import { type CheckResult, firstLine } from './check.js';
import type { TargetCheckOptions } from './target.js';

/**
 * Whether this host can run the target's programs (go test, go run, xcc run), and how: the toolchain's
 * runner says it itself (XCC_RUNNER_EXPLAIN), looking up what it would use the way it does when it runs,
 * so doctor and the runner cannot disagree. Nothing is run: a Wine prefix is made on the first real run.
 */
export async function checkRunner(
  options: Pick<TargetCheckOptions, 'request' | 'env' | 'home' | 'spec' | 'locked' | 'run'>,
): Promise<CheckResult> {
  const { request } = options;
  const id = `run:${request.target}`;
  const title = `run ${request.target}`;
  let runner: string | undefined;
  try {
    const toolchain = await provision({
      target: request,
      spec: options.spec,
      locked: options.locked,
      env: options.env,
      home: options.home,
    });
    runner = toolchain.tools.exec;
  } catch (error) {
    if (!isXccError(error)) throw error;
    return { id, title, status: 'skip', detail: 'no toolchain (see the build check)' };
  }
  if (runner === undefined) {
    return {
      id,
      title,
      status: 'skip',
      detail: 'no runners on Windows hosts: Go runs Windows programs itself',
    };
  }
  const explained = await options.run(runner, [], {
    env: { ...options.env, XCC_RUNNER_EXPLAIN: '1' },
    timeoutMs: 60_000,
  });
  const said = firstLine(explained.stdout) || firstLine(explained.stderr).replace(/^xcc: /, '');
  if (explained.exitCode === 0)
    return { id, title, status: 'pass', detail: `go test and xcc run use: ${said}` };
  // "cannot run linux/arm64 programs here: qemu-aarch64-static is not installed (Debian/Ubuntu: ...)".
  const [problem, fix] = splitFix(said || explained.problem || 'the runner did not say');
  return { id, title, status: 'warn', detail: problem, ...(fix === undefined ? {} : { fix }) };
}

/** The runner's line names the package in parentheses or after "install": that part is the fix. */
function splitFix(line: string): [string, string | undefined] {
  const install = line.match(/^(.*?); (install .*)$/);
  if (install) return [install[1]!, install[2]!];
  const named = line.match(/^(.*?) \((Debian\/Ubuntu: .*)\)$/);
  if (named) return [named[1]!, named[2]!];
  return [line, undefined];
}
