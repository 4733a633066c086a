import path from 'node:path';
import type { CAC } from 'cac';
import { UsageError } from '../../errors.js';
import { writeFileAtomic } from '../../fs-atomic.js';
import { resolveTarget } from '../../resolve/index.js';
import { LOCKFILE_VERSION, type Lockfile, renderLockfile } from '../../toolchain/lockfile.js';
import { findProjectConfig, LOCK_FILE } from '../../toolchain/project-config.js';

export function registerLock(cli: CAC): void {
  cli
    .command('lock', "Write xcc.lock.json: the project's exact Zig and its hashes for every host platform")
    .option('--json', 'Also print the lock on stdout')
    .example('  xcc lock && git add xcc.lock.json')
    .action(async (flags: { json?: boolean }) => {
      const config = findProjectConfig();
      if (config === undefined) {
        throw new UsageError(
          `xcc lock needs a project config: create xcc.json (like {"zig": "0.15.2", "targets": ["linux/arm64"]}) or an "xcc" field in package.json`,
        );
      }
      const { releaseArtifacts } = await import('../../zig/install.js');
      const { version, hosts } = await releaseArtifacts({ spec: config.zig });
      const lock: Lockfile = {
        lockfileVersion: LOCKFILE_VERSION,
        zig: { spec: config.zig ?? 'default', version, hosts },
        targets: config.targets.map((request) => resolveTarget(request, { zigVersion: version }).id),
      };
      const file = path.join(config.dir, LOCK_FILE);
      const text = renderLockfile(lock);
      await writeFileAtomic(file, text);
      if (flags.json) process.stdout.write(text);
      else
        process.stdout.write(
          `${file}: Zig ${version} for ${Object.keys(hosts).length} host platforms, ${lock.targets.length} targets\n`,
        );
    });
}
