import type { CAC } from 'cac';
import { UsageError } from '../../errors.js';
import type { TargetRequest } from '../../resolve/index.js';
import { checkBuildModeForLibc, goBuildMode, splitGoBuildArgs } from '../go-build-mode.js';
import { textValue } from '../option-text.js';
import { progressMode, stderrReporter } from '../progress.js';
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
  '--'?: string[];
}

/** `xcc build [TARGET...] [-- GO BUILD FLAGS] [PACKAGE]`: a release build of a cgo program for many targets. */
export function registerBuild(cli: CAC): void {
  cli
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
    .action(async (targets: string[], flags: BuildFlags) => {
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
      // -buildmode from the flags or GOFLAGS, held against each target's libc before anything builds.
      const mode = goBuildMode('go', ['build', ...goFlags], process.env);
      for (const { target } of plan.targets) checkBuildModeForLibc(mode, target);
      const progress = releaseProgress(
        progressMode(flags, process.stderr, process.env),
        process.stderr,
        stderrReporter(flags),
      );
      let result: Awaited<ReturnType<typeof buildRelease>>;
      try {
        result = await buildRelease({ ...options, plan, onEvent: progress.handle });
      } finally {
        progress.close();
      }
      if (flags.json) {
        process.stdout.write(
          `${JSON.stringify({ ok: result.ok, shard: plan.shard, results: result.results }, null, 2)}\n`,
        );
      } else {
        for (const entry of result.results)
          if (entry.ok) process.stdout.write(`${plan.outDir}/${entry.file}\n`);
      }
      if (!flags.quiet) process.stderr.write(releaseSummary(result));
      if (!result.ok) process.exitCode = 1;
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
