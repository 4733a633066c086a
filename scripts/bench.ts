/**
 * `npm run bench`: xcc's costs against a baseline measured in the same run, each figure the median of
 * several runs, baseline and xcc runs alternating. Prints a table, writes bench/results.json and renders
 * the table of docs/benchmarks.md (scripts/bench-table.ts).
 *
 *   npm run bench -- [--runs 7] [--only env,exec,execbuild,wrapper,install,pypi,concurrent,gobuild,sqlite,release,startup,xz] [--go-target linux/arm64] [--merge]
 *
 * Needs: Linux, GNU time (`/usr/bin/time`, Debian package `time`), curl, xz, tar, bash, Go (for the
 * go build case), and the test Zig (test/support/test-zig.ts; `$XCC_TEST_CACHE` or test/.cache, prepared
 * from PyPI on first use) served from a loopback mirror. Nothing here is a test: `npm test` never times.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { RELEASE_FLAGS } from '../src/release/plan.js';
import { startZigPypi } from '../test/support/pypi-server.js';
import { prepareTestZig, type TestZig, testCacheDir, testZigBuildCache } from '../test/support/test-zig.js';
import { startZigMirror, type ZigMirror } from '../test/support/zig-mirror.js';
import { type Command, measure, paired, type Summary, summarize } from './bench/measure.js';
import type { BenchCase, BenchResults, Machine } from './bench/results.js';
import { renderTable, writeTable } from './bench-table.js';

const projectRoot = path.resolve(import.meta.dirname, '..');
const cli = path.join(projectRoot, 'bin', 'xcc.cjs');
const resultsFile = path.join(projectRoot, 'bench', 'results.json');
const log = (line: string) => process.stderr.write(`bench: ${line}\n`);
/**
 * Cases that take well under a second (xcc env, the wrapper, startup) run this many times `--runs`: their
 * differences are a few milliseconds, within one run's noise on a shared 2-core machine.
 */
const FAST_CASE_RUNS = 6;

interface Context {
  zig: TestZig;
  origin: ZigMirror;
  mirror: ZigMirror;
  scratch: string;
  runs: number;
  goTarget: string;
  /** A home with the Zig installed and the go target provisioned (the warm cache). */
  warmHome: string;
}

const CASES: Record<string, (context: Context) => Promise<BenchCase[]>> = {
  env: benchEnv,
  exec: benchExec,
  execbuild: benchExecBuild,
  wrapper: benchWrapper,
  install: benchInstall,
  pypi: benchPypi,
  concurrent: benchConcurrent,
  gobuild: benchGoBuild,
  sqlite: benchSqlite,
  release: benchRelease,
  startup: benchStartup,
  xz: benchXz,
};

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      runs: { type: 'string', default: '7' },
      only: { type: 'string' },
      'go-target': { type: 'string', default: 'linux/arm64' },
      // Re-measure some cases and keep the others from the previous bench/results.json.
      merge: { type: 'boolean', default: false },
    },
  });
  const only = values.only?.split(',') ?? Object.keys(CASES);
  const unknown = only.filter((name) => !(name in CASES));
  if (unknown.length > 0)
    throw new Error(`unknown case ${unknown.join(', ')}; known: ${Object.keys(CASES).join(', ')}`);
  const zig = await prepareTestZig({ log });
  const origin = await startZigMirror(zig, { layout: 'ziglang.org', artifacts: [zig.release] });
  const mirror = await startZigMirror(zig, { prefix: '/zig', artifacts: [zig.release] });
  const scratch = await mkdtemp(path.join(os.tmpdir(), 'xcc-bench-'));
  const loadStart = os.loadavg()[0]!;
  try {
    const context: Context = {
      zig,
      origin,
      mirror,
      scratch,
      runs: Number(values.runs),
      goTarget: values['go-target'],
      warmHome: path.join(scratch, 'warm-home'),
    };
    await prepareWarmHome(context);
    const cases: BenchCase[] = [];
    const merge = values.merge;
    await mkdir(path.dirname(resultsFile), { recursive: true });
    let results: BenchResults | undefined;
    for (const name of only) {
      log(`case ${name}`);
      cases.push(...(await CASES[name]!(context)));
      // Written after every case: a late failure must not lose half an hour of go builds.
      results = {
        date: new Date().toISOString(),
        machine: machine(zig, { start: loadStart, end: os.loadavg()[0]! }),
        cases: merge ? merged(cases) : cases,
      };
      writeFileSync(resultsFile, `${JSON.stringify(results, null, 2)}\n`);
    }
    if (results === undefined) return;
    process.stdout.write(`${renderTable(results)}\n`);
    writeTable(results);
    log(`wrote ${path.relative(projectRoot, resultsFile)} and the table of docs/benchmarks.md`);
  } finally {
    await Promise.all([origin.close(), mirror.close()]);
    await rm(scratch, { recursive: true, force: true });
  }
}

/** The previous results with the cases just measured replaced (same id) or added. */
function merged(cases: BenchCase[]): BenchCase[] {
  const previous = (JSON.parse(readFileSync(resultsFile, 'utf8')) as BenchResults).cases;
  const fresh = new Map(cases.map((benchCase) => [benchCase.id, benchCase]));
  const kept = previous.map((benchCase) => fresh.get(benchCase.id) ?? benchCase);
  return [...kept, ...cases.filter((benchCase) => !previous.some((old) => old.id === benchCase.id))];
}

function mirrorEnv(context: Context, home: string): Record<string, string> {
  return {
    XCC_HOME: home,
    XCC_ZIG_INDEX: `${context.origin.url}/download/index.json`,
    XCC_ZIG_MIRROR: context.mirror.base,
    XCC_ZIG_PUBKEY: context.zig.key.publicKey,
  };
}

/** sync(1): what earlier runs left in the page cache goes to disk before the next run is measured. */
function flushDisk(): void {
  execFileSync('sync');
}

function xcc(args: string[], env: Record<string, string>): Command {
  return { argv: [process.execPath, cli, ...args], env };
}

async function prepareWarmHome(context: Context): Promise<void> {
  const env = mirrorEnv(context, context.warmHome);
  await measure(xcc(['install', context.zig.version, '--quiet'], env));
  await measure(xcc(['env', context.goTarget, '--quiet'], env));
}

/** The toolchain `xcc env` provisioned in the warm home: its manifest says where everything is. */
function warmToolchain(context: Context): { dir: string; cc: string; env: Record<string, string> } {
  const out = execFileSync(process.execPath, [cli, 'env', context.goTarget, '--format', 'json'], {
    env: { ...process.env, ...mirrorEnv(context, context.warmHome) },
    encoding: 'utf8',
  });
  const env = JSON.parse(out) as Record<string, string>;
  const cc = env.CC!;
  return { dir: path.dirname(path.dirname(cc)), cc, env };
}

/** 1. The shell-startup path: `xcc env` on a warm cache against Node doing nothing. */
async function benchEnv(context: Context): Promise<BenchCase[]> {
  const env = mirrorEnv(context, context.warmHome);
  const node = { argv: [process.execPath, '-e', '0'] };
  const result = await paired({
    name: 'xcc env (warm)',
    runs: context.runs * FAST_CASE_RUNS,
    warmup: 1,
    baseline: () => node,
    subject: () => xcc(['env', context.goTarget], env),
    log,
  });
  const envFile = path.join(warmToolchain(context).dir, 'env.sh');
  const sourced = await paired({
    name: 'source env.sh',
    runs: context.runs * FAST_CASE_RUNS,
    baseline: () => ({ argv: ['sh', '-c', ':'] }),
    subject: () => ({ argv: ['sh', '-c', `. '${envFile}'`] }),
    log,
  });
  return [
    {
      id: 'env',
      title: `xcc env ${context.goTarget}, everything cached`,
      baseline: { name: 'node -e 0', ...result.baseline },
      subject: { name: `xcc env ${context.goTarget}`, ...result.subject },
      target: { metric: 'wallMs', maxRatio: 1.5 },
    },
    {
      id: 'env-file',
      title: 'sourcing the cached env.sh (no Node)',
      baseline: { name: "sh -c ':'", ...sourced.baseline },
      subject: { name: "sh -c '. env.sh'", ...sourced.subject },
    },
  ];
}

/** 1b. The path of most builds: `xcc exec` running a command that does nothing, against a warm `xcc env`. */
async function benchExec(context: Context): Promise<BenchCase[]> {
  const env = mirrorEnv(context, context.warmHome);
  const result = await paired({
    name: 'xcc exec -- true (warm)',
    runs: context.runs * FAST_CASE_RUNS,
    warmup: 1,
    baseline: () => xcc(['env', context.goTarget], env),
    subject: () => xcc(['exec', context.goTarget, '--', 'true'], env),
    log,
  });
  return [
    {
      id: 'exec',
      title: `xcc exec ${context.goTarget} -- true, everything cached`,
      baseline: { name: `xcc env ${context.goTarget}`, ...result.baseline },
      subject: { name: `xcc exec ${context.goTarget} -- true`, ...result.subject },
      target: { metric: 'wallMs', maxRatio: 1.3 },
    },
  ];
}

/**
 * 1c. A relink of a small cgo program through `xcc exec` against the same go build in a shell that ran
 * `eval "$(xcc env ...)"` before: Go's and zig's caches warm, the program's binary removed before each run
 * so that Go links it again. What `xcc exec` adds is one Node start; no target, the figure is for users.
 */
async function benchExecBuild(context: Context): Promise<BenchCase[]> {
  const project = await writeCgoHello(context);
  const zigCache = path.join(context.scratch, 'zig-cache-exec');
  const output = path.join(context.scratch, 'cgo-hello-exec.out');
  const caches = { XCC_ZIG_CACHE_DIR: zigCache, GOCACHE: path.join(context.scratch, 'gocache-exec') };
  const goBuild = ['go', 'build', '-o', output, '.'];
  const evaluated = { ...toolchainEnv(context, zigCache), GOCACHE: caches.GOCACHE };
  log(`go build ${context.goTarget} to warm the caches (minutes on a cold zig cache)`);
  await measure({ argv: goBuild, cwd: project, env: evaluated });
  const result = await paired({
    name: 'relink through xcc exec',
    runs: context.runs,
    warmup: 1,
    prepare: () => rm(output, { force: true }),
    baseline: () => ({ argv: goBuild, cwd: project, env: evaluated }),
    subject: () => ({
      ...xcc(['exec', context.goTarget, '--', ...goBuild], {
        ...mirrorEnv(context, context.warmHome),
        ...caches,
      }),
      cwd: project,
    }),
    log,
  });
  return [
    {
      id: 'exec-gobuild',
      title: `relink a cgo hello for ${context.goTarget}, Go's and zig's caches warm`,
      baseline: { name: 'go build after eval "$(xcc env)"', ...result.baseline },
      subject: { name: 'xcc exec -- go build', ...result.subject },
    },
  ];
}

/** 2. The cc wrapper against calling zig cc with the same arguments, zig's cache warm. */
async function benchWrapper(context: Context): Promise<BenchCase[]> {
  const { cc, env } = warmToolchain(context);
  const source = path.join(context.scratch, 'hello.c');
  await writeFile(source, '#include <stdio.h>\nint main(void) { puts("hello"); return 0; }\n');
  const object = path.join(context.scratch, 'hello.o');
  const args = ['-O2', '-c', source, '-o', object];
  const cacheEnv = {
    ZIG_GLOBAL_CACHE_DIR: env.ZIG_GLOBAL_CACHE_DIR,
    ZIG_LOCAL_CACHE_DIR: env.ZIG_LOCAL_CACHE_DIR,
  };
  const result = await paired({
    name: 'cc wrapper',
    runs: context.runs * FAST_CASE_RUNS,
    warmup: 2,
    baseline: () => ({ argv: [...wrapperExec(cc), ...args], env: cacheEnv }),
    subject: () => ({ argv: [cc, ...args], env: cacheEnv }),
    log,
  });
  return [
    {
      id: 'wrapper',
      title: 'compile hello.c (-O2 -c), zig cache warm',
      baseline: { name: 'zig cc <same flags>', ...result.baseline },
      subject: { name: 'cc wrapper', ...result.subject },
      target: { metric: 'wallMs', maxRatio: 1.05 },
    },
  ];
}

/**
 * What the wrapper runs: the words of its `exec` line, or with a hint quirk the command it runs before
 * `xcc_status=$?` (the bench's paths need no shell quoting).
 */
function wrapperExec(wrapper: string): string[] {
  const lines = readFileSync(wrapper, 'utf8').split('\n');
  const line = lines.find((text) => text.startsWith('exec ')) ?? lines[lines.indexOf('xcc_status=$?') - 1];
  if (line === undefined || line.includes("'")) throw new Error(`cannot read the command line of ${wrapper}`);
  return line
    .replace(/^exec /, '')
    .replace(' "$@"', '')
    .split(' ');
}

/** Before each run of a cold install: no cache, an empty output directory for the baseline, the disk flushed. */
function coldStart(home: string, out: string): () => Promise<void> {
  return async () => {
    await rm(home, { recursive: true, force: true });
    await rm(out, { recursive: true, force: true });
    await mkdir(out);
    // Each run writes some 19,000 files; without this, the disk is still writing one run's back while
    // the next is measured.
    flushDisk();
  };
}

/** 3. A cold install from the loopback mirror against the shell pipeline on the same file. */
async function benchInstall(context: Context): Promise<BenchCase[]> {
  const url = `${context.mirror.base}/${context.zig.release.fileName}`;
  const home = path.join(context.scratch, 'cold-home');
  const out = path.join(context.scratch, 'pipeline-out');
  const result = await paired({
    name: 'cold install',
    runs: Math.max(3, Math.ceil(context.runs / 2)),
    prepare: coldStart(home, out),
    baseline: () => ({
      argv: [
        'bash',
        '-c',
        `set -o pipefail; curl -sf '${url}' | tee >(sha256sum >/dev/null) | xz -d | tar -x -C '${out}'`,
      ],
    }),
    subject: () => xcc(['install', context.zig.version, '--quiet'], mirrorEnv(context, home)),
    log,
  });
  return [
    {
      id: 'install',
      title: `cold install of ${context.zig.release.fileName} (${(context.zig.release.size / 2 ** 20).toFixed(0)} MiB) from a loopback mirror`,
      baseline: { name: 'curl | tee >(sha256sum) | xz -d | tar -x', ...result.baseline },
      subject: { name: 'xcc install (sha256, minisign, extract, zig version)', ...result.subject },
      target: { metric: 'wallMs', maxRatio: 1.3 },
      notes: { maxRssMiB: 200, peakRssMiB: Math.max(...result.subject.samples.map((s) => s.rssMiB)) },
    },
  ];
}

/**
 * 3b. The path of machines that cannot reach ziglang.org or a mirror: the pinned PyPI wheel from a loopback
 * index, against curl and unzip of the same wheel from the same server into a fresh directory.
 */
async function benchPypi(context: Context): Promise<BenchCase[]> {
  const pypi = await startZigPypi(context.zig);
  const { fileName, size } = context.zig.wheel;
  const url = `${pypi.url}/packages/${fileName}`;
  const home = path.join(context.scratch, 'pypi-home');
  const out = path.join(context.scratch, 'unzip-out');
  try {
    const result = await paired({
      name: 'pypi install',
      runs: Math.max(3, Math.ceil(context.runs / 2)),
      prepare: coldStart(home, out),
      baseline: () => ({
        argv: ['bash', '-c', `curl -sf '${url}' -o '${out}/w.whl' && unzip -q '${out}/w.whl' -d '${out}'`],
      }),
      subject: () =>
        xcc(['install', context.zig.version, '--source', 'pypi', '--quiet'], {
          XCC_HOME: home,
          XCC_PYPI_INDEX_URL: pypi.indexUrl,
        }),
      log,
    });
    return [
      {
        id: 'pypi',
        title: `cold install of the PyPI wheel ${fileName} (${(size / 2 ** 20).toFixed(0)} MiB) from a loopback index`,
        baseline: { name: 'curl -o w.whl && unzip w.whl', ...result.baseline },
        subject: { name: 'xcc install --source pypi (sha256, extract, zig version)', ...result.subject },
        target: { metric: 'wallMs', maxRatio: 1.3 },
      },
    ];
  } finally {
    await pypi.close();
  }
}

/** 4. Eight installs at once on a cold cache: one download, and about the time of one install. */
async function benchConcurrent(context: Context): Promise<BenchCase[]> {
  const home = path.join(context.scratch, 'concurrent-home');
  const env = mirrorEnv(context, home);
  const tarball = context.mirror.pathOf(context.zig.release);
  const install = `'${process.execPath}' '${cli}' install ${context.zig.version} --quiet`;
  const downloads: number[] = [];
  let before = 0;
  const result = await paired({
    name: '8 concurrent installs',
    runs: Math.max(2, Math.ceil(context.runs / 3)),
    prepare: async () => {
      await rm(home, { recursive: true, force: true });
      flushDisk();
      before = context.mirror.count(tarball);
    },
    baseline: () => ({ argv: ['bash', '-c', install], env }),
    subject: () => ({ argv: ['bash', '-c', `for i in 1 2 3 4 5 6 7 8; do ${install} & done; wait`], env }),
    measured: (side) => {
      if (side === 'subject') downloads.push(context.mirror.count(tarball) - before);
    },
    log,
  });
  return [
    {
      id: 'concurrent',
      title: '8 concurrent xcc install, cold cache',
      baseline: { name: '1 xcc install', ...result.baseline },
      subject: { name: '8 xcc install at once', ...result.subject },
      target: { metric: 'wallMs', maxRatio: 1.3 },
      notes: { downloadsPerRun: Math.max(...downloads) },
    },
  ];
}

/** 5. First go build on a cold zig cache, after `xcc install --prewarm`, and fully warm. */
async function benchGoBuild(context: Context): Promise<BenchCase[]> {
  const project = await writeCgoHello(context);
  let builds = 0;
  // A fresh GOCACHE for every build: the only difference between the three is zig's cache.
  const goBuild = (zigCache: string): Command => ({
    argv: ['go', 'build', '-o', path.join(context.scratch, 'cgo-hello.out'), '.'],
    cwd: project,
    env: { ...toolchainEnv(context, zigCache), GOCACHE: path.join(context.scratch, `gocache-${++builds}`) },
  });
  const coldCache = path.join(context.scratch, 'zig-cache-cold');
  log(`go build ${context.goTarget}, cold zig cache (minutes)`);
  const cold = await measure(goBuild(coldCache));
  log(`go build, cold zig cache: ${JSON.stringify(cold)}`);
  const warm: Summary = summarize(
    await repeat(Math.max(3, Math.ceil(context.runs / 2)), () => measure(goBuild(coldCache))),
  );
  const prewarmedCache = path.join(context.scratch, 'zig-cache-prewarmed');
  log(`xcc install --prewarm ${context.goTarget} (minutes)`);
  const prewarm = await measure(
    xcc(['install', context.zig.version, '--prewarm', context.goTarget, '--quiet'], {
      ...mirrorEnv(context, context.warmHome),
      XCC_ZIG_CACHE_DIR: prewarmedCache,
    }),
  );
  const before = await runtimeArtifacts(prewarmedCache);
  log(`prewarm: ${JSON.stringify(prewarm)}`);
  const first = await measure(goBuild(prewarmedCache));
  log(`go build after prewarm: ${JSON.stringify(first)}`);
  const rebuilt = (await runtimeArtifacts(prewarmedCache)).filter((file) => !before.includes(file));
  return [
    {
      id: 'gobuild-cold',
      title: `first go build ${context.goTarget} (cgo hello), cold zig cache`,
      baseline: { name: 'go build, zig cache warm', ...warm },
      subject: { name: 'go build, zig cache cold', ...summarize([cold]) },
    },
    {
      id: 'gobuild-prewarmed',
      title: `first go build ${context.goTarget} after xcc install --prewarm`,
      baseline: { name: 'go build, zig cache warm', ...warm },
      subject: { name: 'go build after --prewarm', ...summarize([first]) },
      target: { metric: 'wallMs', maxRatio: 1.2 },
      notes: {
        prewarmWallMs: Math.round(prewarm.wallMs),
        prewarmCpuMs: Math.round(prewarm.cpuMs),
        runtimeLibrariesRebuilt: rebuilt.length,
      },
    },
  ];
}

/**
 * The first build of a real C project, per target (issue 17): a program using mattn/go-sqlite3 (the
 * SQLite amalgamation, 9 MB of C), built with a fresh GOCACHE twice: first with a zig cache that has never
 * built anything (zig builds the target's C library too: what a new user waits for), then with that cache
 * warm (the baseline: SQLite alone). The difference is what `xcc install --prewarm` takes off the first
 * build. One run each: a pair takes minutes per target on two cores.
 */
const SQLITE_MODULE = 'github.com/mattn/go-sqlite3@v1.14.53';
const SQLITE_TARGETS: string[][] = [['linux/arm64'], ['linux/amd64', '--glibc=2.31'], ['windows/amd64']];

async function benchSqlite(context: Context): Promise<BenchCase[]> {
  const project = await writeSqliteProgram(context);
  const cases: BenchCase[] = [];
  for (const [index, target] of SQLITE_TARGETS.entries()) {
    const zigCache = path.join(context.scratch, `sqlite-zig-cache-${index}`);
    const env = toolchainEnv(context, zigCache, target);
    const build = (run: string): Command => ({
      argv: ['go', 'build', '-o', path.join(context.scratch, 'sqlite.out'), '.'],
      cwd: project,
      env: {
        ...env,
        GOCACHE: path.join(context.scratch, `sqlite-gocache-${index}-${run}`),
        GOFLAGS: '-mod=mod',
      },
    });
    log(`go build ${SQLITE_MODULE} for ${target.join(' ')}, cold zig cache (minutes)`);
    const cold = await measure(build('cold'));
    log(`cold: ${JSON.stringify(cold)}; again with the zig cache warm`);
    const warm = await measure(build('warm'));
    cases.push({
      id: `sqlite-cold-${target.join('-').replace(/[^a-z0-9.]+/g, '-')}`,
      title: `first go build of ${SQLITE_MODULE} for ${target.join(' ')}, cold zig cache`,
      baseline: { name: 'go build, zig cache warm', ...summarize([warm]) },
      subject: { name: 'go build, zig cache cold', ...summarize([cold]) },
    });
  }
  return cases;
}

/** A main package that opens an in-memory SQLite database: links all of SQLite and the C library. */
async function writeSqliteProgram(context: Context): Promise<string> {
  const project = path.join(context.scratch, 'sqlite-program');
  await mkdir(project, { recursive: true });
  await writeFile(path.join(project, 'go.mod'), 'module example.com/sqlitebench\n\ngo 1.22\n');
  await writeFile(
    path.join(project, 'main.go'),
    [
      'package main',
      '',
      'import (',
      '\t"database/sql"',
      '\t"fmt"',
      '',
      '\t_ "github.com/mattn/go-sqlite3"',
      ')',
      '',
      'func main() {',
      '\tdb, err := sql.Open("sqlite3", ":memory:")',
      '\tif err != nil {',
      '\t\tpanic(err)',
      '\t}',
      '\tvar version string',
      '\tif err := db.QueryRow("select sqlite_version()").Scan(&version); err != nil {',
      '\t\tpanic(err)',
      '\t}',
      '\tfmt.Println(version)',
      '}',
      '',
    ].join('\n'),
  );
  // Through the Go module proxy, before anything is timed.
  execFileSync('go', ['get', SQLITE_MODULE], { cwd: project, stdio: 'inherit' });
  return project;
}

/** The five targets of the release case: ones docs/support.md proves, two of them 32-bit or RISC-V. */
const RELEASE_TARGETS = ['linux/amd64', 'linux/arm64', 'linux/arm/v7', 'windows/amd64', 'linux/riscv64'];

/**
 * 6. A release build of five targets: `xcc build` (its go builds at once, one per core) against the same
 * go builds one after another through `xcc exec`, with the same release flags. Zig's cache is warm for both
 * (prewarmed first; the test suite's shared zig cache, so a machine that ran the tests prewarms in seconds),
 * Go's is cold for every run: each target compiles the standard library for itself, as a CI job does.
 */
async function benchRelease(context: Context): Promise<BenchCase[]> {
  const project = await writeCgoHello(context);
  const zigCache = testZigBuildCache();
  const goCache = path.join(context.scratch, 'gocache-release');
  const out = path.join(context.scratch, 'release-out');
  const env = {
    ...mirrorEnv(context, context.warmHome),
    XCC_ZIG_CACHE_DIR: zigCache,
    GOCACHE: goCache,
    GOFLAGS: '',
  };
  log(`xcc install --prewarm ${RELEASE_TARGETS.join(',')} (minutes on a cold zig cache)`);
  const prewarm = await measure(
    xcc(['install', context.zig.version, '--prewarm', RELEASE_TARGETS.join(','), '--quiet'], env),
  );
  log(`prewarm: ${JSON.stringify(prewarm)}`);
  const flags = [...RELEASE_FLAGS.flags, `-ldflags=${RELEASE_FLAGS.ldflags}`];
  const quote = (text: string) => `'${text.replaceAll("'", `'\\''`)}'`;
  const sequential = RELEASE_TARGETS.map((target) =>
    [
      process.execPath,
      cli,
      'exec',
      target,
      '--quiet',
      '--',
      'go',
      'build',
      ...flags,
      '-o',
      path.join(out, target.replaceAll('/', '-')),
      '.',
    ]
      .map(quote)
      .join(' '),
  ).join(' && ');
  const result = await paired({
    name: 'release build of 5 targets',
    runs: Math.max(1, Math.ceil(context.runs / 3)),
    prepare: async () => {
      await rm(goCache, { recursive: true, force: true });
      await rm(out, { recursive: true, force: true });
      flushDisk();
    },
    baseline: () => ({
      argv: ['bash', '-c', `set -e; mkdir -p ${quote(out)}; ${sequential}`],
      cwd: project,
      env,
    }),
    subject: () => ({
      ...xcc(['build', ...RELEASE_TARGETS, '--out', out, '--quiet'], env),
      cwd: project,
    }),
    log,
  });
  return [
    {
      id: 'release',
      title: `release build of a cgo hello for ${RELEASE_TARGETS.length} targets, zig cache warm, Go cache cold`,
      baseline: { name: 'xcc exec -- go build, one target after another', ...result.baseline },
      subject: {
        name: `xcc build (${Math.min(os.availableParallelism(), RELEASE_TARGETS.length)} at once)`,
        ...result.subject,
      },
      notes: { prewarmWallMs: Math.round(prewarm.wallMs) },
    },
  ];
}

/** A Go module in the scratch directory whose main package calls C: the smallest program cgo links. */
async function writeCgoHello(context: Context): Promise<string> {
  const project = path.join(context.scratch, 'cgo-hello');
  await mkdir(project, { recursive: true });
  await writeFile(path.join(project, 'go.mod'), 'module example.com/cgohello\n\ngo 1.22\n');
  await writeFile(
    path.join(project, 'main.go'),
    'package main\n\n// #include <stdio.h>\n// static int twice(int x) { return 2 * x; }\nimport "C"\nimport "fmt"\n\nfunc main() { fmt.Println(C.twice(21)) }\n',
  );
  return project;
}

function toolchainEnv(
  context: Context,
  zigCache: string,
  target: string[] = [context.goTarget],
): Record<string, string> {
  const out = execFileSync(process.execPath, [cli, 'env', ...target, '--format', 'json', '--quiet'], {
    env: { ...process.env, ...mirrorEnv(context, context.warmHome), XCC_ZIG_CACHE_DIR: zigCache },
    encoding: 'utf8',
  });
  return JSON.parse(out) as Record<string, string>;
}

/** The libraries and crt objects zig builds at link time, by path in its cache. */
async function runtimeArtifacts(zigCache: string): Promise<string[]> {
  const objects = path.join(zigCache, 'o');
  const found: string[] = [];
  for (const dir of await readdir(objects).catch(() => [])) {
    for (const name of await readdir(path.join(objects, dir)).catch(() => [])) {
      if (/^(lib(c|compiler_rt|c\+\+|c\+\+abi|unwind|zigc)\.a|.*crt.*\.o|lib.*\.so(\.\d+)*)$/.test(name))
        found.push(path.join(dir, name));
    }
  }
  return found;
}

async function repeat<T>(times: number, run: () => Promise<T>): Promise<T[]> {
  const results: T[] = [];
  for (let index = 0; index < times; index++) results.push(await run());
  return results;
}

/** 6. What loading xcc costs: the library import and the CLI's --version. */
async function benchStartup(context: Context): Promise<BenchCase[]> {
  const node = { argv: [process.execPath, '-e', '0'] };
  const runs = context.runs * FAST_CASE_RUNS;
  const library = await paired({
    name: "import('xcc')",
    runs,
    warmup: 1,
    baseline: () => node,
    // Resolved by name through the package's own "exports" (a self-reference from its directory).
    subject: () => ({
      argv: [process.execPath, '--input-type=module', '-e', "await import('xcc')"],
      cwd: projectRoot,
    }),
    log,
  });
  const version = await paired({
    name: 'xcc --version',
    runs,
    baseline: () => node,
    subject: () => xcc(['--version'], {}),
    log,
  });
  return [
    {
      id: 'import',
      title: "library import, import('xcc')",
      baseline: { name: 'node -e 0', ...library.baseline },
      subject: { name: "import('xcc')", ...library.subject },
    },
    {
      id: 'version',
      title: 'xcc --version',
      baseline: { name: 'node -e 0', ...version.baseline },
      subject: { name: 'xcc --version', ...version.subject },
    },
  ];
}

/**
 * 7. The xz decoder xcc falls back to where no `xz` program is on PATH (liblzma in WebAssembly,
 * src/zig/archive/xz-wasm.ts) decoding a tarball to nothing, against `xz -dc`. Twice: on the test tarball
 * (xz -0, many blocks) and on the same tar recompressed as Zig's releases are (xz -9, one block, a 64 MiB
 * dictionary; made once and kept in the test cache), since the ratio depends on how the data was packed.
 */
async function benchXz(context: Context): Promise<BenchCase[]> {
  const decoder = pathToFileURL(path.join(projectRoot, 'dist/zig/archive/xz-wasm.js')).href;
  const decode = `
    import { createReadStream } from 'node:fs';
    import { decodeXzWithWasm } from '${decoder}';
    let bytes = 0;
    for await (const chunk of decodeXzWithWasm(createReadStream(process.argv[1]))) bytes += chunk.length;
    if (bytes === 0) throw new Error('decoded nothing');`;
  const archives = [
    { id: 'xz', path: context.zig.release.path, packing: 'as the test repacks it: xz -0, 342 blocks' },
    { id: 'xz9', path: await packedLikeZig(context.zig), packing: "as Zig's releases are: xz -9, one block" },
  ];
  const cases: BenchCase[] = [];
  for (const archive of archives) {
    const result = await paired({
      name: `xz decoders (${archive.id})`,
      runs: Math.max(3, Math.ceil(context.runs / 2)),
      baseline: () => ({ argv: ['xz', '-dc', archive.path] }),
      subject: () => ({ argv: [process.execPath, '--input-type=module', '-e', decode, archive.path] }),
      log,
    });
    cases.push({
      id: archive.id,
      title: `decode ${context.zig.release.fileName} (${archive.packing}) to nothing, as xcc does without xz on PATH`,
      baseline: { name: 'xz -dc', ...result.baseline },
      subject: { name: 'liblzma (WebAssembly) in Node', ...result.subject },
      target: { metric: 'wallMs', maxRatio: 1.5 },
    });
  }
  return cases;
}

/** The test tarball's tar, recompressed with `xz -9 -T1` like Zig's own (53.7 MB for 0.15.2 x86_64-linux). */
async function packedLikeZig(zig: TestZig): Promise<string> {
  const file = path.join(testCacheDir(), 'bench', zig.release.fileName.replace(/\.tar\.xz$/, '.xz9.tar.xz'));
  if (existsSync(file)) return file;
  await mkdir(path.dirname(file), { recursive: true });
  log(`recompressing ${zig.release.fileName} with xz -9 (once, a few minutes)`);
  execFileSync('bash', ['-o', 'pipefail', '-c', `xz -dc '${zig.release.path}' | xz -9 -T1 > '${file}.part'`]);
  renameSync(`${file}.part`, file);
  return file;
}

function machine(zig: TestZig, load: Machine['load']): Machine {
  const osRelease = readFileSync('/etc/os-release', 'utf8').match(/^PRETTY_NAME="?([^"\n]*)"?$/m)?.[1];
  const tool = (command: string, args: string[]) => {
    try {
      return execFileSync(command, args, { encoding: 'utf8' }).trim();
    } catch {
      return 'not found';
    }
  };
  return {
    cpu: os.cpus()[0]?.model.trim() ?? 'unknown',
    cores: os.availableParallelism(),
    os: `${osRelease ?? os.type()} (${os.type()} ${os.release()}, ${os.arch()})`,
    node: process.version,
    go: tool('go', ['env', 'GOVERSION']),
    zig: tool(zig.install.zig, ['version']),
    load,
  };
}

await main();
