import { randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { runAsync } from './builds.js';
import { parseGithubEnv } from './env-readers.js';

/**
 * A composite action's steps run as the GitHub Actions runner runs them (actions/runner: the
 * composite step runner and its file commands), for the parts action.yml uses:
 * - `${{ inputs.NAME }}` (the `with:` value, else the input's default) and `${{ steps.ID.outputs.NAME }}`
 *   in `env:`, `with:` and outputs; an `if:` of the form `steps.ID.outputs.NAME == 'VALUE'`;
 * - a `run:` step with `shell: node {0}`: the script written to a file in RUNNER_TEMP and run by the
 *   `node` on PATH, in GITHUB_WORKSPACE, with fresh GITHUB_OUTPUT, GITHUB_ENV and GITHUB_PATH files whose
 *   contents apply to the steps after it (variables set, directories put first on PATH);
 * - a `uses:` step is not run (GitHub's services, actions/cache's included, are not reachable here): it is
 *   recorded with its evaluated `with:`.
 * Anything else in action.yml throws, so that the test notices when action.yml outgrows this.
 */
export interface ActionStep {
  id: string;
  shell?: string;
  run?: string;
  uses?: string;
  if?: string;
  env?: Record<string, string>;
  with?: Record<string, string>;
}

export interface ActionYml {
  inputs: Record<string, { description?: string; required?: boolean; default?: string }>;
  outputs: Record<string, { description?: string; value: string }>;
  runs: { using: string; steps: ActionStep[] };
}

export interface StepResult {
  id: string;
  /** `skipped` when its `if:` was false or an earlier step failed; `recorded` for a `uses:` step. */
  outcome: 'success' | 'failure' | 'skipped' | 'recorded';
  exitCode?: number | null;
  stdout: string;
  stderr: string;
  outputs: Record<string, string>;
  /** A `uses:` step: the action and its evaluated `with:`. */
  uses?: string;
  with?: Record<string, string>;
  /** What the step appended to GITHUB_ENV and GITHUB_PATH, as written. */
  githubEnv: string;
  githubPath: string;
}

export interface CompositeRun {
  steps: StepResult[];
  /** The action's outputs (action.yml `outputs:`), evaluated after its steps. */
  outputs: Record<string, string>;
  /** The job's environment for the steps after the action: the base env with GITHUB_ENV and GITHUB_PATH applied. */
  jobEnv: NodeJS.ProcessEnv;
}

export interface RunnerDirs {
  temp: string;
  toolCache: string;
  workspace: string;
}

export async function runCompositeAction(
  action: ActionYml,
  options: { actionPath: string; inputs: Record<string, string>; env: NodeJS.ProcessEnv; dirs: RunnerDirs },
): Promise<CompositeRun> {
  if (action.runs.using !== 'composite') throw new Error(`not a composite action: ${action.runs.using}`);
  const { dirs } = options;
  const commands = path.join(dirs.temp, '_runner_file_commands');
  mkdirSync(commands, { recursive: true });
  const inputs = Object.fromEntries(
    Object.entries(action.inputs).map(([name, spec]) => [name, options.inputs[name] ?? spec.default ?? '']),
  );
  for (const name of Object.keys(options.inputs)) {
    // The runner warns and ignores an unexpected input; a test passing one has a typo.
    if (!(name in action.inputs)) throw new Error(`action.yml has no input '${name}'`);
  }
  const stepOutputs: Record<string, Record<string, string>> = {};
  const evaluate = (text: string) =>
    text.replace(/\$\{\{\s*(.*?)\s*\}\}/g, (_, expression: string) => value(expression, inputs, stepOutputs));
  let jobEnv: NodeJS.ProcessEnv = {
    ...options.env,
    GITHUB_ACTIONS: 'true',
    CI: 'true',
    RUNNER_OS: 'Linux',
    RUNNER_ARCH: 'X64',
    RUNNER_TEMP: dirs.temp,
    RUNNER_TOOL_CACHE: dirs.toolCache,
    GITHUB_WORKSPACE: dirs.workspace,
  };
  const steps: StepResult[] = [];
  let failed = false;
  for (const step of action.runs.steps) {
    const result: StepResult = {
      id: step.id,
      outcome: 'skipped',
      stdout: '',
      stderr: '',
      outputs: {},
      githubEnv: '',
      githubPath: '',
    };
    steps.push(result);
    stepOutputs[step.id] = result.outputs;
    if (failed || (step.if !== undefined && !condition(step.if, inputs, stepOutputs))) continue;
    if (step.uses !== undefined) {
      result.outcome = 'recorded';
      result.uses = step.uses;
      result.with = Object.fromEntries(
        Object.entries(step.with ?? {}).map(([key, text]) => [key, evaluate(String(text))]),
      );
      continue;
    }
    if (step.shell !== 'node {0}' || step.run === undefined)
      throw new Error(`step ${step.id}: this runner runs only 'shell: node {0}' steps`);
    const id = randomUUID();
    const files = {
      GITHUB_OUTPUT: path.join(commands, `set_output_${id}`),
      GITHUB_ENV: path.join(commands, `set_env_${id}`),
      GITHUB_PATH: path.join(commands, `add_path_${id}`),
    };
    for (const file of Object.values(files)) writeFileSync(file, '');
    const script = path.join(dirs.temp, id);
    writeFileSync(script, evaluate(step.run));
    const stepEnv = Object.fromEntries(
      Object.entries(step.env ?? {}).map(([name, text]) => [name, evaluate(String(text))]),
    );
    const ran = await runAsync('node', [script], {
      cwd: dirs.workspace,
      env: { ...jobEnv, ...stepEnv, ...files, GITHUB_ACTION_PATH: options.actionPath },
    });
    result.exitCode = ran.status;
    result.stdout = ran.stdout;
    result.stderr = ran.stderr;
    Object.assign(result.outputs, parseGithubEnv(readFileSync(files.GITHUB_OUTPUT, 'utf8')));
    result.githubEnv = readFileSync(files.GITHUB_ENV, 'utf8');
    result.githubPath = readFileSync(files.GITHUB_PATH, 'utf8');
    // The runner applies a step's file commands whether or not it succeeded.
    const added = result.githubPath.split(/\r?\n/).filter((line) => line !== '');
    jobEnv = {
      ...jobEnv,
      ...parseGithubEnv(result.githubEnv),
      ...(added.length > 0 ? { PATH: [...added.reverse(), jobEnv.PATH].join(path.delimiter) } : {}),
    };
    result.outcome = ran.status === 0 ? 'success' : 'failure';
    failed = ran.status !== 0;
  }
  const outputs = Object.fromEntries(
    Object.entries(action.outputs).map(([name, spec]) => [name, evaluate(spec.value)]),
  );
  return { steps, outputs, jobEnv };
}

function value(
  expression: string,
  inputs: Record<string, string>,
  steps: Record<string, Record<string, string>>,
): string {
  const input = /^inputs\.([\w-]+)$/.exec(expression);
  if (input) {
    if (!(input[1]! in inputs)) throw new Error(`\${{ ${expression} }}: action.yml has no such input`);
    return inputs[input[1]!]!;
  }
  const output = /^steps\.([\w-]+)\.outputs\.([\w-]+)$/.exec(expression);
  if (output) {
    if (!(output[1]! in steps)) throw new Error(`\${{ ${expression} }}: no step ${output[1]} before this`);
    return steps[output[1]!]![output[2]!] ?? '';
  }
  throw new Error(`\${{ ${expression} }}: this runner knows inputs.* and steps.*.outputs.* only`);
}

function condition(
  text: string,
  inputs: Record<string, string>,
  steps: Record<string, Record<string, string>>,
): boolean {
  const match = /^(\S+) == '([^']*)'$/.exec(text.trim());
  if (!match) throw new Error(`if: ${text}: this runner knows "EXPRESSION == 'VALUE'" only`);
  return value(match[1]!, inputs, steps) === match[2];
}
