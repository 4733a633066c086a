/**
 * Cold installs in a row from one plain HTTP/1.0 mirror (Python's http.server, which closes the connection
 * after each response): each into a fresh XCC_HOME, from that mirror alone, of the test Zig. Prints one
 * line per install and the figures. Exits 1 if any install failed.
 * Usage: npm run build && npx tsx scripts/python-mirror-installs.ts [--count 20]
 * Needs python3 and the test Zig (scripts/prepare-test-zig.ts; $XCC_TEST_CACHE).
 */
import { parseArgs } from 'node:util';
import { coldInstallFrom, startPythonMirror } from '../test/support/python-mirror.js';
import { prepareTestZig } from '../test/support/test-zig.js';

const { values } = parseArgs({ options: { count: { type: 'string', default: '20' } } });
const count = Number(values.count);
if (!Number.isInteger(count) || count < 1)
  throw new Error(`--count ${values.count}: expected a whole number above 0`);

const zig = await prepareTestZig();
const mirror = await startPythonMirror(zig);
console.log(
  `python3 -m http.server at ${mirror.url}; ${count} cold installs of ${zig.release.fileName} (${zig.release.size} bytes)`,
);
const seconds: number[] = [];
let failed = 0;
try {
  for (let run = 1; run <= count; run++) {
    const install = await coldInstallFrom(mirror, zig);
    seconds.push(install.seconds);
    const ok = install.exitCode === 0;
    if (!ok) failed++;
    const why = ok
      ? ''
      : `  exit ${install.exitCode}: ${install.stderr.trim().split('\n').slice(-3).join(' | ')}`;
    console.log(`${String(run).padStart(3)}  ${ok ? 'ok  ' : 'FAIL'}  ${install.seconds.toFixed(1)}s${why}`);
  }
} finally {
  await mirror.close();
}
const sorted = [...seconds].sort((a, b) => a - b);
const median = sorted[Math.floor(sorted.length / 2)]!;
console.log(
  `${count - failed}/${count} succeeded; seconds per install: min ${sorted[0]!.toFixed(1)}, median ${median.toFixed(1)}, max ${sorted.at(-1)!.toFixed(1)}, total ${seconds.reduce((a, b) => a + b, 0).toFixed(0)}`,
);
process.exitCode = failed ? 1 : 0;
