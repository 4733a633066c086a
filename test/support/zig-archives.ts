import { readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { releaseFileName } from '../../src/zig/host.js';
import { type TarMember, tarArchive, xz } from './archives.js';
import { type MinisignKey, type SignOptions, signBytes } from './minisign.js';
import { sha256Hex, type ZigArtifact } from './test-zig.js';

/**
 * Small release archives in Zig's official layout, signed with the test key: what a mirror that xcc trusts
 * (its index lists the hash, its key signed the file) could still serve. Only the installer's later checks
 * (extraction, `zig version`) stand between such an archive and the cache, which is what the tests that use
 * them attack. Their `zig` is a shell script that answers `zig version` and nothing else: the installer runs
 * nothing more, and the real Zig costs 20 s to extract where these cost milliseconds.
 */

export interface ArchiveRequest {
  /** Where the `.tar.xz` and its `.minisig` are written. */
  dir: string;
  /** The version the file name claims (and the index lists). */
  version: string;
  hostKey: string;
  key: MinisignKey;
  /** Members; names are relative to the archive's top-level directory unless `raw`. */
  members: TarMember[];
  /** Take member names as they are (an attack may want a name outside the top-level directory). */
  raw?: boolean;
  /** Signature options (another trusted comment, a legacy signature...). */
  sign?: Partial<SignOptions>;
  /** Bytes to put in the file instead of the xz of the members (a hand-made bomb). */
  bytes?: Buffer;
}

/** Writes a signed archive and describes it the way the test Zig's artifacts are described. */
export async function writeZigArchive(request: ArchiveRequest): Promise<ZigArtifact> {
  const fileName = releaseFileName(request.version, request.hostKey);
  const root = fileName.replace(/\.tar\.xz$/, '');
  const members = request.raw
    ? request.members
    : [{ name: `${root}/`, type: 'directory' as const }, ...request.members.map((m) => rooted(root, m))];
  const bytes = request.bytes ?? xz(tarArchive(members));
  await mkdir(request.dir, { recursive: true });
  const file = path.join(request.dir, fileName);
  await writeFile(file, bytes);
  await writeFile(`${file}.minisig`, signBytes(bytes, { key: request.key, fileName, ...request.sign }));
  return {
    version: request.version,
    zigVersion: null,
    hostKey: request.hostKey,
    fileName,
    path: file,
    sha256: sha256Hex(bytes),
    size: bytes.length,
    signaturePath: `${file}.minisig`,
  };
}

function rooted(root: string, member: TarMember): TarMember {
  const link =
    member.type === 'hardlink' && member.linkname ? { linkname: `${root}/${member.linkname}` } : {};
  return { ...member, name: `${root}/${member.name}`, ...link };
}

/** An executable `zig` that prints `version` for `zig version`, as the real one does. */
export function zigScript(version: string, mode = 0o755): TarMember {
  return {
    name: 'zig',
    mode,
    data: `#!/bin/sh\n# Stands in for zig: xcc's installer only runs 'zig version'.\n[ "$1" = version ] && echo ${version}\n`,
  };
}

/** The members of a minimal install that passes every check: `zig` and a file of its standard library. */
export function fakeZigMembers(version: string): TarMember[] {
  return [zigScript(version), { name: 'lib/std/std.zig', data: 'pub const fake = true;\n' }];
}

/** The files and directories below `dir` as members named `<prefix>/<relative path>`, with their modes. */
export function treeMembers(dir: string, prefix: string): TarMember[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry): TarMember[] => {
    const full = path.join(dir, entry.name);
    const name = `${prefix}/${entry.name}`;
    if (entry.isDirectory()) return [{ name: `${name}/`, type: 'directory' }, ...treeMembers(full, name)];
    return [{ name, data: readFileSync(full), mode: statSync(full).mode & 0o777 }];
  });
}
