import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { goEnv } from '../support/builds.js';
import { machoProblems } from '../support/macho-compare.js';
import { cliBin, projectRoot } from '../support/paths.js';
import { pool } from '../support/pool.js';
import { fullSuite, needTestZig, providedTestZig } from '../support/provided-zig.js';
import { type TestZig, testCacheDir, testZigBuildCache } from '../support/test-zig.js';
import { hasCommand, needCommand, requireOrSkip } from '../support/tools.js';
import { startZigMirror, type ZigMirror } from '../support/zig-mirror.js';
import { headerFacts, headerProblems, readelfGlibc } from './checks.js';
import { expectedOutput, MATRIX, type Mode, NEWEST_GO, type Row } from './matrix.js';
import { childCpuSeconds, exec, type Finished, failure } from './process.js';
import { type E2eResults, e2eResultsFile, type RowResult } from './results.js';
import { missingForRunner, runnerDisagreement, runnerText } from './runners.js';

/**
 * The end-to-end matrix (issue 5): for every row of the support table, Go programs whose cgo parts are
 * C and C++, plus net and os/user, are built the way a user builds them (`xcc exec TARGET -- go build`,
 * with the Zig that xcc installed from a signed mirror on 127.0.0.1), their headers are checked, and
 * they run under QEMU user mode, Wine or natively and must print what the C and C++ code computed.
 *
 * Cold caches are the cost: the first build of a target makes zig compile its libc, compiler_rt and,
 * with C++, libc++/libc++abi/libunwind (minutes of CPU each). Zig's cache and GOCACHE live in the test
 * cache ($XCC_TEST_CACHE/e2e, kept by CI between runs), rows build two at a time, and C++ is built on
 * the rows that say so (the table shows which).
 */

/** Rows built at once: two suit CI's 2 cores (zig and go build each use every core in bursts). */
const JOBS = Number(process.env.XCC_E2E_JOBS) || 2;
// A cold target takes minutes of CPU; on a machine shared with other work, wall time can be several times that.
const BUILD_TIMEOUT = 30 * 60_000;
const RUN_TIMEOUT = 3 * 60_000;
const fixtures = path.join(projectRoot, 'test', 'e2e', 'fixtures');
const probeDir = path.join(fixtures, 'cgoprobe');
const stdonlyDir = path.join(probeDir, 'stdonly');
const probeExpected = readFileSync(path.join(probeDir, 'expected.txt'), 'utf8');
const stdonlyExpected = readFileSync(path.join(stdonlyDir, 'expected.txt'), 'utf8');

const cacheRoot = path.join(testCacheDir(), 'e2e');
// zig's build cache is the one every test shares (a target's libc is built once for all of them).
const zigCache = testZigBuildCache();
const goCache = path.join(cacheRoot, 'go-cache');
/**
 * xcc's home: emptied at every run, so Zig is installed through the mirror each time, but at a fixed
 * path, so the wrappers keep their paths and GOCACHE (which keys cgo objects on $CC's path) stays warm.
 */
const home = path.join(cacheRoot, 'home');

let zig: TestZig | undefined;
let mirrors: ZigMirror[] = [];
let xccEnv: NodeJS.ProcessEnv = {};
let outRoot = '';
let startedAt = 0;
let cpuAtStart = 0;
let coldCache = { zig: true, go: true };
let goVersion = '';
/** The fixtures' files before the run: builds run in them, as a user's builds run in their source tree. */
let fixtureFiles: string[] = [];
const limit = pool(JOBS);
const results = new Map<string, RowResult>();

beforeAll(async () => {
  zig = providedTestZig();
  if (zig === undefined || !hasCommand('go')) return;
  startedAt = performance.now();
  cpuAtStart = childCpuSeconds();
  fixtureFiles = listTree(fixtures);
  coldCache = { zig: isEmpty(zigCache), go: isEmpty(goCache) };
  goVersion = (await exec('go', ['env', 'GOVERSION'], { env: goEnv({}), timeoutMs: 60_000 })).stdout.trim();
  await rm(home, { recursive: true, force: true });
  await mkdir(home, { recursive: true });
  outRoot = await mkdtemp(path.join(os.tmpdir(), 'xcc-e2e-'));
  // A community mirror and ziglang.org's layout, both on 127.0.0.1, signed with the test key.
  const mirror = await startZigMirror(zig, { prefix: '/zig' });
  const origin = await startZigMirror(zig, { layout: 'ziglang.org', mirrors: () => [mirror.base] });
  mirrors = [mirror, origin];
  xccEnv = {
    ...goEnv({ CGO_ENABLED: '1', GOCACHE: goCache }),
    XCC_HOME: home,
    XCC_ZIG_INDEX: `${origin.url}/download/index.json`,
    XCC_ZIG_MIRROR: mirror.base,
    XCC_ZIG_PUBKEY: zig.key.publicKey,
    XCC_ZIG_CACHE_DIR: zigCache,
  };
  const install = await exec(process.execPath, [cliBin, 'install', zig.version], {
    env: xccEnv,
    timeoutMs: 10 * 60_000,
  });
  if (install.exitCode !== 0) throw new Error(`xcc install failed: ${failure(install)}`);
  if (mirror.count(mirror.pathOf(zig.release)) !== 1)
    throw new Error('xcc install did not download the Zig tarball from the mirror');
}, 15 * 60_000);

afterAll(async () => {
  await Promise.all(mirrors.map((mirror) => mirror.close()));
  if (outRoot !== '') await rm(outRoot, { recursive: true, force: true });
  // Nothing a build or the toolchain wrote may be left in the source tree (zig once left `-.o` there).
  if (fixtureFiles.length > 0) expect(listTree(fixtures)).toEqual(fixtureFiles);
});

function listTree(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).sort();
}

/** Rewritten as each row finishes, so an interrupted run still leaves what it proved. */
function record(result: RowResult): void {
  results.set(result.id, result);
  if (zig === undefined) return;
  const report: E2eResults = {
    version: 1,
    zig: zig.version,
    go: goVersion,
    coldCache,
    seconds: Math.round((performance.now() - startedAt) / 1000),
    cpuSeconds: Math.round(childCpuSeconds() - cpuAtStart),
    jobs: JOBS,
    rows: ROWS.flatMap((row) => results.get(row.id) ?? []),
  };
  mkdirSync(path.dirname(e2eResultsFile), { recursive: true });
  writeFileSync(e2eResultsFile, `${JSON.stringify(report, null, 2)}\n`);
}

/**
 * The rows `npm test` builds: the three targets the wire step must prove (linux/arm64 musl, linux/amd64
 * glibc 2.28, windows/amd64) and their neighbours that share a cold cache, and darwin (no libc to
 * build: its C++ runtime is the cost), whose checks against Go's own link are what makes its tier. A cold run of every row took
 * 2,408 CPU seconds (26 minutes on 2 cores) by itself, more than CI's budget beside the rest of the
 * suite: XCC_E2E_MATRIX=full runs them all.
 */
const CORE_ROWS = new Set([
  'linux/amd64 musl',
  'linux/amd64 glibc 2.28',
  'linux/arm64 musl',
  'linux/arm64 glibc 2.28',
  'windows/amd64',
  'darwin/amd64',
  'darwin/arm64',
  `linux/arm64 musl ${NEWEST_GO}`,
  `windows/amd64 ${NEWEST_GO}`,
]);
const ROWS = fullSuite ? MATRIX : MATRIX.filter((row) => CORE_ROWS.has(row.id));

// Concurrent: rows wait for one of the JOBS slots; a row filtered out with -t costs nothing.
describe.concurrent('cross-build matrix', { timeout: 60 * 60_000 }, () => {
  for (const row of ROWS) {
    it(row.id, async (context) => {
      needTestZig(context);
      needCommand(context, 'go');
      const result = await limit(() => proveRow(row));
      record(result);
      if (result.status === 'fail') expect.fail(`${row.id}: ${result.reason}`);
      if (result.status === 'skip')
        requireOrSkip(context, result.reason!, 'install what runs it: qemu-user-static, wine, libc6-*-cross');
    });
  }
});

function blankResult(row: Row): RowResult {
  return {
    id: row.id,
    target: row.target,
    flags: row.flags,
    port: row.port,
    libc: row.libc,
    glibc: row.glibc ?? null,
    cxx: row.cxx,
    modes: [],
    ranUnder: null,
    status: 'fail',
    reason: null,
    header: null,
    seconds: 0,
  };
}

/** Builds, checks and runs every mode of a row; never throws: a failure is the result's reason. */
async function proveRow(row: Row): Promise<RowResult> {
  const result = blankResult(row);
  const started = performance.now();
  try {
    await proveModes(row, result);
    if (row.knownFailure !== undefined) {
      result.status = 'fail';
      result.reason = `expected to fail (${row.knownFailure.reason}) but it works now: remove knownFailure from the row`;
    }
  } catch (error) {
    const message = (error as Error).message;
    const known = row.knownFailure?.match.test(message) ? row.knownFailure : undefined;
    result.status = known === undefined ? 'fail' : 'unsupported';
    result.reason = known === undefined ? message : known.reason;
  }
  result.seconds = Math.round((performance.now() - started) / 1000);
  return result;
}

async function proveModes(row: Row, result: RowResult): Promise<void> {
  const dir = path.join(outRoot, row.id.replaceAll(/[^a-z0-9.]+/g, '-'));
  await mkdir(dir, { recursive: true });
  const disagreement = runnerDisagreement(row, zig!.version);
  if (disagreement !== null) throw new Error(disagreement);
  const missing = missingForRunner(row.runner);
  const canRun = row.runner.kind !== 'none' && missing === null;
  const exe = (name: string) => path.join(dir, row.expect.goos === 'windows' ? `${name}.exe` : name);
  const tags = row.cxx ? [] : ['-tags', 'xcc_nocxx'];
  const expected = expectedOutput(probeExpected, row.cxx);
  const reference = row.expect.format === 'macho' ? await pureGoReference(row, dir) : undefined;
  for (const mode of row.modes) {
    const program = await buildMode(row, mode, dir, exe, tags);
    if (reference !== undefined) {
      const problems = machoProblems(readFileSync(program.file), reference);
      if (problems.length > 0) throw new Error(`${mode} against Go's own link: ${problems.join('; ')}`);
    }
    if (mode === 'exe') {
      result.header = await headerFacts(program.file);
      const problems = headerProblems(row, result.header);
      if (row.glibc !== undefined) {
        const readelf = await readelfGlibc(program.file);
        if (readelf !== result.header.glibc)
          problems.push(`readelf -V says GLIBC_${readelf}, xcc inspect says ${result.header.glibc}`);
      }
      if (problems.length > 0) throw new Error(`header check: ${problems.join('; ')}`);
    }
    result.modes.push(mode);
    if (canRun) {
      const ran = await run(row, program.run, dir, program.env);
      const want = mode === 'stdonly' || mode === 'external' ? stdonlyExpected : expected;
      if (ran.exitCode !== 0 || normalize(ran.stdout) !== normalize(want))
        throw new Error(`${mode}: printed\n${ran.stdout}\nexpected\n${want}\n${failure(ran)}`);
    }
  }
  result.ranUnder = canRun ? runnerText(row.runner) : null;
  await expectNoFirstBuildNotice(row, dir);
  if (row.runner.kind === 'none') {
    result.status = reference === undefined ? 'built' : 'linked';
    result.reason = row.runner.reason;
  } else if (missing !== null) {
    result.status = 'skip';
    result.reason = `built and checked, not run: ${missing}`;
  } else {
    result.status = 'pass';
  }
}

/**
 * After a build, the wrappers have marked zig's cache (src/toolchain/first-link.ts): `xcc env` for the row
 * no longer says that the first build compiles the C library. (Whether it says so before depends on what
 * the rows building beside it linked first; test/cli/first-build.test.ts has that in a fresh cache.)
 */
async function expectNoFirstBuildNotice(row: Row, cwd: string): Promise<void> {
  const args = [cliBin, 'env', row.target, ...row.flags, '--format', 'json'];
  const env = row.go === undefined ? xccEnv : { ...xccEnv, GOTOOLCHAIN: row.go };
  const result = await exec(process.execPath, args, { cwd, env, timeoutMs: BUILD_TIMEOUT });
  if (result.exitCode !== 0) throw new Error(failure(result));
  if (result.stderr.includes('first cgo build'))
    throw new Error(`after the build, xcc env still says the first build is ahead: ${result.stderr.trim()}`);
}

interface Program {
  /** The file whose header is checked. */
  file: string;
  /** What runs: the program, or the C driver linked with the library. */
  run: string[];
  env: NodeJS.ProcessEnv;
}

async function buildMode(
  row: Row,
  mode: Mode,
  dir: string,
  exe: (name: string) => string,
  tags: string[],
): Promise<Program> {
  switch (mode) {
    case 'exe': {
      const file = exe('cgoprobe');
      await goBuild(row, probeDir, [...tags, '-o', file, '.']);
      return { file, run: [file], env: {} };
    }
    case 'stdonly':
    case 'external': {
      const file = exe(mode);
      const ldflags = mode === 'external' ? ['-ldflags=-linkmode=external'] : [];
      await goBuild(row, stdonlyDir, [...ldflags, '-o', file, '.']);
      return { file, run: [file], env: {} };
    }
    case 'c-archive':
      return buildArchiveDriver(row, dir, exe, tags);
    case 'c-shared':
      return buildSharedDriver(row, dir, exe, tags);
  }
}

/** cgoprobe as a static library, linked into driver.c with $CXX (the archive holds C++ objects). */
async function buildArchiveDriver(
  row: Row,
  dir: string,
  exe: (name: string) => string,
  tags: string[],
): Promise<Program> {
  const archive = path.join(dir, 'libprobe.a');
  await goBuild(row, probeDir, [...tags, '-buildmode=c-archive', '-o', archive, '.']);
  const driver = exe('driver-archive');
  const link = row.cxx ? '$CXX' : '$CC';
  const system = row.expect.goos === 'windows' ? '' : ' -lpthread -lm';
  await xccShell(
    row,
    `$CC -c ${q(path.join(probeDir, 'driver', 'driver.c'))} -o ${q(`${driver}.o`)} && ${link} ${q(`${driver}.o`)} ${q(archive)} -o ${q(driver)}${system}`,
    dir,
  );
  return { file: driver, run: [driver], env: {} };
}

/**
 * cgoprobe as a shared library: on Linux the driver links against it and finds it through
 * LD_LIBRARY_PATH; on Windows (no import library from Go) it loads the DLL with LoadLibrary.
 */
async function buildSharedDriver(
  row: Row,
  dir: string,
  exe: (name: string) => string,
  tags: string[],
): Promise<Program> {
  const windows = row.expect.goos === 'windows';
  const library = path.join(dir, windows ? 'probe.dll' : 'libprobe.so');
  await goBuild(row, probeDir, [...tags, '-buildmode=c-shared', '-o', library, '.']);
  const facts = await headerFacts(library);
  if (facts.arch !== row.expect.goarch)
    throw new Error(`${library} is ${facts.arch}, not ${row.expect.goarch}`);
  const driver = exe('driver-shared');
  const source = q(path.join(probeDir, 'driver', 'driver.c'));
  if (windows) {
    await xccShell(row, `$CC -DXCC_LOADLIBRARY ${source} -o ${q(driver)}`, dir);
    return { file: driver, run: [driver, 'probe.dll'], env: {} };
  }
  await xccShell(row, `$CC ${source} -o ${q(driver)} -L ${q(dir)} -lprobe`, dir);
  return { file: driver, run: [driver], env: { LD_LIBRARY_PATH: dir } };
}

/**
 * What a Mach-O row is held against: net and os/user (the stdonly program) linked by Go alone
 * (CGO_ENABLED=0), the way every pure-Go darwin binary that runs on macOS is made.
 */
async function pureGoReference(row: Row, dir: string): Promise<Buffer> {
  const file = path.join(dir, 'pure-go');
  const env = goEnv({
    GOCACHE: goCache,
    GOOS: row.expect.goos,
    GOARCH: row.expect.goarch,
    CGO_ENABLED: '0',
    ...(row.go === undefined ? {} : { GOTOOLCHAIN: row.go }),
  });
  const built = await exec('go', ['build', '-o', file, '.'], {
    cwd: stdonlyDir,
    env,
    timeoutMs: BUILD_TIMEOUT,
  });
  if (built.exitCode !== 0) throw new Error(`the pure-Go reference: ${failure(built)}`);
  return readFileSync(file);
}

async function goBuild(row: Row, cwd: string, args: string[]): Promise<void> {
  await xcc(row, ['go', 'build', ...args], cwd);
}

/** A shell command with the row's toolchain: what a user does for the C side (`$CC`, `$CXX`). */
async function xccShell(row: Row, script: string, cwd: string): Promise<void> {
  await xcc(row, ['sh', '-c', script], cwd);
}

async function xcc(row: Row, command: string[], cwd: string): Promise<Finished> {
  const args = [cliBin, 'exec', row.target, ...row.flags, '--quiet', '--', ...command];
  const env = row.go === undefined ? xccEnv : { ...xccEnv, GOTOOLCHAIN: row.go };
  const result = await exec(process.execPath, args, { cwd, env, timeoutMs: BUILD_TIMEOUT });
  if (result.exitCode !== 0) throw new Error(failure(result));
  return result;
}

/** The program run the way a user runs a built binary: `xcc run TARGET -- program args` (src/run/). */
async function run(
  row: Row,
  [program, ...args]: string[],
  cwd: string,
  env: NodeJS.ProcessEnv,
): Promise<Finished> {
  const command = [cliBin, 'run', row.target, ...row.flags, '--quiet', '--', program!, ...args];
  return exec(process.execPath, command, { cwd, env: { ...xccEnv, ...env }, timeoutMs: RUN_TIMEOUT });
}

function normalize(text: string): string {
  return text.replaceAll('\r\n', '\n').trim();
}

/** POSIX single quotes, for paths put into `sh -c` scripts. */
function q(text: string): string {
  return `'${text.replaceAll("'", "'\\''")}'`;
}

function isEmpty(dir: string): boolean {
  return !existsSync(dir) || readdirSync(dir).length === 0;
}
