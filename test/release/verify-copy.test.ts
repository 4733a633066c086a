import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type BuildFunction, verifyReproducible } from '../../src/release/verify.js';

/**
 * The second build's setting, with a build that is only a file copy (the real builds are in
 * verify.test.ts): where the copy goes, what it leaves out, and how targets that one build alone made
 * are reported.
 */

const work = mkdtempSync(path.join(os.tmpdir(), 'xcc-verify-copy-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

interface Seen {
  sourceDir: string;
  goCache: string;
  files: string[];
}

/** "Builds" one artifact per target: the source's main.c with the target's name, recording what it saw. */
function copyBuild(targets: string[], seen: Seen[]): BuildFunction {
  return async (sourceDir, outDir, goCache) => {
    seen.push({
      sourceDir,
      goCache,
      files: readdirSync(sourceDir, { recursive: true, encoding: 'utf8' }).sort(),
    });
    const built: Record<string, string> = {};
    for (const target of targets) {
      const file = path.join(outDir, target.replace('/', '-'));
      writeFileSync(file, `${target}\n${readFileSync(path.join(sourceDir, 'main.c'), 'utf8')}`);
      built[target] = file;
    }
    return built;
  };
}

function source(name: string): string {
  const dir = path.join(work, name);
  mkdirSync(path.join(dir, 'dist'), { recursive: true });
  writeFileSync(path.join(dir, 'main.c'), 'int main(void) { return 0; }\n');
  return dir;
}

describe('verifyReproducible', () => {
  it('builds again in a copy at a path of another length, with a fresh Go cache, and cleans up', async () => {
    const dir = source('app');
    const seen: Seen[] = [];
    const report = await verifyReproducible({
      sourceDir: dir,
      build: copyBuild(['linux/arm64', 'windows/amd64'], seen),
      tempDir: work,
    });
    expect(report.reproducible).toBe(true);
    expect(report.artifacts.map((artifact) => [artifact.target, artifact.difference])).toEqual([
      ['linux/arm64', null],
      ['windows/amd64', null],
    ]);
    const [first, second] = seen;
    expect(first!.sourceDir).toBe(dir);
    expect(second!.sourceDir).toBe(report.copyDir);
    expect(second!.sourceDir.length).not.toBe(dir.length);
    expect(second!.goCache).not.toBe(first!.goCache);
    expect(existsSync(report.copyDir)).toBe(false);
  });

  it('leaves the first build’s artifacts out of the copy, and finds a change made to the copy', async () => {
    const dir = source('inside');
    const seen: Seen[] = [];
    const build = copyBuild(['linux/amd64'], seen);
    // The first build writes into the source tree, as `go build -o dist/app .` does.
    const first = await build(dir, path.join(dir, 'dist'), path.join(work, 'cache'));
    const report = await verifyReproducible({
      sourceDir: dir,
      build,
      first,
      tempDir: work,
      keep: true,
      prepareCopy: (copy) => writeFileSync(path.join(copy, 'main.c'), 'int main(void) { return 1; }\n'),
    });
    expect(seen[1]!.files).toEqual(['main.c']);
    expect(report.reproducible).toBe(false);
    expect(report.artifacts[0]!.difference).toMatchObject({
      where: 'bytes',
      offset: 'linux/amd64\nint main(void) { return '.length,
    });
    expect(readFileSync(path.join(report.copyDir, 'main.c'), 'utf8')).toContain('return 1');
  });

  it('reports a target only one of the builds made', async () => {
    const dir = source('targets');
    let builds = 0;
    const report = await verifyReproducible({
      sourceDir: dir,
      build: (sourceDir, outDir, goCache) =>
        copyBuild(builds++ === 0 ? ['linux/arm64', 'darwin/arm64'] : ['linux/arm64', 'linux/riscv64'], [])(
          sourceDir,
          outDir,
          goCache,
        ),
      tempDir: work,
    });
    expect(report.reproducible).toBe(false);
    expect(report.artifacts.map((artifact) => [artifact.target, artifact.difference?.where ?? null])).toEqual(
      [
        ['linux/arm64', null],
        ['darwin/arm64', 'missing'],
      ],
    );
    expect(report.extra).toEqual(['linux/riscv64']);
  });
});
