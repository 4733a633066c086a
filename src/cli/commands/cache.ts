import type { CAC } from 'cac';
import { UsageError } from '../../errors.js';
import { xccHome, zigCacheDir } from '../../home.js';

export function registerCache(cli: CAC): void {
  cli
    .command('cache <action>', "Show cache locations ('dir')")
    .option(
      '--zig',
      "Print the Zig build cache (ZIG_GLOBAL_CACHE_DIR of xcc's wrappers), e.g. to cache it in CI",
    )
    .example('xcc cache dir')
    .example('xcc cache dir --zig')
    .action((action: string, flags: { zig?: boolean }) => {
      if (action !== 'dir')
        throw new UsageError(`unknown cache action '${action}'; use 'xcc cache dir [--zig]'`);
      const home = xccHome();
      process.stdout.write(`${flags.zig ? zigCacheDir(process.env, home) : home}\n`);
    });
}
