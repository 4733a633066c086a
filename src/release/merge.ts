import { constants } from 'node:fs';
import { copyFile, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { UsageError, XccError } from '../errors.js';
import { makeDirectory, writeFileAtomic } from '../fs-atomic.js';
import {
  CHECKSUMS_FILE,
  type ChecksumEntry,
  formatChecksums,
  hashFile,
  parseChecksums,
} from './checksums.js';
import { formatManifest, MANIFEST_FILE, type ManifestArtifact, parseManifest } from './manifest.js';

/**
 * `xcc checksums DIR...`: the pieces of a sharded release (each shard's directory: artifacts,
 * `checksums.txt`, `manifest.json`) made one release in `outDir` (default: the first directory). Every
 * file is hashed again rather than trusted (a CI artifact store is outside the build), artifacts from the
 * other directories are copied in beside the first's, and two different files under one name are refused
 * (the same file twice, say one shard downloaded twice, is kept once).
 */
export interface MergeResult {
  outDir: string;
  artifacts: ManifestArtifact[];
  checksums: string;
  manifest: string;
}

export async function mergeReleases(dirs: readonly string[], outDir?: string): Promise<MergeResult> {
  if (dirs.length === 0) throw new UsageError('name the directories to merge, like xcc checksums dist/');
  const out = path.resolve(outDir ?? dirs[0]!);
  const byFile = new Map<string, { artifact: ManifestArtifact; dir: string }>();
  for (const dir of dirs.map((candidate) => path.resolve(candidate))) {
    const checksumsFile = path.join(dir, CHECKSUMS_FILE);
    const manifestFile = path.join(dir, MANIFEST_FILE);
    const listed = parseChecksums(await readText(checksumsFile), checksumsFile);
    const manifest = parseManifest(await readText(manifestFile), manifestFile);
    checkAgree(listed, manifest.artifacts, dir);
    for (const artifact of manifest.artifacts) {
      const file = path.join(dir, artifact.file);
      const actual = await hashFile(file).catch((error: NodeJS.ErrnoException) => {
        throw new XccError(
          `${file} is listed in ${manifestFile} but cannot be read (${error.code}); download it again`,
        );
      });
      if (actual.sha256 !== artifact.sha256 || actual.size !== artifact.size) {
        throw new XccError(
          `${file} does not match its checksum in ${checksumsFile} (sha256 ${actual.sha256}); the file changed after the build, download or build it again`,
        );
      }
      const seen = byFile.get(artifact.file);
      if (seen !== undefined && seen.artifact.sha256 !== artifact.sha256) {
        throw new XccError(
          `${artifact.file} is in both ${seen.dir} and ${dir} with different contents (${seen.artifact.target} and ${artifact.target}); give each target its own name (--name-template) or drop one directory`,
        );
      }
      if (seen === undefined) byFile.set(artifact.file, { artifact, dir });
    }
  }
  await makeDirectory(out);
  for (const { artifact, dir } of byFile.values()) {
    if (dir === out) continue;
    // Never through a link left at that name in the output directory.
    const target = path.join(out, artifact.file);
    await rm(target, { force: true });
    await copyFile(path.join(dir, artifact.file), target, constants.COPYFILE_EXCL);
  }
  const artifacts = [...byFile.values()].map(({ artifact }) => artifact);
  const checksums = path.join(out, CHECKSUMS_FILE);
  const manifest = path.join(out, MANIFEST_FILE);
  await writeFileAtomic(checksums, formatChecksums(artifacts));
  await writeFileAtomic(manifest, formatManifest(artifacts));
  return { outDir: out, artifacts, checksums, manifest };
}

async function readText(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    throw new XccError(
      `cannot read ${file} (${(error as NodeJS.ErrnoException).code}); each directory must hold what xcc build wrote`,
    );
  }
}

/** A shard's checksums.txt and manifest.json must list the same files with the same digests. */
function checkAgree(listed: ChecksumEntry[], artifacts: ManifestArtifact[], dir: string): void {
  const fromList = new Map(listed.map((entry) => [entry.file, entry.sha256]));
  const fromManifest = new Map(artifacts.map((artifact) => [artifact.file, artifact.sha256]));
  const files = new Set([...fromList.keys(), ...fromManifest.keys()]);
  for (const file of files) {
    if (fromList.get(file) !== fromManifest.get(file)) {
      throw new XccError(
        `${dir}: ${CHECKSUMS_FILE} and ${MANIFEST_FILE} disagree about ${file}; rebuild that shard`,
      );
    }
  }
}
