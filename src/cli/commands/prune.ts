import type { CAC } from 'cac';
import { UsageError } from '../../errors.js';
import { formatBytes, parseAge } from '../format.js';
import { textValue } from '../option-text.js';
import { singleValue } from '../target-options.js';

interface PruneFlags {
  keep?: string[];
  olderThan?: string[];
  all?: boolean;
  dryRun?: boolean;
  json?: boolean;
}

export function registerPrune(cli: CAC): void {
  cli
    .command('prune', 'Remove Zig versions from the cache')
    .option('--keep <n>', 'Keep the N most recently used versions', { type: [textValue] })
    .option('--older-than <age>', 'Remove only versions unused for this long (30d, 12h, 2w)', {
      type: [textValue],
    })
    .option('--all', 'Remove every version, and caches of older xcc versions')
    .option('--dry-run', 'Show what would be removed')
    .option('--json', 'Print the result as JSON')
    .example('xcc prune --keep 2')
    .example('xcc prune --older-than 30d')
    .example('xcc prune --all --dry-run')
    .action(async (flags: PruneFlags) => {
      const options = pruneOptions(flags);
      const { openStore } = await import('../../zig/store/store.js');
      const result = await openStore().prune(options);
      if (flags.json) {
        process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
        return;
      }
      const verb = result.dryRun ? 'would remove' : 'removed';
      for (const { version, bytes } of result.removed)
        process.stdout.write(`${verb} Zig ${version} (${formatBytes(bytes)})\n`);
      for (const { version, reason } of result.skipped)
        process.stdout.write(`kept Zig ${version}: ${reason}\n`);
      for (const dir of result.oldLayouts) process.stdout.write(`${verb} old cache ${dir}\n`);
      process.stdout.write(`${result.dryRun ? 'Would free' : 'Freed'} ${formatBytes(result.bytesFreed)}.\n`);
    });
}

function pruneOptions(flags: PruneFlags) {
  const keepText = singleValue('--keep', flags.keep);
  const ageText = singleValue('--older-than', flags.olderThan);
  if (keepText === undefined && ageText === undefined && !flags.all) {
    throw new UsageError('say what to remove: --keep N, --older-than AGE (like 30d) or --all');
  }
  if (flags.all && (keepText !== undefined || ageText !== undefined))
    throw new UsageError('prune: --all cannot be combined with --keep or --older-than');
  const keep = keepText === undefined ? undefined : Number(keepText);
  if (keep !== undefined && !(Number.isInteger(keep) && keep >= 0)) {
    throw new UsageError(`--keep ${keepText}: expected a whole number of versions to keep, like --keep 2`);
  }
  const olderThanMs = ageText === undefined ? undefined : parseAge(ageText);
  if (ageText !== undefined && olderThanMs === undefined) {
    throw new UsageError(`--older-than ${ageText}: expected an age like 30d, 12h, 90m or 2w`);
  }
  return { keep, olderThanMs, all: flags.all, dryRun: flags.dryRun };
}
