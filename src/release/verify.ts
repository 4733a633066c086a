import { cp, mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { XccError } from '../errors.js';
import { hashFile } from './checksums.js';
import { type Difference, firstDifference } from './compare.js';

/**
 * `--verify-reproducible`: build again from a copy of the source in another directory (another path
 * length too, since a path that leaks in shifts every offset after it) with a cold Go cache, and compare
 * every artifact byte for byte. The build is a parameter: `xcc build` passes its own, tests pass
 * `xcc exec T -- go build` per target.
 */

/** Builds `sourceDir` into `outDir` with `goCache` as GOCACHE; the artifacts' paths by target. */
export type BuildFunction = (
  sourceDir: string,
  outDir: string,
  goCache: string,
) => Promise<Record<string, string>>;

export interface VerifyOptions {
  sourceDir: string;
  build: BuildFunction;
  /**
   * The first build, when the caller already made it (`xcc build --verify-reproducible` builds, then
   * verifies); else it is built here, in place, with `goCache`.
   */
  first?: Record<string, string>;
  /** GOCACHE of the first build when it is built here (default: a fresh directory, like the second's). */
  goCache?: string;
  /** Where the copy, the second build and its Go cache go (default: the system's temp directory). */
  tempDir?: string;
  /** Called with the copy before the second build: tests change it there to prove a difference is caught. */
  prepareCopy?: (copyDir: string) => Promise<void> | void;
  /**
   * Leave the work directory (the copy, the second build, and the first build when it was made here) to
   * look at a difference; it is removed otherwise, so without `first` the report's paths are gone.
   */
  keep?: boolean;
}

export interface ArtifactVerdict {
  target: string;
  /** The first build's artifact, and the second's (null when the second build did not make it). */
  first: string;
  second: string | null;
  sha256: [string, string | null];
  /** Null when identical; else where the bytes part first. */
  difference: Difference | null;
}

export interface ReproducibilityReport {
  /** True when every artifact of the first build was made again, byte for byte. */
  reproducible: boolean;
  artifacts: ArtifactVerdict[];
  /** Targets the second build made but the first did not. */
  extra: string[];
  /** The copy the second build ran in (gone unless `keep`). */
  copyDir: string;
}

export async function verifyReproducible(options: VerifyOptions): Promise<ReproducibilityReport> {
  const sourceDir = path.resolve(options.sourceDir);
  const work = await mkdtemp(path.join(options.tempDir ?? os.tmpdir(), 'xcc-verify-'));
  try {
    const first =
      options.first ??
      (await options.build(
        sourceDir,
        await made(path.join(work, 'first')),
        options.goCache ?? (await made(path.join(work, 'go-cache-first'))),
      ));
    const copyDir = copyPath(work, sourceDir);
    // The first build's outputs may sit inside the source (./dist, or beside go.mod): the copy must not
    // start with them, or a build that reads its output directory would see the first build's files.
    const artifacts = Object.values(first).map((file) => path.resolve(file));
    const left = new Set([...artifacts, ...artifacts.map((file) => path.dirname(file))]);
    left.delete(sourceDir);
    await cp(sourceDir, copyDir, {
      recursive: true,
      verbatimSymlinks: true,
      filter: (from) => !left.has(path.resolve(from)),
    });
    await options.prepareCopy?.(copyDir);
    const second = await options.build(
      copyDir,
      await made(path.join(work, 'second')),
      await made(path.join(work, 'go-cache-second')),
    );
    const verdicts: ArtifactVerdict[] = [];
    for (const [target, file] of Object.entries(first)) {
      const again = second[target] ?? null;
      const sums: [string, string | null] = [await sha256(file), again === null ? null : await sha256(again)];
      const difference =
        again === null
          ? {
              where: 'missing',
              offset: 0,
              sectionOffset: null,
              sizes: [-1, -1] as [number, number],
              others: [],
            }
          : sums[0] === sums[1]
            ? null
            : await firstDifference(file, again);
      verdicts.push({ target, first: file, second: again, sha256: sums, difference });
    }
    const extra = Object.keys(second).filter((target) => !(target in first));
    return {
      reproducible: extra.length === 0 && verdicts.every((verdict) => verdict.difference === null),
      artifacts: verdicts,
      extra,
      copyDir,
    };
  } finally {
    if (!options.keep) await rm(work, { recursive: true, force: true });
  }
}

/**
 * Where the copy goes: inside the work directory, under a name one character longer than the source's
 * own, so the two paths differ in length as well as in text wherever they are.
 */
function copyPath(work: string, sourceDir: string): string {
  const copy = path.join(work, `copy-of-${path.basename(sourceDir) || 'source'}`);
  return copy.length === sourceDir.length ? `${copy}_` : copy;
}

async function made(dir: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  return dir;
}

async function sha256(file: string): Promise<string> {
  try {
    return (await hashFile(file)).sha256;
  } catch (error) {
    throw new XccError(`cannot read the artifact ${file}: ${(error as Error).message}`, { cause: error });
  }
}
