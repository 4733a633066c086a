import type { CAC } from 'cac';
import { textValue } from '../option-text.js';
import { singleValue } from '../target-options.js';

interface ChecksumsFlags {
  out?: string[];
  quiet?: boolean;
}

/** `xcc checksums DIR...`: the shards of a release merged into one checksums.txt and manifest.json. */
export function registerChecksums(cli: CAC): void {
  cli
    .command(
      'checksums <...dirs>',
      'Merge release shards (each an xcc build output directory) into one checksums.txt and manifest.json',
    )
    .option('--out <dir>', 'Where the merged release goes (default: the first directory)', {
      type: [textValue],
    })
    .option('--quiet', 'Print nothing but errors')
    .example('  xcc checksums dist/ shard-2/ shard-3/     # dist/ gets every artifact and the merged lists')
    .example('  xcc checksums --out release/ shard-*/')
    .action(async (dirs: string[], flags: ChecksumsFlags) => {
      const { mergeReleases } = await import('../../release/merge.js');
      const merged = await mergeReleases(dirs, singleValue('--out', flags.out));
      if (flags.quiet) return;
      process.stderr.write(
        `xcc: merged ${merged.artifacts.length} artifacts from ${dirs.length} ${dirs.length === 1 ? 'directory' : 'directories'} into ${merged.checksums} and ${merged.manifest}\n`,
      );
      const { readFile } = await import('node:fs/promises');
      process.stdout.write(await readFile(merged.checksums, 'utf8'));
    });
}
