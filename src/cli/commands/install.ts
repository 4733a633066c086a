import path from 'node:path';
import type { CAC } from 'cac';
import { isEnabled } from '../../env-flag.js';
import { UsageError } from '../../errors.js';
import { resolveTarget } from '../../resolve/index.js';
import { lockMismatch } from '../../toolchain/lockfile.js';
import type { ProjectConfig } from '../../toolchain/project-config.js';
import { projectToolchain } from '../../toolchain/project-toolchain.js';
import { chooseZig, namingZigVersion, type ZigChoice } from '../../toolchain/zig-choice.js';
import { zigHostKey } from '../../zig/host.js';
import { SOURCE_NAMES } from '../../zig/sources/names.js';
import { textValue } from '../option-text.js';
import { prewarmList, prewarmProgress } from '../prewarm.js';
import { type Reporter, stderrReporter } from '../progress.js';
import {
  addTargetOptions,
  givenTargetOptions,
  singleValue,
  type TargetOptionValues,
  targetRequest,
} from '../target-options.js';

type InstallFlags = TargetOptionValues & {
  source?: string[];
  from?: string[];
  frozen?: boolean;
  quiet?: boolean;
  json?: boolean;
  allowLegacyMinisign?: boolean;
  prewarm?: string[];
  cxx?: boolean;
};

export function registerInstall(cli: CAC): void {
  const command = cli
    .command(
      'install [version]',
      "Install a Zig for this machine; in a project, also every configured target's toolchain",
    )
    .option('--source <names>', 'Only these sources, in order: mirror, ziglang.org, pypi (comma-separated)', {
      type: [textValue],
    })
    .option(
      '--from <path>',
      'Install a release archive on disk (its .minisig beside it), a pinned ziglang wheel, or a directory holding one',
      {
        type: [textValue],
      },
    )
    .option(
      '--frozen',
      'Fail unless xcc.lock.json matches the project config and the cached Zig every file it had when verified (for CI)',
    )
    .option('--allow-legacy-minisign', 'Accept legacy minisign signatures (algorithm Ed, over the raw file)')
    .option(
      '--prewarm <targets>',
      "Also build these targets' libc and compiler-rt into zig's cache (comma-separated)",
      {
        type: [textValue],
      },
    )
    .option('--cxx', 'With --prewarm: also build libc++, libc++abi and libunwind')
    // The target options (--glibc=2.28, --goarm...) say which variant of the --prewarm targets to build.
    .option('--quiet', 'No progress output')
    .option('--json', 'Print the result as JSON')
    .example('  xcc install              # the pinned default Zig, or the project config (xcc.json)')
    .example('  xcc install 0.15         # the newest 0.15.x')
    .example('  xcc install ">=0.14 <0.16"')
    .example('  xcc install --frozen     # CI: exactly what xcc.lock.json pins')
    .example('  xcc install --source pypi')
    .example('  xcc install --from ./zig-x86_64-linux-0.15.2.tar.xz')
    .example('  xcc install --from ./wheels  # where pip download ziglang==0.15.2 --no-deps -d wheels put it')
    .example('  xcc install --prewarm linux/arm64,windows/amd64   # a first go build without minutes of libc')
    .example('  xcc install --prewarm linux/arm64 --glibc=2.28');
  addTargetOptions(command).action(async (version: string | undefined, flags: InstallFlags) => {
    if (isEnabled(process.env.XCC_SKIP_INSTALL)) {
      if (!flags.quiet) process.stderr.write('xcc: XCC_SKIP_INSTALL is set; nothing installed\n');
      return;
    }
    const from = singleValue('--from', flags.from);
    const source = singleValue('--source', flags.source);
    if (from !== undefined && source !== undefined)
      throw new UsageError(
        '--from installs the archive it names and takes no --source; pass one or the other',
      );
    const prewarm = prewarmList(flags.prewarm, flags.cxx === true);
    const targetOptions = givenTargetOptions(flags);
    if (prewarm.length === 0 && targetOptions.length > 0)
      throw new UsageError(
        `${targetOptions.join(' and ')} ${targetOptions.length > 1 ? 'say' : 'says'} which variant --prewarm builds; add --prewarm <targets>, or drop it`,
      );
    const prewarmRequests = prewarm.map((target) => targetRequest(target, flags));
    const choice = chooseZig({ spec: version, host: zigHostKey() });
    // Resolved once now so that a bad value (--glibc=banana, a GOARM the target lacks) is a usage error
    // before a download of minutes, not after it.
    for (const request of prewarmRequests) resolveTarget(request, { zigVersion: namingZigVersion(choice) });
    if (flags.frozen) checkFrozen(choice, version);
    const reporter = stderrReporter(flags);
    try {
      const { ensureZig } = await import('../../zig/install.js');
      const zig = await ensureZig({
        spec: choice.spec,
        locked: choice.locked,
        verifyFiles: flags.frozen === true,
        sources: parseSources(source, SOURCE_NAMES),
        from,
        allowLegacyMinisign: flags.allowLegacyMinisign,
        onEvent: reporter.handle,
      });
      // A version on the command line installs just that Zig; otherwise the project's targets too.
      const targets =
        version === undefined && choice.config
          ? await installTargets(choice.config, zig.version, reporter)
          : [];
      if (prewarm.length > 0) {
        const { provisionAndPrewarm } = await import('../../toolchain/prewarm.js');
        await provisionAndPrewarm({
          targets: prewarmRequests,
          zig,
          languages: flags.cxx ? ['c', 'c++'] : ['c'],
          onEvent: prewarmProgress(reporter, flags.quiet === true),
        });
      }
      report(zig, targets, flags);
    } finally {
      reporter.close();
    }
  });
}

async function installTargets(config: ProjectConfig, zigVersion: string, reporter: Reporter) {
  const installed: Array<{ target: string; dir: string }> = [];
  for (const request of config.targets) {
    const { dir } = await projectToolchain({ target: request, spec: zigVersion, onEvent: reporter.handle });
    installed.push({ target: path.basename(dir), dir });
  }
  return installed;
}

/** --frozen: the lock must exist and say exactly what the config asks for. */
function checkFrozen(choice: ZigChoice, version: string | undefined): void {
  if (version !== undefined)
    throw new UsageError('--frozen installs what xcc.lock.json pins; drop the version');
  if (choice.config === undefined)
    throw new UsageError(
      '--frozen needs a project (xcc.json, or "xcc" in package.json) with its xcc.lock.json',
    );
  if (choice.lock === undefined)
    throw new UsageError(`--frozen needs ${choice.lockFile}; run 'xcc lock' and commit it`);
  const zigVersion = choice.lock.zig.version;
  const targets = choice.config.targets.map((request) => resolveTarget(request, { zigVersion }).id);
  const mismatch = lockMismatch(choice.lock, { spec: choice.config.zig ?? 'default', targets });
  if (mismatch !== undefined)
    throw new UsageError(`${choice.lockFile} is out of date: ${mismatch}; run 'xcc lock' and commit it`);
}

function report(
  zig: { version: string; zig: string; cached: boolean; dir: string; source: string },
  targets: Array<{ target: string; dir: string }>,
  flags: InstallFlags,
): void {
  if (flags.json) {
    process.stdout.write(`${JSON.stringify({ ...zig, targets }, null, 2)}\n`);
    return;
  }
  if (flags.quiet) return;
  process.stdout.write(`Zig ${zig.version} ${zig.cached ? 'is installed' : 'installed'}: ${zig.zig}\n`);
  for (const { target, dir } of targets) process.stdout.write(`${target}: ${dir}\n`);
}

function parseSources<T extends string>(text: string | undefined, known: readonly T[]): T[] | undefined {
  if (text === undefined) return undefined;
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
