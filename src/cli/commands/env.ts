import { appendFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type { CAC } from 'cac';
import { UsageError, XccError } from '../../errors.js';
import { writeFileAtomic } from '../../fs-atomic.js';
import { resolveTarget, subArchFields } from '../../resolve/index.js';
import { projectToolchain } from '../../toolchain/project-toolchain.js';
import {
  defaultEnvFormat,
  type EnvFormat,
  parseEnvFormat,
  renderEnv,
  renderGithubPath,
  renderUnset,
} from '../../toolchain/render.js';
import { chooseZig, namingZigVersion } from '../../toolchain/zig-choice.js';
import { zigHostKey } from '../../zig/host.js';
import { firstBuildNotice } from '../first-build.js';
import { textValue } from '../option-text.js';
import { stderrReporter } from '../progress.js';
import { writeStderrLine, writeStdout } from '../stdout.js';
import { addTargetOptions, singleValue, type TargetOptionValues, targetRequest } from '../target-options.js';

type EnvFlags = TargetOptionValues & {
  zig?: string[];
  format?: string[];
  write?: string[];
  unset?: boolean;
  reset?: boolean;
  quiet?: boolean;
};

export function registerEnv(cli: CAC): void {
  const command = cli
    .command('env [target]', 'Print the environment that makes go build cross-compile cgo for TARGET')
    .option('--zig <spec>', 'Zig version spec (default: the project lock or config, else the pinned Zig)', {
      type: [textValue],
    })
    .option(
      '--format <format>',
      'sh, fish, pwsh, cmd, dotenv, github or json (default: from GITHUB_ACTIONS and $SHELL)',
      {
        type: [textValue],
      },
    )
    .option('--write <file>', 'Write the environment to FILE instead of printing it', { type: [textValue] })
    .option('--unset', 'Print what undoes the environment of TARGET')
    .option('--reset', 'Print what undoes any xcc environment (no target needed)')
    .option('--quiet', 'No progress output while provisioning');
  addTargetOptions(command)
    .example('  eval "$(xcc env linux/arm64)" && go build -o app-linux-arm64 .')
    .example('  xcc env linux/amd64 --glibc=2.28 --format fish | source')
    .example('  xcc env windows/amd64 --format dotenv --write .env.windows')
    .example('  xcc env linux/arm/v7 --format github       # in a GitHub Actions step')
    .example('  eval "$(xcc env --reset)"')
    .action(async (target: string | undefined, flags: EnvFlags) => {
      const formatText = singleValue('--format', flags.format);
      const format = formatText === undefined ? defaultEnvFormat(process.env) : parseEnvFormat(formatText);
      const file = singleValue('--write', flags.write);
      if (flags.reset) {
        if (target !== undefined)
          throw new UsageError(
            `--reset undoes every xcc variable and takes no target; use 'xcc env ${target} --unset'`,
          );
        const { allToolchainEnvNames } = await import('../../toolchain/env-names.js');
        return output(renderUnset(allToolchainEnvNames(Object.values(subArchFields)), format), file);
      }
      if (target === undefined)
        throw new UsageError("name a target, like 'xcc env linux/arm64'; see 'xcc targets' for the list");
      const request = targetRequest(target, flags);
      const zigFlag = singleValue('--zig', flags.zig);
      if (flags.unset) {
        // The names undone are those of the Zig `xcc env` would use here: the flag's, else the project's.
        const zigVersion = zigFlag ?? namingZigVersion(chooseZig({ host: zigHostKey() }));
        const resolved = resolveTarget(request, { zigVersion });
        const { toolchainEnvNames } = await import('../../toolchain/env-names.js');
        return output(renderUnset(toolchainEnvNames(resolved), format), file);
      }
      // Where the result goes is the user's to fix: said before anything is downloaded.
      if (format === 'github') await githubFiles(file);
      else if (file !== undefined) await checkWritable('--write', file);
      const reporter = stderrReporter(flags);
      try {
        const toolchain = await projectToolchain({
          target: request,
          spec: zigFlag,
          onEvent: reporter.handle,
        });
        const { env, bin } = toolchain;
        if (format === 'github') await appendToGithub(env, [bin], file);
        else await output(renderEnv(env, format), file);
        // Said last, once the environment is out: with `eval "$(xcc env ...)" && go build`, it is the
        // last xcc output before the wait.
        const notice = flags.quiet ? undefined : firstBuildNotice(toolchain, request);
        if (notice !== undefined) writeStderrLine(notice);
      } finally {
        reporter.close();
      }
    });
}

/** Prints `text`, or writes it to the file the user named (`--write`), with one line when that cannot be. */
export async function output(text: string, file: string | undefined): Promise<void> {
  if (file === undefined) return writeStdout(text);
  await checkWritable('--write', file);
  await writeFileAtomic(file, text).catch((error: unknown) => {
    throw cannotWrite(file, error);
  });
}

async function appendTo(file: string, text: string): Promise<void> {
  await appendFile(file, text).catch((error: unknown) => {
    throw cannotWrite(file, error);
  });
}

/**
 * A file the user named (`--write FILE`, `GITHUB_ENV`) must be a file, or not exist yet, below directories
 * (missing ones are created): anything else is the user's to fix (exit 2), said in one line. `setting` names where the
 * path came from, as the user wrote it.
 */
export async function checkWritable(setting: string, file: string): Promise<void> {
  const shown = setting.startsWith('--') ? `${setting} ${file}` : `${setting}=${file}`;
  if ((await stat(file).catch(() => undefined))?.isDirectory()) {
    throw new UsageError(`${shown} is a directory; name a file to write, like ${path.join(file, 'xcc.env')}`);
  }
  // Missing directories are created; one that is a file cannot be.
  let dir = path.dirname(path.resolve(file));
  let found = await stat(dir).catch(() => undefined);
  while (found === undefined && path.dirname(dir) !== dir) {
    dir = path.dirname(dir);
    found = await stat(dir).catch(() => undefined);
  }
  if (found !== undefined && !found.isDirectory()) {
    throw new UsageError(`${shown}: ${dir} is not a directory; name a file in a directory`);
  }
}

/** A file that cannot be written for a reason outside the command line (permissions, a full or read-only disk): one line. */
function cannotWrite(file: string, error: unknown): unknown {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === undefined) return error;
  return new XccError(`cannot write ${file} (${code}); check that its directory exists and is writable`, {
    cause: error,
  });
}

/** GITHUB_ENV (and GITHUB_PATH, when set) as `--format github` needs them, checked before any work. */
async function githubFiles(file: string | undefined): Promise<{ env: string; path: string | undefined }> {
  if (file !== undefined)
    throw new UsageError('--format github writes to $GITHUB_ENV and $GITHUB_PATH; drop --write');
  const { GITHUB_ENV, GITHUB_PATH } = process.env;
  if (!GITHUB_ENV) {
    throw new UsageError(
      '--format github needs GITHUB_ENV (set by GitHub Actions); outside Actions use --format sh or dotenv',
    );
  }
  await checkWritable('GITHUB_ENV', GITHUB_ENV);
  if (GITHUB_PATH) await checkWritable('GITHUB_PATH', GITHUB_PATH);
  return { env: GITHUB_ENV, path: GITHUB_PATH || undefined };
}

/**
 * GitHub Actions reads variables for later steps from the file named by GITHUB_ENV, and PATH additions
 * from GITHUB_PATH: the wrapper directory goes there (its tools have GNU cross names, so nothing of the
 * runner's own is shadowed). The GitHub Action (src/action/) exports through this too.
 */
export async function appendToGithub(
  env: Record<string, string>,
  dirs: readonly string[],
  file: string | undefined,
): Promise<void> {
  const files = await githubFiles(file);
  // Everything is rendered (and so checked) before anything is appended: a refused value must not leave
  // half of the variables for later steps.
  const envText = renderEnv(env, 'github');
  const pathText = files.path === undefined || dirs.length === 0 ? undefined : renderGithubPath(dirs);
  await appendTo(files.env, envText);
  if (files.path !== undefined && pathText !== undefined) await appendTo(files.path, pathText);
  const added = pathText === undefined ? '' : ` and added ${dirs.join(', ')} to PATH`;
  process.stderr.write(
    `xcc: set ${Object.keys(env).length} variables for later steps (GITHUB_ENV)${added}\n`,
  );
}

export type { EnvFormat };
