import {
  closeSync,
  constants,
  lstatSync,
  openSync,
  readdirSync,
  readlinkSync,
  readSync,
  type Stats,
} from 'node:fs';
import { lstat, readFile } from 'node:fs/promises';
import path from 'node:path';
import { CACHE_FILE_MODE } from '../../cache-safety.js';
import { isErrnoCode, writeFileAtomic } from '../../fs-atomic.js';
import { MARKER_FILE } from '../../home.js';
import { crypto } from '../../lazy-crypto.js';

/**
 * What an install held when it was verified, so that a later change to it is noticed.
 *
 * Just before the commit, once the archive passed sha256 and minisign, was extracted and `zig version` matched, every
 * entry of the stage is recorded in FILES_MANIFEST (inside the install, so it appears and disappears with
 * it): path, type and mode, size, and the sha256 of the content (of the link text for a symlink). The
 * extractor builds these entries as it writes (ExtractTarget.record()): the bytes hashed are the verified
 * archive's, and nothing is read back (a unit test holds that record equal to a walk of the tree). The
 * marker then carries a summary: the manifest's own sha256, and the zig executable's size, mtime and
 * sha256 for the check that runs on every use (see checkExecutable).
 *
 * Two depths of check, for two costs (Zig 0.15.2 for x86_64-linux: 19,301 entries, 300 MB, 172 MB of it
 * the zig executable):
 * - verifyInstallFiles re-hashes every file and compares the tree both ways (a missing, changed or added
 *   file, a mode change, a file turned into a symlink): `xcc verify`, `xcc doctor`, `xcc install --frozen`.
 * - checkExecutable compares the zig executable's size and mtime with the record, and re-hashes it only
 *   when they differ (a cache restored by a tool that does not keep mtimes): `xcc env`, `xcc exec`, every
 *   use through the library. It runs at every shell start, so it costs one `stat` when nothing changed.
 *
 * This module is on the warm `xcc env` path: only light imports here, node:crypto through lazy-crypto.
 */

/** The record of every entry, inside the install directory. */
export const FILES_MANIFEST = '.xcc-files.json';

/** xcc's own files at the top of an install: written after the manifest, not part of what was verified. */
const OWN_FILES = new Set([MARKER_FILE, FILES_MANIFEST, '.xcc-last-used']);

const FORMAT = 1;

/**
 * One entry: `[path, mode, size, sha256]`, path relative with `/`, mode as octal text with the type bits
 * (`100755` a file, `40755` a directory, `120777` a symlink); a directory has size 0 and no hash.
 */
export type ManifestEntry = [path: string, mode: string, size: number, sha256: string];

export interface FilesManifest {
  format: typeof FORMAT;
  /** The sha256 of the archive the files came from (the marker's `sha256`): the record belongs to those bytes. */
  archiveSha256: string;
  entries: ManifestEntry[];
}

/** What the marker keeps of the manifest: enough to check the executable without reading 2 MB of JSON. */
export interface FilesSummary {
  manifest: { sha256: string; entries: number };
  executable: ExecutableRecord;
}

export interface ExecutableRecord {
  /** Relative to the install: `zig`, or `zig.exe` on Windows. */
  path: string;
  size: number;
  /** Whole seconds: archivers that restore a cache keep seconds, not always the fraction. */
  mtime: number;
  sha256: string;
}

/**
 * Writes FILES_MANIFEST into `dir` and returns the summary for the marker. `entries` is every entry below
 * `dir`: the extractor's record of what it wrote, or (when omitted) a walk that reads them all.
 */
export async function writeFilesManifest(
  dir: string,
  options: { archiveSha256: string; executable: string; entries?: ManifestEntry[] },
): Promise<FilesSummary> {
  const entries = options.entries ?? recordTree(dir);
  const entry = entries.find(([relative, mode]) => relative === options.executable && isFileMode(mode));
  if (entry === undefined) throw new Error(`${dir}: no ${options.executable} to record`);
  // The one thing the record does not say: the mtime, for checkExecutable's cheap test.
  const info = lstatSync(path.join(dir, options.executable));
  const manifest: FilesManifest = { format: FORMAT, archiveSha256: options.archiveSha256, entries };
  const text = `${JSON.stringify(manifest)}\n`;
  await writeFileAtomic(path.join(dir, FILES_MANIFEST), text, { mode: CACHE_FILE_MODE });
  return {
    manifest: { sha256: sha256Text(text), entries: entries.length },
    executable: {
      path: options.executable,
      size: entry[2],
      mtime: Math.floor(info.mtimeMs / 1000),
      sha256: entry[3],
    },
  };
}

/** Every entry below `dir` as the record has it, read from the disk (what verifyInstallFiles compares with). */
export function recordTree(dir: string): ManifestEntry[] {
  return [...walk(dir)].map(({ relative, info }) => recordEntry(dir, relative, info));
}

/** Entries in the order of a walk: depth first, each directory's names sorted. */
export function sortEntries(entries: ManifestEntry[]): ManifestEntry[] {
  const keyed = entries.map((entry) => ({ entry, segments: entry[0].split('/') }));
  keyed.sort((a, b) => {
    const shared = Math.min(a.segments.length, b.segments.length);
    for (let index = 0; index < shared; index += 1) {
      const x = a.segments[index]!;
      const y = b.segments[index]!;
      if (x !== y) return x < y ? -1 : 1;
    }
    return a.segments.length - b.segments.length;
  });
  return keyed.map(({ entry }) => entry);
}

function isFileMode(mode: string): boolean {
  return mode.startsWith('100');
}

/** How an install compares with its record. */
export type FilesVerdict =
  /** Every entry is as recorded. */
  | { kind: 'verified'; entries: number }
  /** Entries differ: each difference, in path order (`zig: content differs`). */
  | { kind: 'changed'; differences: string[] }
  /** Installed before xcc recorded files (or the record is gone): nothing to compare with. */
  | { kind: 'unrecorded'; reason: string };

/** The full check: every file re-hashed, the tree compared both ways. */
export async function verifyInstallFiles(
  dir: string,
  marker: { sha256: string; files?: unknown },
): Promise<FilesVerdict> {
  const loaded = await readManifest(dir, marker);
  if (loaded.kind !== 'ok') return loaded.verdict;
  const recorded = new Map(loaded.manifest.entries.map((entry) => [entry[0], entry]));
  const differences: Array<[string, string]> = [];
  const seen = new Set<string>();
  try {
    for (const { relative, info } of walk(dir)) {
      seen.add(relative);
      const expected = recorded.get(relative);
      if (expected === undefined) {
        differences.push([relative, 'added']);
        continue;
      }
      const problem = compareEntry(dir, expected, info);
      if (problem !== undefined) differences.push([relative, problem]);
    }
  } catch (error) {
    // Something in the install cannot be read (a directory made unreadable, an entry swapped mid-walk):
    // that is a change too, and the walk cannot go on.
    if (!isErrnoCode(error, 'EACCES', 'EPERM', 'ELOOP', 'ENOENT', 'ENOTDIR', 'EISDIR')) throw error;
    const where = error.path === undefined ? '.' : path.relative(dir, error.path).split(path.sep).join('/');
    return { kind: 'changed', differences: [`${where || '.'}: unreadable (${error.code})`] };
  }
  for (const name of recorded.keys()) if (!seen.has(name)) differences.push([name, 'missing']);
  if (differences.length === 0) return { kind: 'verified', entries: recorded.size };
  differences.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return { kind: 'changed', differences: differences.map(([name, what]) => `${name}: ${what}`) };
}

/**
 * The cheap check, for every use: the zig executable is the file that was verified. Returns what differs,
 * or undefined. An install without a record (made by an older xcc) passes: it has nothing to compare with,
 * and `xcc verify` and `xcc doctor` say so.
 */
export async function checkExecutable(dir: string, files: unknown): Promise<string | undefined> {
  if (files === undefined) return undefined;
  const record = summaryOf(files)?.executable;
  if (record === undefined) return `${MARKER_FILE}: its record of the files is damaged`;
  const file = path.join(dir, record.path);
  const info = await lstat(file).catch(() => undefined);
  if (info === undefined) return `${record.path}: missing`;
  if (!info.isFile()) return `${record.path}: not a regular file any more`;
  if (info.size !== record.size) return `${record.path}: ${info.size} bytes, recorded ${record.size}`;
  if (Math.floor(info.mtimeMs / 1000) === record.mtime) return undefined;
  // Same size, other mtime: a copied or restored cache, or a padded replacement. Only the content tells.
  return hashFile(file) === record.sha256 ? undefined : `${record.path}: content differs`;
}

/**
 * The one-line error for an install that is not what was verified: which install, the first differences,
 * and the fix (its files cannot be trusted, so only a fresh install from verified bytes helps).
 */
export function changedInstallMessage(version: string, dir: string, differences: readonly string[]): string {
  return `the cached Zig ${version} (${dir}) changed after xcc verified it: ${firstDifferences(differences)}; remove it and install again: ${reinstallCommand(version)}`;
}

/** The first few differences, for one line: a damaged install can differ in thousands of files. */
export function firstDifferences(differences: readonly string[], shown = 5): string {
  const more = differences.length > shown ? `; and ${differences.length - shown} more` : '';
  return `${differences.slice(0, shown).join('; ')}${more}`;
}

/** What fixes an install that is not (or cannot be shown to be) what was verified. */
export function reinstallCommand(version: string): string {
  return `xcc prune --all && xcc install ${version}`;
}

/** The fix for an install without a record: only a new install records its files. */
export function unrecordedInstallMessage(version: string, dir: string, reason: string): string {
  return `the cached Zig ${version} (${dir}) cannot be checked: ${reason}; install it again to record them: ${reinstallCommand(version)}`;
}

/** The marker's `files`, if it has the shape writeFilesManifest gave it (the marker may be edited). */
function summaryOf(files: unknown): FilesSummary | undefined {
  const summary = files as FilesSummary | null;
  const executable = summary?.executable;
  const valid =
    typeof summary?.manifest?.sha256 === 'string' &&
    typeof executable?.path === 'string' &&
    !executable.path.includes('/') &&
    !executable.path.includes('\\') &&
    Number.isSafeInteger(executable.size) &&
    Number.isSafeInteger(executable.mtime) &&
    typeof executable.sha256 === 'string';
  return valid ? summary! : undefined;
}

type Loaded =
  | { kind: 'ok'; manifest: FilesManifest }
  | { kind: 'verdict'; verdict: Exclude<FilesVerdict, { kind: 'verified' }> };

/** The manifest, if it is the one the marker names and belongs to the marker's archive. */
async function readManifest(dir: string, marker: { sha256: string; files?: unknown }): Promise<Loaded> {
  const unrecorded = (reason: string): Loaded => ({
    kind: 'verdict',
    verdict: { kind: 'unrecorded', reason },
  });
  const changed = (difference: string): Loaded => ({
    kind: 'verdict',
    verdict: { kind: 'changed', differences: [difference] },
  });
  if (marker.files === undefined) {
    return unrecorded('it was installed by an xcc that did not record the files it verified');
  }
  const summary = summaryOf(marker.files);
  if (summary === undefined) return changed(`${MARKER_FILE}: its record of the files is damaged`);
  let text: string;
  try {
    text = await readFile(path.join(dir, FILES_MANIFEST), 'utf8');
  } catch (error) {
    if (isErrnoCode(error, 'ENOENT', 'ENOTDIR', 'EISDIR')) return changed(`${FILES_MANIFEST}: missing`);
    throw error;
  }
  if (sha256Text(text) !== summary.manifest.sha256) {
    return changed(`${FILES_MANIFEST}: not the record written at install (its sha256 differs)`);
  }
  const manifest = parseManifest(text);
  if (manifest === undefined) return changed(`${FILES_MANIFEST}: damaged`);
  if (manifest.archiveSha256 !== marker.sha256) {
    return changed(`${FILES_MANIFEST}: records another archive than ${marker.sha256}`);
  }
  return { kind: 'ok', manifest };
}

function parseManifest(text: string): FilesManifest | undefined {
  let manifest: FilesManifest;
  try {
    manifest = JSON.parse(text) as FilesManifest;
  } catch {
    return undefined;
  }
  const valid =
    manifest?.format === FORMAT &&
    typeof manifest.archiveSha256 === 'string' &&
    Array.isArray(manifest.entries) &&
    manifest.entries.every(
      (entry) =>
        Array.isArray(entry) &&
        typeof entry[0] === 'string' &&
        typeof entry[1] === 'string' &&
        typeof entry[2] === 'number' &&
        typeof entry[3] === 'string',
    );
  return valid ? manifest : undefined;
}

interface Walked {
  relative: string;
  info: Stats;
}

/**
 * Every entry below `dir` except xcc's own top-level files, depth first, without following symlinks.
 * Synchronous, like the extractor's small-file writes: one awaited libuv round trip per lstat, open, read
 * and close made hashing Zig's 19,000 files take 3 to 6 times longer (measured; see docs/cache.md).
 */
function* walk(dir: string, prefix = ''): Generator<Walked> {
  const names = readdirSync(path.join(dir, prefix)).sort();
  for (const name of names) {
    const relative = prefix === '' ? name : `${prefix}/${name}`;
    if (prefix === '' && OWN_FILES.has(name)) continue;
    const info = lstatSync(path.join(dir, relative));
    yield { relative, info };
    if (info.isDirectory()) yield* walk(dir, relative);
  }
}

function recordEntry(dir: string, relative: string, info: Stats): ManifestEntry {
  const mode = info.mode.toString(8);
  if (info.isDirectory()) return [relative, mode, 0, ''];
  const file = path.join(dir, relative);
  if (info.isSymbolicLink()) {
    const target = readlinkSync(file);
    return [relative, mode, Buffer.byteLength(target), sha256Text(target)];
  }
  if (!info.isFile()) throw new Error(`${file}: not a file, directory or symlink`);
  return [relative, mode, info.size, hashFile(file)];
}

/** What differs between an entry and its record; undefined when nothing does. */
function compareEntry(
  dir: string,
  [relative, mode, size, digest]: ManifestEntry,
  info: Stats,
): string | undefined {
  const actualMode = info.mode.toString(8);
  if (actualMode !== mode) return `mode ${actualMode}, recorded ${mode}`;
  if (info.isDirectory()) return undefined;
  if (Number(info.size) !== size) return `${info.size} bytes, recorded ${size}`;
  const actual = recordEntry(dir, relative, info)[3];
  return actual === digest ? undefined : 'content differs';
}

/**
 * sha256 of a file, opened without following a symlink and without blocking on a FIFO (it was lstat'ed
 * as a regular file, and something may have swapped it since).
 */
function hashFile(file: string): string {
  const fd = openSync(file, constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0) | (constants.O_NONBLOCK ?? 0));
  try {
    const hash = crypto().createHash('sha256');
    chunk ??= Buffer.allocUnsafe(1024 * 1024);
    for (;;) {
      const bytesRead = readSync(fd, chunk, 0, chunk.length, null);
      if (bytesRead === 0) break;
      hash.update(chunk.subarray(0, bytesRead));
    }
    return hash.digest('hex');
  } finally {
    closeSync(fd);
  }
}

/**
 * One read buffer for every file (the reads are synchronous, so no two hashes share it at once), made on
 * first use: most runs of the warm `xcc env` hash nothing.
 */
let chunk: Buffer | undefined;

/** sha256 of a text (a symlink's target, the record itself). */
export function sha256Text(text: string): string {
  return crypto().createHash('sha256').update(text).digest('hex');
}
