import { appendFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type { CAC } from 'cac';
import { UsageError, XccError } from '../../errors.js';
import { writeFileAtomic } from '../../fs-atomic.js';
import { resolveTarget, subArchFields } from '../../target/index.js';
import {
  defaultEnvFormat,
  type EnvFormat,
  parseEnvFormat,
  renderEnv,
  renderGithubPath,
  renderUnset,
} from '../../toolchain/render.js';
import { zigConfig } from '../../zig/config.js';
import { textValue } from '../option-text.js';
import { stderrReporter } from '../progress.js';
import { writeStdout } from '../stdout.js';
import { addTargetOptions, singleValue, type TargetOptionValues, targetRequest } from '../target-options.js';
import { targetEnv } from '../toolchain-env.js';

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
        const resolved = resolveTarget(request, { zigVersion: zigFlag ?? zigConfig().defaultVersion });
        const { toolchainEnvNames } = await import('../../toolchain/env-names.js');
        return output(renderUnset(toolchainEnvNames(resolved), format), file);
      }
      const reporter = stderrReporter(flags);
      try {
        const { env, bin } = await targetEnv({ request, zigFlag, reporter });
        if (format === 'github') return await appendToGithub(env, bin, file);
        await output(renderEnv(env, format), file);
      } finally {
        reporter.close();
      }
    });
}

async function output(text: string, file: string | undefined): Promise<void> {
  if (file === undefined) return writeStdout(text);
  if ((await stat(file).catch(() => undefined))?.isDirectory()) {
    throw new UsageError(
      `--write ${file} is a directory; name the file to write, like --write ${path.join(file, 'xcc.env')}`,
    );
  }
  await writeFileAtomic(file, text).catch((error: unknown) => {
    throw cannotWrite(file, error);
  });
}

async function appendTo(file: string, text: string): Promise<void> {
  await appendFile(file, text).catch((error: unknown) => {
    throw cannotWrite(file, error);
  });
}

/** A file the user named that cannot be written (permissions, a read-only disk...): one line. */
function cannotWrite(file: string, error: unknown): unknown {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === undefined) return error;
  return new XccError(`cannot write ${file} (${code}); check that its directory exists and is writable`, {
    cause: error,
  });
}

/**
 * GitHub Actions reads variables for later steps from the file named by GITHUB_ENV, and PATH additions
 * from GITHUB_PATH: the wrapper directory goes there (its tools have GNU cross names, so nothing of the
 * runner's own is shadowed).
 */
async function appendToGithub(
  env: Record<string, string>,
  dir: string,
  file: string | undefined,
): Promise<void> {
  if (file !== undefined)
    throw new UsageError('--format github writes to $GITHUB_ENV and $GITHUB_PATH; drop --write');
  const { GITHUB_ENV, GITHUB_PATH } = process.env;
  if (!GITHUB_ENV) {
    throw new UsageError(
      '--format github needs GITHUB_ENV (set by GitHub Actions); outside Actions use --format sh or dotenv',
    );
  }
  // Everything is rendered (and so checked) before anything is appended: a refused value must not leave
  // half of the variables for later steps.
  const envText = renderEnv(env, 'github');
  const pathText = GITHUB_PATH ? renderGithubPath([dir]) : undefined;
  await appendTo(GITHUB_ENV, envText);
  if (GITHUB_PATH && pathText !== undefined) await appendTo(GITHUB_PATH, pathText);
  process.stderr.write(
    `xcc: set ${Object.keys(env).length} variables for later steps (GITHUB_ENV)${GITHUB_PATH ? ` and added ${dir} to PATH` : ''}\n`,
  );
}

export type { EnvFormat };
