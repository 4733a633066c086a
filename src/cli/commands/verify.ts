import type { CAC } from 'cac';
import { UsageError, XccError } from '../../errors.js';

interface VerifyFlags {
  json?: boolean;
}

/**
 * `xcc verify [VERSION...]`: the full check of cached installs on demand, every file re-hashed and the
 * tree compared with the record made when the install was verified (src/zig/verify/install-manifest.ts).
 */
export function registerVerify(cli: CAC): void {
  cli
    .command(
      'verify [...versions]',
      'Check that cached Zig installs still hold exactly the files xcc verified (default: all of them)',
    )
    .option('--json', 'Print the result as JSON')
    .example('  xcc verify')
    .example('  xcc verify 0.15.2 --json')
    .action(async (versions: string[], flags: VerifyFlags) => {
      const { openStore } = await import('../../zig/store/store.js');
      const manifest = await import('../../zig/verify/install-manifest.js');
      const { isZigVersion } = await import('../../zig/releases/version.js');
      const installs = await openStore().list();
      for (const version of versions) {
        if (!isZigVersion(version))
          throw new UsageError(`'${version}' is not a Zig version; give one like 0.15.2, or none for all`);
        if (!installs.some((install) => install.version === version)) {
          throw new UsageError(`Zig ${version} is not installed; 'xcc ls' lists the installed versions`);
        }
      }
      const chosen =
        versions.length === 0 ? installs : installs.filter((install) => versions.includes(install.version));
      const results = [];
      for (const install of chosen) {
        results.push({ install, verdict: await manifest.verifyInstallFiles(install.dir, install.marker) });
      }
      if (flags.json) {
        const shape = results.map(({ install, verdict }) => ({
          version: install.version,
          dir: install.dir,
          sha256: install.marker.sha256,
          ...verdict,
        }));
        process.stdout.write(`${JSON.stringify(shape, null, 2)}\n`);
      } else if (results.length === 0) {
        process.stdout.write("No Zig installed; nothing to verify ('xcc install' installs one).\n");
      }
      const failed = [];
      for (const { install, verdict } of results) {
        const label = `Zig ${install.version} (${install.dir})`;
        if (verdict.kind === 'verified') {
          if (!flags.json)
            process.stdout.write(
              `${label}: all ${verdict.entries} entries as verified (archive sha256 ${install.marker.sha256} from ${install.marker.source})\n`,
            );
          continue;
        }
        failed.push(
          verdict.kind === 'changed'
            ? manifest.changedInstallMessage(install.version, install.dir, verdict.differences)
            : manifest.unrecordedInstallMessage(install.version, install.dir, verdict.reason),
        );
      }
      if (failed.length === 0) return;
      const others = failed.length > 1 ? ` (and ${failed.length - 1} more installs fail the check)` : '';
      throw new XccError(`${failed[0]}${others}`);
    });
}
