import type { CAC } from 'cac';
import { UsageError } from '../../errors.js';
import { createReporter, progressMode } from '../progress.js';

interface InstallFlags {
  source?: OptionValue;
  from?: OptionValue;
  quiet?: boolean;
  json?: boolean;
  allowLegacyMinisign?: boolean;
}

export function registerInstall(cli: CAC): void {
  cli
    .command('install [version]', 'Download, verify and cache a Zig for this machine')
    .option('--source <names>', 'Only these sources, in order: mirror, ziglang.org, pypi (comma-separated)')
    .option(
      '--from <path>',
      'Install a release archive on disk (its .minisig beside it), or a directory holding it',
    )
    .option('--allow-legacy-minisign', 'Accept legacy minisign signatures (algorithm Ed, over the raw file)')
    .option('--quiet', 'No progress output')
    .option('--json', 'Print the result as JSON')
    .example('xcc install              # the pinned default Zig')
    .example('xcc install 0.15         # the newest 0.15.x')
    .example('xcc install ">=0.14 <0.16"')
    .example('xcc install --source pypi')
    .example('xcc install --from ./zig-x86_64-linux-0.15.2.tar.xz')
    .action(async (version: string | undefined, flags: InstallFlags) => {
      const { ensureZig, SOURCE_NAMES } = await import('../../zig/install.js');
      const sources =
        flags.source === undefined ? undefined : parseSources(lastValue(flags.source), SOURCE_NAMES);
      const reporter = createReporter(progressMode(flags, process.stderr, process.env), process.stderr);
      try {
        const zig = await ensureZig({
          spec: version,
          sources,
          from: flags.from === undefined ? undefined : lastValue(flags.from),
          allowLegacyMinisign: flags.allowLegacyMinisign,
          onEvent: reporter.handle,
        });
        if (flags.json) {
          process.stdout.write(`${JSON.stringify(zig, null, 2)}\n`);
        } else if (!flags.quiet) {
          process.stdout.write(
            `Zig ${zig.version} ${zig.cached ? 'is installed' : 'installed'}: ${zig.zig}\n`,
          );
        }
      } finally {
        reporter.close();
      }
    });
}

/**
 * What cac gives for an option that takes a value: a string, a number when the text looks like one, an
 * array when the option is repeated. (No `type: [String]`: cac applies it before checking for a missing
 * value, which turns a bare `--from` into the path 'true'.)
 */
export type OptionValue = string | number | Array<string | number>;

/** The option's text; repeated, the last one wins, as in most CLIs. */
export function lastValue(value: OptionValue): string {
  return String(Array.isArray(value) ? value[value.length - 1] : value);
}

function parseSources<T extends string>(text: string, known: readonly T[]): T[] {
  const names = text.split(',').map((name) => name.trim());
  for (const [index, name] of names.entries()) {
    if (!(known as readonly string[]).includes(name)) {
      throw new UsageError(
        `unknown source '${name}' in --source; use one or more of ${known.join(', ')}, comma-separated`,
      );
    }
    if (names.indexOf(name) !== index) {
      throw new UsageError(`--source names '${name}' twice; name each source once, in the order to try them`);
    }
  }
  return names as T[];
}
