import type { CAC } from 'cac';
import { UsageError } from '../../errors.js';
import type { Target, TargetListing } from '../../resolve/index.js';
import { textValue } from '../option-text.js';
import { formatTable } from '../table.js';
import { addTargetOptions, singleValue, type TargetOptionValues, targetRequest } from '../target-options.js';

type TargetsOptions = TargetOptionValues & {
  zig?: string[];
  json?: boolean;
  matrix?: string[];
  shards?: string[];
};

export function registerTargets(cli: CAC): void {
  const command = cli
    .command('targets [target]', 'List the Go targets xcc can build, or show how one target resolves')
    .option('--zig <version>', 'Show the target names of this zig version (default: the pinned zig)', {
      type: [textValue],
    })
    .option('--json', 'Print JSON instead of a table')
    .option(
      '--matrix <ci>',
      "A CI matrix of xcc.json's targets for xcc build --shard: github (JSON) or gitlab (YAML)",
      {
        type: [textValue],
      },
    )
    .option('--shards <n>', 'With --matrix: how many jobs (default: one per target)', { type: [textValue] });
  addTargetOptions(command)
    .example('  xcc targets                            # every Go port: zig triples, libcs, support tier')
    .example('  xcc targets linux/arm64                # one target: musl, linked statically')
    .example('  xcc targets linux/arm/v7 --glibc=2.31  # OCI variant (GOARM=7), glibc 2.31 or newer')
    .example('  xcc targets linux/amd64 --goamd64=v3 --json')
    .example('  xcc targets openbsd/arm64 --zig 0.16.0 # target names of another zig')
    .example('  xcc targets darwin/arm64 --macos-sdk ~/sdks/MacOSX15.sdk')
    .example('  xcc targets --matrix github --shards 3     # strategy.matrix for xcc build --shard')
    .example('')
    .example('A target is GOOS/GOARCH or GOOS/GOARCH/VARIANT (linux/arm/v6, linux/amd64/v3, linux/arm64/v8).')
    .action(async (target: string | undefined, options: TargetsOptions) => {
      const [{ listTargets, resolveTarget }, { chooseZig, namingZigVersion }, { zigHostKey }] =
        await Promise.all([
          import('../../resolve/index.js'),
          import('../../toolchain/zig-choice.js'),
          import('../../zig/host.js'),
        ]);
      // The target names of the flag's Zig, else of the project's (its lock or config), else the pinned one.
      const zigVersion =
        singleValue('--zig', options.zig) ?? namingZigVersion(chooseZig({ host: zigHostKey() }));
      const matrix = singleValue('--matrix', options.matrix);
      if (matrix !== undefined || options.shards !== undefined) {
        if (target !== undefined) {
          throw new UsageError(`--matrix shards the targets of xcc.json; drop '${target}'`);
        }
        const { parseMatrixKind, parseShardCount, matrixEntries, renderMatrix } = await import(
          '../../release/matrix.js'
        );
        if (matrix === undefined)
          throw new UsageError(
            '--shards says how many jobs --matrix makes; add --matrix github or --matrix gitlab',
          );
        const kind = parseMatrixKind(matrix);
        const shardText = singleValue('--shards', options.shards);
        const shards = shardText === undefined ? undefined : parseShardCount(shardText);
        const { findProjectConfig } = await import('../../toolchain/project-config.js');
        const requests = findProjectConfig()?.targets ?? [];
        const ids = requests.map((request) => resolveTarget(request, { zigVersion }).id);
        process.stdout.write(renderMatrix(kind, matrixEntries(ids, shards)));
        return;
      }
      if (target === undefined) {
        rejectTargetOptions(options);
        const targets = listTargets({ zigVersion });
        process.stdout.write(
          options.json ? json({ zigVersion, targets }) : listingTable(targets, zigVersion),
        );
        return;
      }
      const resolved = resolveTarget(targetRequest(target, options), { zigVersion });
      process.stdout.write(options.json ? json(resolved) : targetTable(resolved));
    });
}

/**
 * Without a target the libc and sub-architecture options mean nothing. The usual cause is an option
 * that took the target as its value: `xcc targets --glibc linux/amd64`.
 */
function rejectTargetOptions(options: TargetsOptions): void {
  const given = Object.keys(options).filter((name) => !['--', 'zig', 'json', 'debug'].includes(name));
  if (given.length === 0) return;
  const name = given[0]!;
  const flag = `--${kebab(name)}`;
  const value = options[name as keyof TargetsOptions];
  const taken =
    Array.isArray(value) && name !== 'macosSdk' ? value.find((text) => text.includes('/')) : undefined;
  if (taken !== undefined) {
    throw new UsageError(
      `${flag} took '${taken}' as its value; put the target first: xcc targets ${taken} ${flag}`,
    );
  }
  throw new UsageError(`${flag} needs a target: xcc targets GOOS/GOARCH ${flag}`);
}

function json(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

function kebab(name: string): string {
  return name.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`);
}

function listingTable(targets: TargetListing[], zigVersion: string): string {
  const rows = [['PORT', 'LIBC', 'ZIG TARGET', 'TIER', 'WHY']];
  for (const { port, libcs } of targets) {
    for (const option of libcs) {
      const libc =
        option.libc === null
          ? '-'
          : `${option.libc}${option.default && libcs.length > 1 ? ' (default)' : ''}`;
      rows.push([port, libc, option.zigTarget ?? '-', option.tier, option.reason]);
    }
  }
  return `${formatTable(rows)}\nTarget names for zig ${zigVersion}. Details of one target: xcc targets GOOS/GOARCH [--json]\n`;
}

function targetTable(target: Target): string {
  const sdk = target.needsSdk
    ? (target.macosSdk ??
      "none: links against stubs of Apple's libraries made from Go's source; C that includes a framework's headers needs one (--macos-sdk PATH)")
    : 'not needed';
  const glibc = target.glibcVersion === null ? '' : ` ${target.glibcVersion}`;
  return formatTable([
    ['id', target.id],
    ['port', target.port],
    [
      'go env',
      Object.entries(target.env)
        .map(([name, value]) => `${name}=${value}`)
        .join(' '),
    ],
    ['libc', `${target.libc}${glibc} (${target.linkage})`],
    ['zig', target.zigVersion],
    ['zig target', target.zigTarget],
    ['zig cpu', target.zigCpu ?? "zig's baseline for the target"],
    ['macOS SDK', sdk],
    ['tier', `${target.tier}: ${target.tierReason}`],
  ]);
}
