import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { packageFile } from '../package-files.js';
import { type JsonPath, JsonShape, parseJson } from './json-shape.js';
import { isZigVersion } from './releases/version.js';

/**
 * `toolchains/zig.json`: what xcc knows about Zig's distribution that changes with Zig releases (default
 * version, signing key, URLs, naming history). The loader checks the keys it uses and ignores any other,
 * so the file can grow without breaking older code. The oldest Zig xcc supports is not here but in
 * toolchains/targets.json, with its reason (minimumZigVersion in src/resolve/zig-version.ts).
 */
export interface ZigConfig {
  /** The version installed when no version spec is given. */
  defaultVersion: string;
  /** The Zig Software Foundation's minisign public key (the one on https://ziglang.org/download/). */
  publicKey: string;
  /** The official release index (https://ziglang.org/download/index.json). */
  indexUrl: string;
  /** The community mirror list, one URL a line. */
  communityMirrorsUrl: string;
  /** Mirrors to try when the list cannot be fetched. */
  fallbackMirrors: string[];
  /** ziglang.org itself: releases under `<release>/<version>/<file>`, dev builds under `<dev>/<file>`. */
  downloadUrls: { release: string; dev: string };
  naming: ZigNaming;
  pypi: ZigPypiConfig;
}

/** How Zig's release file names and index host keys changed over time (see src/zig/host.ts). */
export interface ZigNaming {
  /** File names are `zig-<arch>-<os>-<v>` from these versions on, `zig-<os>-<arch>-<v>` before. */
  archBeforeOs: { release: string; dev: string };
  /** Before `before`, the arch now called `arch` was called `was`, in host keys and in file names. */
  archRenames: { arch: string; before: string; was: string }[];
  /** Before `before`, the `<os>-<arch>` part of the file name of `host` was `was` (`zig-win64-0.2.0.zip`). */
  platformRenames: { host: string; before: string; was: string }[];
}

/** The `ziglang` project on PyPI, which republishes the official builds as wheels. */
export interface ZigPypiConfig {
  project: string;
  jsonApiUrl: string;
  /** Where PyPI serves files: `<filesUrl>/<blake2b-256 of the file, split 2/2/60>/<file name>`. */
  filesUrl: string;
  /** Host key -> wheel platform tag; `*` stands for a version such as `2_17` in `manylinux_2_17_aarch64`. */
  platformTags: Record<string, string>;
}

export const zigConfigPath = fileURLToPath(packageFile('toolchains/zig.json'));

export function loadZigConfig(file: string = zigConfigPath): ZigConfig {
  const shape = new JsonShape(file, (message) => new Error(message));
  const root = shape.object(parseJson(readFileSync(file, 'utf8'), shape), []);
  const version = (path: JsonPath, value: unknown) =>
    shape.string(value, path, { test: isZigVersion, what: 'a Zig version' });
  const url = (path: JsonPath, value: unknown) =>
    shape.string(value, path, {
      test: (text) => /^https?:\/\/\S+[^/]$/.test(text),
      what: 'a URL without a final /',
    });
  const downloadUrls = shape.object(root.downloadUrls, ['downloadUrls']);
  return {
    defaultVersion: version(['defaultVersion'], root.defaultVersion),
    publicKey: shape.string(root.publicKey, ['publicKey']),
    indexUrl: url(['indexUrl'], root.indexUrl),
    communityMirrorsUrl: url(['communityMirrorsUrl'], root.communityMirrorsUrl),
    fallbackMirrors: shape
      .array(root.fallbackMirrors, ['fallbackMirrors'])
      .map((mirror, i) => url(['fallbackMirrors', i], mirror)),
    downloadUrls: {
      release: url(['downloadUrls', 'release'], downloadUrls.release),
      dev: url(['downloadUrls', 'dev'], downloadUrls.dev),
    },
    naming: readNaming(shape, root.naming, version),
    pypi: readPypi(shape, root.pypi, url),
  };
}

let cached: ZigConfig | undefined;

/** The shipped `toolchains/zig.json`, read on first use. */
export function zigConfig(): ZigConfig {
  cached ??= loadZigConfig();
  return cached;
}

type Read = (path: JsonPath, value: unknown) => string;

function readNaming(shape: JsonShape, value: unknown, version: Read): ZigNaming {
  const naming = shape.object(value, ['naming']);
  const archBeforeOs = shape.object(naming.archBeforeOs, ['naming', 'archBeforeOs']);
  const renames = <K extends string>(key: string, nameKey: K) =>
    shape.array(naming[key], ['naming', key]).map((item, i) => {
      const path = ['naming', key, i];
      const rename = shape.object(item, path);
      return {
        [nameKey]: shape.string(rename[nameKey], [...path, nameKey]),
        before: version([...path, 'before'], rename.before),
        was: shape.string(rename.was, [...path, 'was']),
      } as { [P in K]: string } & { before: string; was: string };
    });
  return {
    archBeforeOs: {
      release: version(['naming', 'archBeforeOs', 'release'], archBeforeOs.release),
      dev: version(['naming', 'archBeforeOs', 'dev'], archBeforeOs.dev),
    },
    archRenames: renames('archRenames', 'arch'),
    platformRenames: renames('platformRenames', 'host'),
  };
}

function readPypi(shape: JsonShape, value: unknown, url: Read): ZigPypiConfig {
  const pypi = shape.object(value, ['pypi']);
  const tags = shape.object(pypi.platformTags, ['pypi', 'platformTags']);
  return {
    project: shape.string(pypi.project, ['pypi', 'project']),
    jsonApiUrl: url(['pypi', 'jsonApiUrl'], pypi.jsonApiUrl),
    filesUrl: url(['pypi', 'filesUrl'], pypi.filesUrl),
    platformTags: Object.fromEntries(
      Object.entries(tags).map(([host, tag]) => [host, shape.string(tag, ['pypi', 'platformTags', host])]),
    ),
  };
}
