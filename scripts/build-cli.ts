/**
 * Bundles the CLI into dist/xcc.js (what bin/xcc.js imports), with one chunk per lazily loaded part
 * beside it: `eval "$(xcc env ...)"` runs at every shell start, and on Node 20 each ES module costs a file
 * read, a parse and a link of its own (no compile cache before Node 22). Code splitting keeps the lazy
 * imports lazy: a warm `xcc env` loads the entry and the chunks its command needs, not the installer.
 * npm packages stay imports from node_modules. The library (dist/index.js) is tsc's output, unbundled.
 *
 *   npx tsx scripts/build-cli.ts       (npm run build runs it after tsc)
 */
import { readdirSync, rmSync } from 'node:fs';
import { build } from 'esbuild';

const dist = new URL('../dist/', import.meta.url);
// Chunk names carry a content hash: remove the previous build's, so that none is left stale.
for (const file of readdirSync(dist)) {
  if (/^xcc(-[A-Za-z0-9]+)?\.js$/.test(file)) rmSync(new URL(file, dist));
}
await build({
  entryPoints: { xcc: 'src/cli/main.ts' },
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  packages: 'external',
  // Chunks sit directly in dist/, one level below the package root, as src/package-files.ts expects.
  outdir: 'dist',
  chunkNames: 'xcc-[hash]',
  logLevel: 'warning',
});
