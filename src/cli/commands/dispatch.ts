import type { CAC } from 'cac';
import { UsageError } from '../../errors.js';
import { defaultEnvFormat, parseEnvFormat, renderEnv } from '../../toolchain/render.js';
import { provisionDispatcher } from '../dispatch-targets.js';
import { textValue } from '../option-text.js';
import { stderrReporter } from '../progress.js';
import { singleValue } from '../target-options.js';
import { checkWritable, output } from './env.js';

interface DispatchFlags {
  zig?: string[];
  format?: string[];
  write?: string[];
  dir?: boolean;
  quiet?: boolean;
}

export function registerDispatch(cli: CAC): void {
  cli
    .command(
      'dispatch [...targets]',
      "Write one CC and CXX for all TARGETS (default: the project's), chosen by GOOS/GOARCH at compile time; print them",
    )
    .option('--zig <spec>', 'Zig version spec (default: the project lock or config, else the pinned Zig)', {
      type: [textValue],
    })
    .option('--format <format>', 'sh, fish, pwsh, cmd, dotenv or json (default: from $SHELL)', {
      type: [textValue],
    })
    .option('--dir', "Print only the dispatcher's directory (it holds cc and c++)")
    .option('--write <file>', 'Write to FILE instead of printing', { type: [textValue] })
    .option('--quiet', 'No progress output while provisioning')
    .example('  eval "$(xcc dispatch linux/arm64 linux/amd64 windows/amd64)" && goreleaser build --snapshot')
    .example(
      '  xcc dispatch --dir --write .xcc/dispatch   # GoReleaser: CC={{ readFile ".xcc/dispatch" | trim }}/cc',
    )
    .action(async (targets: string[], flags: DispatchFlags) => {
      const formatText = singleValue('--format', flags.format);
      if (flags.dir && formatText !== undefined)
        throw new UsageError('--dir prints a directory, not an environment; drop --format');
      const format = formatText === undefined ? defaultEnvFormat(process.env) : parseEnvFormat(formatText);
      if (format === 'github')
        throw new UsageError("--format github is for 'xcc env'; here use --format sh or dotenv, or --dir");
      const file = singleValue('--write', flags.write);
      // Where the result goes is the user's to fix: said before anything is downloaded.
      if (file !== undefined) await checkWritable('--write', file);
      const reporter = stderrReporter(flags);
      try {
        const dispatcher = await provisionDispatcher({
          targets,
          zig: singleValue('--zig', flags.zig),
          reporter,
          command: 'xcc dispatch',
        });
        const text = flags.dir
          ? `${dispatcher.dir}\n`
          : renderEnv({ CGO_ENABLED: '1', ...dispatcher.env }, format);
        await output(text, file);
      } finally {
        reporter.close();
      }
    });
}
