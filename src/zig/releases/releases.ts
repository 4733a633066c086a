import path from 'node:path';
import semver from 'semver';
import { UsageError, XccError } from '../../errors.js';
import { minimumZigVersion } from '../../resolve/zig-version.js';
import { zigConfig } from '../distribution.js';
import { indexHostKey } from '../host.js';
import { type JsonPath, JsonShape, parseJson } from '../json-shape.js';
import { isDevVersion, isReleaseVersion, isZigVersion, newestFirst } from './version.js';

/**
 * Zig's release index (https://ziglang.org/download/index.json, or a private one in the same format) and
 * version specs resolved against it.
 */

export interface ZigArtifact {
  /** Base name of the file, as the minisign trusted comment names it. */
  file: string;
  url: string;
  sha256: string;
  size: number;
}

export interface ZigRelease {
  version: string;
  date: string | undefined;
  notes: string | undefined;
  /** Builds by host key as this version's index spells it (`armv7a-linux` before 0.15.1). */
  hosts: Record<string, ZigArtifact>;
}

export interface ZigIndex {
  /** Releases by version. */
  releases: Record<string, ZigRelease>;
  /** The newest dev build, when the index lists one. */
  master: ZigRelease | undefined;
}

/** Entries of an index version that are not builds for a host. */
const NOT_HOSTS = new Set(['src', 'bootstrap']);

/** Parses and checks an index.json document; `source` names it in errors (a URL or a file name). */
export function parseIndex(text: string, source = 'index.json'): ZigIndex {
  const shape = new JsonShape(source, (message) => new XccError(message));
  const root = shape.object(parseJson(text, shape), []);
  const index: ZigIndex = { releases: {}, master: undefined };
  for (const [key, value] of Object.entries(root)) {
    if (key === 'master') {
      index.master = parseRelease(shape, value, [key], undefined);
    } else if (isReleaseVersion(key)) {
      index.releases[key] = parseRelease(shape, value, [key], key);
    } else {
      shape.fail([key], 'is neither "master" nor a release version');
    }
  }
  return index;
}

function parseRelease(shape: JsonShape, value: unknown, at: JsonPath, key: string | undefined): ZigRelease {
  const entry = shape.object(value, at);
  // `version` is on master and on some releases only (0.15.2 has it, 0.15.1 does not); the key decides.
  const listed = entry.version === undefined && key !== undefined ? key : entry.version;
  const version = shape.string(listed, [...at, 'version'], { test: isZigVersion, what: 'a Zig version' });
  const hosts: Record<string, ZigArtifact> = {};
  for (const [name, artifact] of Object.entries(entry)) {
    if (typeof artifact !== 'object' || NOT_HOSTS.has(name)) continue;
    if (!/^[a-z0-9_]+-[a-z0-9_]+$/.test(name)) shape.fail([...at, name], 'is not a host key (<arch>-<os>)');
    hosts[name] = parseArtifact(shape, artifact, [...at, name]);
  }
  return {
    version,
    date: shape.optionalString(entry.date, [...at, 'date']),
    notes: shape.optionalString(entry.notes, [...at, 'notes']),
    hosts,
  };
}

function parseArtifact(shape: JsonShape, value: unknown, at: JsonPath): ZigArtifact {
  const artifact = shape.object(value, at);
  const url = shape.string(artifact.tarball, [...at, 'tarball'], {
    test: isFileUrl,
    what: 'an http(s) URL of a file',
  });
  return {
    file: path.posix.basename(new URL(url).pathname),
    url,
    sha256: shape.sha256(artifact.shasum, [...at, 'shasum']),
    // index.json writes sizes as decimal strings ("49086504"); a number is accepted from private indexes.
    size: shape.size(isDecimal(artifact.size) ? Number(artifact.size) : artifact.size, [...at, 'size']),
  };
}

function isDecimal(value: unknown): value is string {
  return typeof value === 'string' && /^\d+$/.test(value);
}

function isFileUrl(text: string): boolean {
  if (!URL.canParse(text)) return false;
  const url = new URL(text);
  return (url.protocol === 'https:' || url.protocol === 'http:') && !url.pathname.endsWith('/');
}

/** The entry of `version`: a release, or the master entry when it has that version. */
export function findRelease(index: ZigIndex, version: string): ZigRelease | undefined {
  return index.releases[version] ?? (index.master?.version === version ? index.master : undefined);
}

/** The build of `version` for `host` (a current host key), if the index lists one. */
export function findArtifact(index: ZigIndex, version: string, host: string): ZigArtifact | undefined {
  return findRelease(index, version)?.hosts[indexHostKey(version, host)];
}

/** What a version spec can be resolved against: the live index or the pinned table. */
export interface VersionCatalog {
  releases: readonly string[];
  /** The dev version of the `master` entry, when the catalog has one. */
  master: string | undefined;
}

export function indexCatalog(index: ZigIndex): VersionCatalog {
  return { releases: Object.keys(index.releases), master: index.master?.version };
}

export type VersionSpec =
  | { kind: 'default' }
  | { kind: 'exact'; version: string }
  | { kind: 'minor'; minor: string }
  | { kind: 'range'; range: string }
  | { kind: 'latest' }
  | { kind: 'master' }
  | { kind: 'dev'; version: string };

const VALID_SPECS =
  'use a release (0.15.2), a minor version (0.15: its newest patch), a semver range (">=0.14 <0.16"), latest, master, or a dev build (0.16.0-dev.1234+abcdef012)';

/** Reads a version spec as typed by a user; nothing (or blank) means the pinned default. */
export function parseVersionSpec(input: string | undefined): VersionSpec {
  const spec = input?.trim() ?? '';
  if (spec === '') return { kind: 'default' };
  if (spec === 'latest' || spec === 'master') return { kind: spec };
  if (isReleaseVersion(spec)) return { kind: 'exact', version: spec };
  if (isDevVersion(spec)) return { kind: 'dev', version: spec };
  if (/^\d+\.\d+\.\d+-dev\.\d+$/.test(spec)) {
    throw new UsageError(
      `invalid Zig version "${spec}": a dev build needs its commit, as in 0.15.0-dev.631+9a3540d61`,
    );
  }
  if (/^(?:0|[1-9]\d*)\.(?:0|[1-9]\d*)$/.test(spec)) return { kind: 'minor', minor: spec };
  if (semver.validRange(spec) !== null) return { kind: 'range', range: spec };
  throw new UsageError(`invalid Zig version spec "${spec}": ${VALID_SPECS}`);
}

export interface ResolvedVersion {
  version: string;
  dev: boolean;
  /** Something the user should hear about (dev builds are deleted from ziglang.org after ~30 days). */
  warning: string | undefined;
}

export interface ResolveOptions {
  defaultVersion: string;
  minimumVersion: string;
}

/** Picks the version a spec means among those the catalog offers, newest first when several match. */
export function resolveVersion(
  spec: VersionSpec,
  catalog: VersionCatalog,
  options: ResolveOptions = {
    defaultVersion: zigConfig().defaultVersion,
    minimumVersion: minimumZigVersion(),
  },
): ResolvedVersion {
  const { minimumVersion } = options;
  const supported = newestFirst(catalog.releases.filter((v) => semver.gte(v, minimumVersion)));
  const release = (version: string | undefined, target: string, asked: string): ResolvedVersion => {
    if (version === undefined) throw noMatch(asked, target, supported, minimumVersion);
    return { version, dev: false, warning: undefined };
  };
  switch (spec.kind) {
    case 'default': {
      const version = options.defaultVersion;
      return release(
        supported.find((v) => v === version),
        version,
        `${version} (the default)`,
      );
    }
    case 'exact':
      refuseOld(spec.version, minimumVersion);
      return release(
        supported.find((v) => v === spec.version),
        spec.version,
        spec.version,
      );
    case 'minor':
      return release(
        supported.find((v) => `${semver.major(v)}.${semver.minor(v)}` === spec.minor),
        `${spec.minor}.0`,
        spec.minor,
      );
    case 'range': {
      const target = semver.minVersion(spec.range)?.version ?? minimumVersion;
      return release(semver.maxSatisfying(supported, spec.range) ?? undefined, target, spec.range);
    }
    case 'latest':
      return release(supported[0], minimumVersion, 'latest');
    case 'master':
      if (catalog.master === undefined) {
        throw new XccError(
          'Zig master needs the live index.json, which is not available (offline, or the index has no master entry); connect to the network or pick a release',
        );
      }
      return devBuild(catalog.master);
    case 'dev':
      refuseOld(spec.version, minimumVersion);
      return devBuild(spec.version);
  }
}

/** `master` can name a release for a while (index.json's master entry lags behind, e.g. 0.15.1). */
function devBuild(version: string): ResolvedVersion {
  if (!isDevVersion(version)) return { version, dev: false, warning: undefined };
  return {
    version,
    dev: true,
    warning: `Zig ${version} is a dev build: ziglang.org deletes dev builds after about 30 days, so builds that depend on it will stop working; pin a release (e.g. 0.15.2) for reproducible builds`,
  };
}

function refuseOld(version: string, minimumVersion: string): void {
  if (semver.lt(version, minimumVersion)) {
    throw new UsageError(
      `Zig ${version} is older than the oldest version xcc supports (${minimumVersion}); pick ${minimumVersion} or newer`,
    );
  }
}

/** Names the versions closest to `target` (two below, two above, oldest first) so the user can pick one. */
function noMatch(
  asked: string,
  target: string,
  supported: readonly string[],
  minimumVersion: string,
): XccError {
  const ascending = [...supported].reverse();
  const above = ascending.findIndex((v) => semver.gte(v, target));
  const at = above === -1 ? ascending.length : above;
  const nearest = ascending.slice(Math.max(0, at - 2), at + 2);
  const available =
    nearest.length > 0 ? `nearest available: ${nearest.join(', ')}` : 'no release is available';
  const tooOld = semver.lt(target, minimumVersion) ? `; xcc supports Zig ${minimumVersion} and newer` : '';
  return new XccError(
    `no Zig release matches "${asked}"; ${available} (newest: ${supported[0] ?? 'none'})${tooOld}`,
  );
}
