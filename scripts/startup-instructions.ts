/**
 * Counts the instructions (valgrind's callgrind) that Node spends starting up for xcc's startup-sensitive
 * commands, against a bare `node -e 0`. Unlike wall time this does not move with the machine's load, so
 * it shows what a change to the warm `xcc env` or `xcc exec` path is worth before `npm run bench` measures it.
 * The instruction figures in docs/dependencies.md and docs/benchmarks.md come from here.
 *
 *   npx tsx scripts/startup-instructions.ts [--home DIR]   (DIR: an XCC_HOME where `xcc env linux/arm64` is warm)
 */
import { spawnSync } from 'node:child_process';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { home: { type: 'string' } } });
const cli = new URL('../bin/xcc.cjs', import.meta.url).pathname;

const cases: [string, string[]][] = [
  ['node -e 0', ['-e', '0']],
  ['an empty ES module', ['--input-type=module', '-e', '0']],
  ["import 'node:process'", ['--input-type=module', '-e', "import 'node:process'"]],
  ['xcc --version', [cli, '--version']],
];
if (values.home) {
  cases.push(['xcc env linux/arm64 (warm)', [cli, 'env', 'linux/arm64']]);
  // Node's side only: callgrind does not follow the command into its own process.
  cases.push(['xcc exec linux/arm64 -- true', [cli, 'exec', 'linux/arm64', '--', 'true']]);
}

for (const [name, args] of cases) {
  const run = spawnSync(
    'valgrind',
    ['--tool=callgrind', '--callgrind-out-file=/dev/null', process.execPath, ...args],
    {
      encoding: 'utf8',
      env: { ...process.env, ...(values.home ? { XCC_HOME: values.home } : {}) },
    },
  );
  const collected = /Collected : (\d+)/.exec(run.stderr);
  if (run.status !== 0 || !collected) throw new Error(`${name}: valgrind failed: ${run.stderr.slice(-500)}`);
  console.log(`${name.padEnd(30)} ${(Number(collected[1]) / 1e6).toFixed(0).padStart(5)}M instructions`);
}
