import { appendFile } from 'node:fs/promises';
import { UsageError, XccError } from '../errors.js';
import type { Env } from '../home.js';
import { renderGithubOutputs } from '../toolchain/render.js';

/**
 * The few parts of the GitHub Actions runner's protocol the Action uses, written here rather than taken
 * from @actions/core (a dependency for a few dozen lines): inputs from the environment, step outputs in
 * `$GITHUB_OUTPUT`, and workflow commands (`::group::`, `::error::`) on stdout.
 */

/**
 * An input as the runner passes it to an action: `INPUT_<NAME>`, the name uppercased with spaces turned
 * into `_` (hyphens stay: `INPUT_ZIG-VERSION`), trimmed as @actions/core's getInput trims it.
 */
export function inputEnvName(name: string): string {
  return `INPUT_${name.replace(/ /g, '_').toUpperCase()}`;
}

export function readInput(env: Env, name: string): string {
  return (env[inputEnvName(name)] ?? '').trim();
}

/** A boolean input as @actions/core's getBooleanInput reads it (YAML 1.2's core schema spellings). */
export function readBooleanInput(env: Env, name: string, fallback: boolean): boolean {
  const value = readInput(env, name);
  if (value === '') return fallback;
  if (['true', 'True', 'TRUE'].includes(value)) return true;
  if (['false', 'False', 'FALSE'].includes(value)) return false;
  throw new UsageError(`input '${name}' must be true or false, got '${value.slice(0, 40)}'`);
}

/** The file the runner named in `variable`, which must be set when the Action runs in a workflow. */
export function runnerFile(env: Env, variable: string): string {
  const file = env[variable];
  if (!file)
    throw new UsageError(
      `${variable} is not set: the xcc Action runs as a step of a GitHub Actions job (outside one, use 'xcc env TARGET')`,
    );
  return file;
}

export async function setOutputs(env: Env, outputs: Readonly<Record<string, string>>): Promise<void> {
  const file = runnerFile(env, 'GITHUB_OUTPUT');
  await appendFile(file, renderGithubOutputs(outputs)).catch((error: unknown) => {
    throw new XccError(`cannot write GITHUB_OUTPUT=${file} (${(error as NodeJS.ErrnoException).code})`, {
      cause: error,
    });
  });
}

/**
 * A workflow command's data: the runner reads `%`, CR and LF escaped (as @actions/core's issueCommand
 * writes them), so a message cannot end the command early or start another.
 */
export function commandData(text: string): string {
  return text.replaceAll('%', '%25').replaceAll('\r', '%0D').replaceAll('\n', '%0A');
}

export function workflowCommand(name: 'group' | 'endgroup' | 'error' | 'debug', text = ''): string {
  return `::${name}::${commandData(text)}\n`;
}
