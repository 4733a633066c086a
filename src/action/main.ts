import { appendToGithub } from '../cli/commands/env.js';
import { stderrReporter } from '../cli/progress.js';
import { isXccError, XccError } from '../errors.js';
import type { Env } from '../home.js';
import { redactUrls } from '../redact.js';
import { projectToolchain } from '../toolchain/project-toolchain.js';
import type { Toolchain } from '../toolchain/provision.js';
import { type ActionPlan, actionPlan } from './plan.js';
import { runnerFile, setOutputs, workflowCommand } from './runner.js';

/**
 * The GitHub Action's entry (action.yml, bundled into dist-action/index.cjs). action.yml is a composite
 * of three steps, so that restoring and saving the cache needs no step of the user's: `plan` checks the
 * inputs and prints where xcc's directory is and its cache key, actions/cache restores it (and saves it
 * when the job ends, zig's libc builds included), and `setup` installs the Zig, writes each target's
 * toolchain and exports the environment as `xcc env --format github` does.
 */
export type ActionStep = 'plan' | 'setup';

/** Outputs of the `setup` step, which action.yml passes on (a test holds the two together). */
export const SETUP_OUTPUTS = ['zig-version', 'zig', 'targets', 'bin'] as const;
/** Outputs of the `plan` step. */
export const PLAN_OUTPUTS = ['cache-dir', 'cache-key', 'restore-key', 'cache'] as const;

/** Runs one step; sets process.exitCode (the runner fails the step on anything but 0). */
export async function run(step: ActionStep, env: Env = process.env): Promise<void> {
  try {
    checkNode();
    const plan = actionPlan(env);
    if (step === 'plan') await planStep(plan, env);
    else await setupStep(plan, env);
  } catch (error) {
    process.exitCode = report(error, env);
  }
}

async function planStep(plan: ActionPlan, env: Env): Promise<void> {
  const outputs: Record<(typeof PLAN_OUTPUTS)[number], string> = {
    'cache-dir': plan.home,
    'cache-key': plan.cacheKey,
    'restore-key': plan.restoreKey,
    cache: String(plan.cache),
  };
  await setOutputs(env, outputs);
  process.stdout.write(
    `xcc: ${plan.ids.join(', ')}; xcc's directory ${plan.home}${plan.cache ? `, cache key ${plan.cacheKey}` : ' (not cached)'}\n`,
  );
}

/**
 * One job has one environment: with one target it is exported (GOOS, CC... and the wrappers on PATH),
 * ready for `go build`; with several, each gets its toolchain and only XCC_HOME is exported, for xcc
 * commands that set each target's environment themselves (`xcc exec`, `xcc build`).
 */
async function setupStep(plan: ActionPlan, env: Env): Promise<void> {
  // Both files are checked before the Zig is downloaded.
  runnerFile(env, 'GITHUB_ENV');
  runnerFile(env, 'GITHUB_OUTPUT');
  const toolchainEnv = { ...env, XCC_HOME: plan.home };
  process.stdout.write(workflowCommand('group', `xcc: Zig and toolchains for ${plan.ids.join(', ')}`));
  const reporter = stderrReporter({}, env);
  const toolchains: Toolchain[] = [];
  try {
    for (const target of plan.requests) {
      // The first target installs the Zig the project (or the input) chooses; the others use that one.
      const spec = toolchains[0]?.zig.version ?? plan.spec;
      const toolchain = await projectToolchain({
        target,
        spec,
        cwd: plan.cwd,
        home: plan.home,
        env: toolchainEnv,
        onEvent: reporter.handle,
      });
      toolchains.push(toolchain);
      process.stdout.write(`xcc: ${toolchain.target.id}: ${toolchain.bin}\n`);
    }
  } finally {
    reporter.close();
    process.stdout.write(workflowCommand('endgroup'));
  }
  const [first] = toolchains;
  const only = toolchains.length === 1 ? first : undefined;
  await appendToGithub({ XCC_HOME: plan.home, ...(only?.env ?? {}) }, only ? [only.bin] : [], undefined);
  const outputs: Record<(typeof SETUP_OUTPUTS)[number], string> = {
    'zig-version': first!.zig.version,
    zig: first!.zig.zig,
    targets: JSON.stringify(toolchains.map((toolchain) => toolchain.target.id)),
    bin: only?.bin ?? '',
  };
  await setOutputs(env, outputs);
}

/** dist-action/index.cjs runs on the `node` on the runner's PATH; xcc needs what package.json's engines says. */
export function checkNode(version: string = process.versions.node): void {
  const [major = 0, minor = 0] = version.split('.').map(Number);
  if ((major === 20 && minor >= 19) || (major === 22 && minor >= 12) || major > 22) return;
  throw new XccError(
    `xcc needs Node.js 20.19+ or 22.12+ as 'node' on PATH, found v${version}; add actions/setup-node before this step`,
  );
}

/** The library's option names as this Action's user writes them (XccError.option). */
const OPTION_SPELLINGS: Record<string, string> = { macosSdk: '--macos-sdk (in the targets input)' };

/** One `::error::` line (the runner shows it on the run's page); the stack only with debug logging on. */
function report(error: unknown, env: Env): 1 | 2 {
  const debug = env.RUNNER_DEBUG === '1';
  const spelling =
    isXccError(error) && error.option !== undefined ? OPTION_SPELLINGS[error.option] : undefined;
  const message = isXccError(error)
    ? spelling === undefined
      ? error.message
      : error.messageFor(spelling)
    : `internal error: ${error instanceof Error ? error.message : String(error)} (re-run with debug logging for details)`;
  process.stdout.write(workflowCommand('error', redactUrls(`xcc: ${message}`)));
  if (debug && error instanceof Error && error.stack) process.stderr.write(`${redactUrls(error.stack)}\n`);
  return isXccError(error) ? error.exitCode : 1;
}
