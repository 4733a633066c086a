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
    .command(
      'targets [...targets]',
      "List the Go targets xcc can build, show how one target resolves, or print the project's targets as a CI matrix",
    )
    .option('--zig <version>', 'Show the target names of this zig version (default: the pinned zig)', {
      type: [textValue],
    })
    .option('--json', 'Print JSON instead of a table')
    .option('--matrix <ci>', "Print the project's targets (or those named) as a github or gitlab CI matrix", {
      type: [textValue],
    })
    .option('--shards <n>', 'With --matrix: N jobs, each building one shard (xcc build --shard K/N)', {
      type: [textValue],
    });
  addTargetOptions(command)
    .example('  xcc targets                            # every Go port: zig triples, libcs, support tier')
    .example('  xcc targets linux/arm64                # one target: musl, linked statically')
    .example('  xcc targets linux/arm/v7 --glibc=2.31  # OCI variant (GOARM=7), glibc 2.31 or newer')
    .example('  xcc targets linux/amd64 --goamd64=v3 --json')
    .example('  xcc targets openbsd/arm64 --zig 0.16.0 # target names of another zig')
    .example('  xcc targets darwin/arm64 --macos-sdk ~/sdks/MacOSX15.sdk')
    .example(
      "  xcc targets --matrix github             # xcc.json's targets as a strategy.matrix for fromJSON",
    )
    .example('  xcc targets --matrix github --shards 3  # {"shard":["1/3","2/3","3/3"]}')
    .example('  xcc targets --matrix gitlab linux/arm64 windows/amd64')
    .example('')
    .example('A target is GOOS/GOARCH or GOOS/GOARCH/VARIANT (linux/arm/v6, linux/amd64/v3, linux/arm64/v8).')
    .action(async (named: string[], options: TargetsOptions) => {
      const matrix = singleValue('--matrix', options.matrix);
      if (matrix !== undefined) return printMatrix(named, matrix, options);
      if (options.shards !== undefined)
        throw new UsageError('--shards goes with --matrix: xcc targets --matrix github --shards 3');
      if (named.length > 1)
        throw new UsageError(
          `one target at a time (got ${named.join(', ')}); run 'xcc targets ${named[0]}', or list several with --matrix`,
        );
      const target = named[0];
      const [{ listTargets, resolveTarget }, { chooseZig, namingZigVersion }, { zigHostKey }] =
        await Promise.all([
          import('../../resolve/index.js'),
          import('../../toolchain/zig-choice.js'),
          import('../../zig/host.js'),
        ]);
      // The target names of the flag's Zig, else of the project's (its lock or config), else the pinned one.
      const zigVersion =
        singleValue('--zig', options.zig) ?? namingZigVersion(chooseZig({ host: zigHostKey() }));
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
 * `--matrix`: the targets named, else the project's (xcc.json), as a CI matrix (src/cli/matrix.ts). Target
 * options apply to one target, so a matrix takes them from xcc.json's entries, not from flags.
 */
async function printMatrix(named: string[], formatText: string, options: TargetsOptions): Promise<void> {
  const [{ matrixEntries, parseMatrixFormat, parseShards, renderMatrix }, { parseTargetSpecs }] =
    await Promise.all([import('../matrix.js'), import('../target-spec.js')]);
  const format = parseMatrixFormat(formatText);
  const given = givenTargetOptions(options);
  if (given.length > 0)
    throw new UsageError(
      `--matrix takes no --${kebab(given[0]!)}; give targets their options in xcc.json ({"target": "linux/amd64", "glibc": "2.28"}) or quote each target with its own: 'linux/amd64 --glibc=2.28'`,
    );
  if (options.json)
    throw new UsageError('--matrix prints JSON (github) or YAML (gitlab) already; drop --json');
  const [{ resolveTarget }, { chooseZig, namingZigVersion }, { zigHostKey }] = await Promise.all([
    import('../../resolve/index.js'),
    import('../../toolchain/zig-choice.js'),
    import('../../zig/host.js'),
  ]);
  const choice = chooseZig({ spec: singleValue('--zig', options.zig), host: zigHostKey() });
  const requests =
    named.length > 0 ? parseTargetSpecs(named.join(' '), '--matrix targets') : (choice.config?.targets ?? []);
  if (requests.length === 0)
    throw new UsageError(
      choice.config === undefined
        ? 'no targets for the matrix: name them (xcc targets --matrix github linux/arm64 windows/amd64) or list them in xcc.json'
        : `no targets for the matrix: ${choice.config.file} lists none; add "targets": ["linux/arm64", ...]`,
    );
  // Resolving checks every target now, in the job that prints the matrix, rather than in each build job.
  const zigVersion = namingZigVersion(choice);
  const entries = matrixEntries(
    requests.map((request) => ({ request, resolved: resolveTarget(request, { zigVersion }) })),
  );
  const shardsText = singleValue('--shards', options.shards);
  const shards = shardsText === undefined ? undefined : parseShards(shardsText, entries.length);
  process.stdout.write(renderMatrix(format, entries, shards));
}

/** The target options given (their names as cac keys them), apart from the command's own. */
function givenTargetOptions(options: TargetsOptions): string[] {
  return Object.keys(options).filter(
    (name) => !['--', 'zig', 'json', 'debug', 'matrix', 'shards'].includes(name),
  );
}

/**
 * Without a target the libc and sub-architecture options mean nothing. The usual cause is an option
 * that took the target as its value: `xcc targets --glibc linux/amd64`.
 */
function rejectTargetOptions(options: TargetsOptions): void {
  const given = givenTargetOptions(options);
  if (given.length === 0) return;
  const name = given[0]!;
  const flag = `--${kebab(name)}`;
  const value = options[name as keyof TargetsOptions];
  const taken =
    Array.isArray(value) && name !== 'macosSdk' && name !== 'sysroot'
      ? value.find((text) => text.includes('/'))
      : undefined;
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
    ...(target.sysroot === null ? [] : [['sysroot', target.sysroot]]),
    ['tier', `${target.tier}: ${target.tierReason}`],
  ]);
}
