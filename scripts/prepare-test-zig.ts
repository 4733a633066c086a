/**
 * Prepares the test Zig (test/support/test-zig.ts) ahead of `npm test`, and prints where it is.
 * Usage: npx tsx scripts/prepare-test-zig.ts [--version 0.15.2] [--index-url URL] [--json]
 * The cache is test/.cache/ or $XCC_TEST_CACHE; a second run is a no-op.
 */
import { parseArgs } from 'node:util';
import { prepareTestZig } from '../test/support/test-zig.js';

const { values } = parseArgs({
  options: { version: { type: 'string' }, 'index-url': { type: 'string' }, json: { type: 'boolean' } },
});
const started = performance.now();
const elapsed = () => `${((performance.now() - started) / 1000).toFixed(1)}s`;
const zig = await prepareTestZig({
  version: values.version,
  indexUrl: values['index-url'],
  log: (line) => console.error(`[${elapsed()}] ${line}`),
});
if (values.json) {
  console.log(JSON.stringify(zig, null, 2));
} else {
  console.log(`test Zig ${zig.version} (${zig.hostKey}) ready in ${elapsed()}`);
  console.log(`  zig:        ${zig.install.zig}`);
  console.log(`  tarball:    ${zig.release.path} (${zig.release.size} bytes, sha256 ${zig.release.sha256})`);
  console.log(`  public key: ${zig.key.publicKey} (key id ${zig.key.keyId})`);
}
