/**
 * Bundles the CLI into dist/xcc.cjs (what bin/xcc.cjs requires) and chunks beside it.
 *
 * `eval "$(xcc env ...)"` runs at every shell start, so a warm `xcc env` must cost little more than Node's
 * own start (`npm run bench`, case env). Profiles of that path (`node --cpu-prof`) showed where the time
 * went on Node 20, which has no compile cache:
 * - every ES module is resolved, read, compiled and linked by the ES module loader, about a millisecond
 *   each; an ES import of a builtin also builds a facade over all its exports (`node:fs`'s loads the
 *   stream modules);
 * - esbuild's code splitting gave each set of lazy imports its own chunk, so the warm path still loaded
 *   20 files of ours.
 * So the CLI is CommonJS, which Node loads without the ES module loader, and the env command with
 * everything it imports is one chunk (a code-splitting group): a warm `xcc env` reads bin/xcc.cjs,
 * dist/xcc.cjs, dist/xcc-env.cjs and the bundler's runtime helpers (dist/xcc-rolldown-runtime.cjs).
 * Other commands load their own chunks; what the installer needs stays behind its lazy imports.
 * Packages stay `require`s from node_modules; those that are ES modules (cac, execa) load through
 * Node's require(esm), hence `engines` ^20.19 || >=22.12. The library (dist/index.js) is tsc's output,
 * unbundled ES modules. rolldown is the bundler vitest already installs (package.json pins that version);
 * rollup would chunk as well, but this registry lacks most platform packages of its current release.
 *
 *
 * With `--action [DIR]` it bundles the GitHub Action's entry (src/action/main.ts) instead: one CommonJS
 * file, dist-action/index.cjs, with every package inlined, since an action runs from a checkout of this
 * repository at a tag, where nothing is installed. That file is committed (users run the action straight
 * from the repository); test/action/bundle.test.ts rebuilds it into a temporary DIR and fails when the
 * committed one differs. It sits one level below the root, like dist/, so src/package-files.ts finds
 * toolchains/ and package.json beside it.
 *
 *   npx tsx scripts/build-cli.ts                     (npm run build runs it after tsc)
 *   npx tsx scripts/build-cli.ts --action            (npm run build:action: rewrites dist-action/index.cjs)
 */
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { build } from 'rolldown';

const root = new URL('../', import.meta.url);
const dist = new URL('dist/', root);
const { dependencies } = JSON.parse(readFileSync(new URL('package.json', root), 'utf8')) as {
  dependencies: Record<string, string>;
};

const action = process.argv.indexOf('--action');
if (action >= 0) {
  await buildAction(process.argv[action + 1] ?? 'dist-action');
  process.exit(0);
}

async function buildAction(dir: string): Promise<void> {
  await build({
    input: 'src/action/main.ts',
    platform: 'node',
    external: [/^node:/],
    logLevel: 'warn',
    output: { format: 'cjs', file: `${dir}/index.cjs`, codeSplitting: false },
  });
}

// Remove the previous build's chunks, so that none is left stale.
for (const file of readdirSync(dist)) {
  if (/^xcc(-[\w-]+)?\.c?js$/.test(file)) rmSync(new URL(file, dist));
}
await build({
  input: { xcc: 'src/cli/main.ts' },
  platform: 'node',
  external: [/^node:/, ...Object.keys(dependencies).map((name) => new RegExp(`^${name}(/|$)`))],
  logLevel: 'warn',
  output: {
    format: 'cjs',
    // Chunks sit directly in dist/, one level below the package root, as src/package-files.ts expects.
    dir: 'dist',
    entryFileNames: '[name].cjs',
    chunkFileNames: 'xcc-[name].cjs',
    codeSplitting: {
      groups: [
        // The shell-startup path in one file: the env command and, by default, all it imports.
        { name: 'env', test: /[\\/]src[\\/]cli[\\/]commands[\\/]env\.ts$/ },
      ],
    },
  },
});
