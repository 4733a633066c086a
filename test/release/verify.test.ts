import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { renderReproducibility } from '../../src/cli/reproducibility.js';
import {
  REPRODUCIBLE_GO_FLAGS,
  REPRODUCIBLE_LDFLAGS,
  reproducibleEnv,
} from '../../src/release/reproducible.js';
import { type BuildFunction, verifyReproducible } from '../../src/release/verify.js';
import { exec, failure } from '../e2e/process.js';
import { goEnv } from '../support/builds.js';
import { cliBin, projectRoot } from '../support/paths.js';
import { pool } from '../support/pool.js';
import { needTestZig, providedTestZig } from '../support/provided-zig.js';
import { testCacheDir, testZigBuildCache } from '../support/test-zig.js';
import { needCommand } from '../support/tools.js';

/**
 * `verifyReproducible` with real cross builds: `xcc exec TARGET -- go build` with the reproducible flags
 * and environment, the second build from a copy in another directory with a cold GOCACHE. The fixture's
 * C code embeds its path (`__FILE__`, `assert()`) and the build's date (`__DATE__`, `__TIME__`).
 *
 * The first build uses a Go cache kept in the test cache (so a cached object with another epoch or path
 * would show), the second a fresh one: its cost is Go's standard library compiled once per target (about
 * a minute each here). Zig's build cache is the suite's (a target's libc is built once for all tests).
 */

const fixture = path.join(projectRoot, 'test', 'release', 'fixtures', 'stamp');
const work = mkdtempSync(path.join(os.tmpdir(), 'xcc-repro-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Targets as `xcc exec` takes them, and the name of their artifact. */
const TARGETS: Record<string, string[]> = {
  'linux/amd64 musl': ['linux/amd64', '--musl'],
  'linux/arm64 musl': ['linux/arm64', '--musl'],
  'linux/arm64 glibc 2.28': ['linux/arm64', '--glibc=2.28'],
  'linux/arm/v7 musl': ['linux/arm/v7', '--musl'],
  'windows/amd64': ['windows/amd64'],
  'darwin/arm64': ['darwin/arm64'],
};
/** Two builds at a time: the machine has two cores, and a build is mostly Go compiling its standard library. */
const JOBS = 2;
const BUILD_TIMEOUT = 20 * 60_000;

/**
 * The source as a user has it: a directory of its own (the fixture sits inside xcc's git checkout, whose
 * last commit would become the timestamp of the first build but not of the copy's).
 */
function checkout(name: string): string {
  const dir = path.join(work, name);
  cpSync(fixture, dir, { recursive: true });
  return dir;
}

/**
 * Builds each target with `xcc exec` through the CLI. The reproducible environment is computed once, from
 * the original source, and used for both builds, as `xcc build` does.
 */
async function buildFunction(original: string, targets: string[]): Promise<BuildFunction> {
  const zig = providedTestZig()!;
  const reproducible = await reproducibleEnv({ sourceDir: original, env: {} });
  return async (sourceDir, outDir, goCache) => {
    const env = {
      ...goEnv({ CGO_ENABLED: '1', GOCACHE: goCache, ...reproducible.env }),
      XCC_ZIG: zig.install.zig,
      XCC_ZIG_CACHE_DIR: testZigBuildCache(),
    };
    const limit = pool(JOBS);
    const built = await Promise.all(
      targets.map((name) =>
        limit(async () => {
          const output = path.join(outDir, name.replaceAll(/[^a-z0-9.]+/g, '-'));
          const args = [
            cliBin,
            'exec',
            ...TARGETS[name]!,
            '--quiet',
            '--',
            'go',
            'build',
            ...REPRODUCIBLE_GO_FLAGS,
            `-ldflags=${REPRODUCIBLE_LDFLAGS.join(' ')}`,
            '-o',
            output,
            '.',
          ];
          const ran = await exec(process.execPath, args, { cwd: sourceDir, env, timeoutMs: BUILD_TIMEOUT });
          if (ran.exitCode !== 0) throw new Error(`${name}: ${failure(ran)}`);
          return [name, output] as const;
        }),
      ),
    );
    return Object.fromEntries(built);
  };
}

describe('verifyReproducible', { timeout: 90 * 60_000 }, () => {
  it('finds every target byte-identical from a copy with a cold Go cache', async (context) => {
    needTestZig(context);
    needCommand(context, 'go');
    const source = checkout('app');
    // The musl, arm/v7 and windows targets are proven through `xcc build --verify-reproducible` itself
    // (test/release/build.test.ts); here the two it does not build: glibc, and darwin's Mach-O.
    const targets = ['linux/arm64 glibc 2.28', 'darwin/arm64'];
    const report = await verifyReproducible({
      sourceDir: source,
      build: await buildFunction(source, targets),
      goCache: path.join(testCacheDir(), 'release', 'go-cache'),
      tempDir: work,
      // The first build's artifacts are read below; `work` goes at the end.
      keep: true,
    });
    const text = renderReproducibility(report);
    expect(text, text).toMatch(/^reproducible: 2 of 2 artifacts identical/m);
    expect(report.artifacts.map((artifact) => artifact.target)).toEqual(targets);
    for (const artifact of report.artifacts) {
      const bytes = readFileSync(artifact.first).toString('latin1');
      // __DATE__ and __TIME__ at SOURCE_DATE_EPOCH=0 (the fixture's copy has no git history).
      expect(bytes, artifact.target).toContain('Jan  1 1970 00:00:00');
      // A header's __FILE__ as Go's -trimpath maps it: the module path, not the checkout's (clang writes
      // the remapped path in the target's style: backslashes for Windows).
      const header = '/_/example.com/stamp/include/where.h';
      expect(bytes, artifact.target).toContain(
        artifact.target.startsWith('windows/') ? header.replaceAll('/', '\\') : header,
      );
      expect(bytes, artifact.target).not.toContain(work);
    }
  });

  it('catches a header that differs in the copy and names the section it lands in', async (context) => {
    needTestZig(context);
    needCommand(context, 'go');
    const source = checkout('perturbed');
    const targets = ['linux/amd64 musl', 'windows/amd64'];
    const report = await verifyReproducible({
      sourceDir: source,
      build: await buildFunction(source, targets),
      // The first build's Go cache is the other test's: only the second build pays for a cold one.
      goCache: path.join(testCacheDir(), 'release', 'go-cache'),
      tempDir: work,
      // The same length, so that only the string's bytes change and nothing moves.
      prepareCopy: (copy) =>
        writeFileSync(path.join(copy, 'origin.h'), '#define STAMP_ORIGIN "a different checkout!"\n'),
    });
    expect(report.reproducible).toBe(false);
    const where = Object.fromEntries(
      report.artifacts.map((artifact) => [artifact.target, artifact.difference?.where]),
    );
    expect(where).toEqual({ 'linux/amd64 musl': '.rodata', 'windows/amd64': '.rdata' });
    const text = renderReproducibility(report);
    expect(text).toMatch(
      /^linux\/amd64 musl\s+DIFFERS\s+section \.rodata differs at 0x[0-9a-f]+ \(file offset 0x[0-9a-f]+\)/m,
    );
    expect(text).toMatch(/^not reproducible: 2 of 2 artifacts differ$/m);
  });
});
