import path from 'node:path';
import type { CAC } from 'cac';
import { UsageError } from '../../errors.js';
import { splitGoBuildArgs } from '../../go-build-mode.js';
import type { ReleaseOptions, ReleaseResult } from '../../release/build.js';
import type { ReproducibilityReport } from '../../release/verify.js';
import type { TargetRequest } from '../../resolve/index.js';
import { textValue } from '../option-text.js';
import { progressMode, stderrReporter } from '../progress.js';
import {
  renderReproducibility,
  renderReproducibleEnv,
  withReproducibilityOptions,
} from '../reproducibility.js';
import { singleValue } from '../target-options.js';

interface BuildFlags {
  out?: string[];
  name?: string[];
  nameTemplate?: string[];
  shard?: string[];
  jobs?: string[];
  zig?: string[];
  quiet?: boolean;
  json?: boolean;
  reproducible?: boolean;
  verifyReproducible?: boolean;
  '--'?: string[];
}

/** `xcc build [TARGET...] [-- GO BUILD FLAGS] [PACKAGE]`: a release build of a cgo program for many targets. */
export function registerBuild(cli: CAC): void {
  const command = cli
    .command(
      'build [...targets]',
      "Release builds: go build for each target (default: xcc.json's) into dist/",
    )
    .option('--out <dir>', 'Where the artifacts, checksums.txt and manifest.json go (default: dist)', {
      type: [textValue],
    })
    .option('--name <name>', "<name> of the files (default: the main package's name as go build gives it)", {
      type: [textValue],
    })
    .option(
      '--name-template <template>',
      'File names (default {name}-{goos}-{goarch}{-variant}{ext}; also {variant}, {id}, {libc})',
      { type: [textValue] },
    )
    .option(
      '--shard <K/N>',
      'Build only the K-th of N shares of the targets (sorted by id, dealt round-robin)',
      {
        type: [textValue],
      },
    )
    .option('--jobs <n>', 'How many go builds run at once (default: the number of cores)', {
      type: [textValue],
    })
    .option('--zig <spec>', 'Zig version spec (default: the project lock or config, else the pinned Zig)', {
      type: [textValue],
    })
    .option('--quiet', 'No progress output')
    .option('--json', 'Print the per-target results as JSON')
    .example('  xcc build                                   # every target of xcc.json, into dist/')
    .example(
      '  xcc build linux/amd64 linux/arm64 windows/amd64 -- -tags netgo -ldflags="-X main.version=1.2.3"',
    )
    .example('  xcc build --shard 2/3                       # one CI job of three; merge with xcc checksums')
    .example('  xcc build linux/arm/v7 -- ./cmd/tool')
    .example(
      '  xcc build --verify-reproducible             # build twice, from two directories, and compare',
    );
  withReproducibilityOptions(command).action(async (targets: string[], flags: BuildFlags) => {
    const [{ buildRelease }, { planRelease }, { parseShard }, { releaseProgress, releaseSummary }] =
      await Promise.all([
        import('../../release/build.js'),
        import('../../release/plan.js'),
        import('../../release/shard.js'),
        import('../release-progress.js'),
      ]);
    const { flags: goFlags, packages } = splitGoBuildArgs(flags['--'] ?? []);
    const shardText = singleValue('--shard', flags.shard);
    const zig = singleValue('--zig', flags.zig);
    const options = {
      targets: targets.length === 0 ? undefined : targets.map((target): TargetRequest => ({ target })),
      outDir: singleValue('--out', flags.out),
      name: singleValue('--name', flags.name),
      nameTemplate: singleValue('--name-template', flags.nameTemplate),
      shard: shardText === undefined ? undefined : parseShard(shardText),
      packages,
      spec: zig,
      goFlags,
      concurrency: jobs(singleValue('--jobs', flags.jobs)),
    };
    const plan = await planRelease(options);
    const progress = releaseProgress(
      progressMode(flags, process.stderr, process.env),
      process.stderr,
      stderrReporter(flags),
    );
    // --reproducible: the timestamp and C flags, fixed once from the source (its last commit), so
    // that --verify-reproducible's second build, from a copy without that history, gets the same.
    const verify = flags.verifyReproducible === true;
    const reproducible =
      verify || flags.reproducible === true
        ? await (await import('../../release/reproducible.js')).reproducibleEnv({ sourceDir: plan.dir })
        : undefined;
    if (reproducible !== undefined && !flags.quiet)
      process.stderr.write(`xcc: ${renderReproducibleEnv(reproducible)}\n`);
    const env = reproducible?.env;
    let result: Awaited<ReturnType<typeof buildRelease>>;
    try {
      result = await buildRelease({ ...options, plan, env, onEvent: progress.handle });
    } finally {
      progress.close();
    }
    const report = verify && result.ok ? await verifyRelease(result, { ...options, env }, flags) : undefined;
    if (flags.json) {
      const json = { ok: result.ok, shard: plan.shard, results: result.results, reproducibility: report };
      process.stdout.write(`${JSON.stringify(json, null, 2)}\n`);
    } else {
      for (const entry of result.results)
        if (entry.ok) process.stdout.write(`${plan.outDir}/${entry.file}\n`);
    }
    if (!flags.quiet) process.stderr.write(releaseSummary(result));
    if (report !== undefined) process.stderr.write(renderReproducibility(report));
    else if (verify)
      process.stderr.write('xcc: not verified: a target failed, so there is no release to build again\n');
    if (!result.ok || (report !== undefined && !report.reproducible)) process.exitCode = 1;
  });
}

/**
 * `--verify-reproducible`: the same targets built again by `buildRelease` from a copy of the source in
 * another directory with a cold Go cache (release/verify.ts), with the first build's reproducible
 * environment; zig's cache stays warm, as it would on another machine after a prewarm.
 */
async function verifyRelease(
  first: ReleaseResult,
  options: ReleaseOptions,
  flags: BuildFlags,
): Promise<ReproducibilityReport> {
  const [{ buildRelease }, { verifyReproducible }] = await Promise.all([
    import('../../release/build.js'),
    import('../../release/verify.js'),
  ]);
  const { plan } = first;
  const artifacts = (result: ReleaseResult) =>
    Object.fromEntries(
      result.results.flatMap((entry) =>
        entry.ok ? [[entry.target, path.join(result.plan.outDir, entry.file)]] : [],
      ),
    );
  if (!flags.quiet)
    process.stderr.write('xcc: building again from a copy of the source, with a cold Go cache\n');
  return verifyReproducible({
    sourceDir: plan.dir,
    first: artifacts(first),
    build: async (sourceDir, outDir, goCache) =>
      artifacts(
        await buildRelease({
          ...options,
          // The plan's own targets and name: the copy may sit outside the xcc.json that listed them.
          targets: plan.targets.map((planned) => planned.request),
          shard: undefined,
          name: plan.name,
          dir: sourceDir,
          outDir,
          goCache,
          plan: undefined,
        }),
      ),
  });
}

function jobs(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const count = Number(text);
  if (!/^\d+$/.test(text.trim()) || count < 1) {
    throw new UsageError(`--jobs '${text}' is not a count; give a whole number from 1, like --jobs 4`);
  }
  return count;
}
