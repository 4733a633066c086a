import type { CAC } from 'cac';
import { formatBytes } from '../format.js';
import { formatTable } from '../table.js';

export function registerLs(cli: CAC): void {
  cli
    .command('ls', 'List the Zig versions in the cache')
    .option('--json', 'Print the list as JSON')
    .example('xcc ls')
    .example('xcc ls --json')
    .action(async (flags: { json?: boolean }) => {
      const { openStore } = await import('../../zig/store/store.js');
      const installs = await openStore().list();
      if (flags.json) {
        const list = installs.map(({ version, dir, marker, lastUsed }) => ({
          version,
          dir,
          bytes: marker.bytes,
          source: marker.source,
          url: marker.url,
          sha256: marker.sha256,
          installedAt: marker.installedAt,
          lastUsed: lastUsed.toISOString(),
        }));
        process.stdout.write(`${JSON.stringify(list, null, 2)}\n`);
        return;
      }
      if (installs.length === 0) {
        process.stdout.write("No Zig installed yet; run 'xcc install'.\n");
        return;
      }
      const rows = installs.map(({ version, dir, marker, lastUsed }) => [
        version,
        formatBytes(marker.bytes),
        marker.source,
        marker.installedAt.slice(0, 10),
        lastUsed.toISOString().slice(0, 10),
        dir,
      ]);
      process.stdout.write(
        formatTable([['VERSION', 'SIZE', 'SOURCE', 'INSTALLED', 'LAST USED', 'DIR'], ...rows]),
      );
    });
}
