import { XccError } from '../../errors.js';
import type { ZigPypiConfig } from '../distribution.js';
import { type JsonPath, JsonShape, parseJson } from '../json-shape.js';
import { isReleaseVersion } from '../releases/version.js';

/**
 * The PyPI `ziglang` project (https://github.com/ziglang/zig-pypi) republishes each official Zig build as
 * a wheel: the same files under `ziglang/`, one wheel per platform tag. Its versions are PEP 440: Zig
 * 0.13.0 is `0.13.0`, and a re-publication of the same Zig is `0.13.0.postN` (0.13.0.post1 added
 * ppc64le; 0.17.0.post0 added the platforms 0.17.0 lacked).
 */

export interface PypiFile {
  filename: string;
  size: number;
  sha256: string;
  /** PyPI stores each file under a path made of this digest, which gives its URL. */
  blake2b256: string;
  yanked: boolean;
}

/** The wheel of one Zig release for one host. */
export interface PypiWheel {
  /** The PyPI version it was published under (`0.13.0.post1`). */
  version: string;
  file: string;
  url: string;
  size: number;
  sha256: string;
}

/**
 * PyPI versions that carry Zig `version`, in order of preference: the newest post release first, because
 * a re-publication exists to fix or complete the previous one, then the plain version. Dev builds have no
 * pinned wheels (their PyPI versions drop the commit), so none.
 */
export function pypiVersionsFor(version: string, available: Iterable<string>): string[] {
  if (!isReleaseVersion(version)) return [];
  const post = new RegExp(`^${version.replaceAll('.', '\\.')}(?:\\.post(\\d+))?$`);
  const rank = (candidate: string) => Number(post.exec(candidate)?.[1] ?? -1);
  return [...available].filter((candidate) => post.test(candidate)).sort((a, b) => rank(b) - rank(a));
}

/**
 * The wheel for `host` (a current host key) among the files of the PyPI versions for a Zig release, in
 * preference order: the first version with a wheel for the host wins, so a post release that covers only
 * some platforms does not hide the plain version's wheel for the others. Yanked files are skipped.
 */
export function selectWheel(
  host: string,
  filesByVersion: ReadonlyArray<{ version: string; files: readonly PypiFile[] }>,
  config: ZigPypiConfig,
): PypiWheel | undefined {
  for (const { version, files } of filesByVersion) {
    const file = files.find((f) => !f.yanked && isWheelForHost(f.filename, host, config));
    if (file)
      return {
        version,
        file: file.filename,
        url: fileUrl(file, config),
        size: file.size,
        sha256: file.sha256,
      };
  }
  return undefined;
}

/** Whether a `ziglang` wheel file name carries a platform tag this host runs. */
export function isWheelForHost(filename: string, host: string, config: ZigPypiConfig): boolean {
  const tag = config.platformTags[host];
  const wheel = parseWheelName(filename);
  return tag !== undefined && wheel?.project === config.project && wheel.platforms.some(matches(tag));
}

/** The parts of a wheel's file name. */
export interface WheelName {
  project: string;
  /** PEP 440, as published: `0.13.0.post1`. */
  version: string;
  /** `manylinux_2_12_x86_64.manylinux2010_x86_64` -> both tags. */
  platforms: string[];
}

/**
 * The binary distribution format's file name, `{project}-{version}(-{build})?-{python}-{abi}-{platform}.whl`
 * (packaging.python.org, "Binary distribution format"), each part from its own character set: so a name
 * that passes is a plain base name, never `..` and never holding a path separator. Anything else:
 * undefined.
 */
export function parseWheelName(filename: string): WheelName | undefined {
  const match =
    /^([A-Za-z0-9](?:[A-Za-z0-9._]*[A-Za-z0-9])?)-([A-Za-z0-9_.!+]+)(?:-\d[A-Za-z0-9_.]*)?-[A-Za-z0-9_.]+-[A-Za-z0-9_.]+-([A-Za-z0-9_.]+)\.whl$/.exec(
      filename,
    );
  if (match === null) return undefined;
  return { project: match[1]!, version: match[2]!, platforms: match[3]!.split('.') };
}

/** The Zig release a `ziglang` PyPI version carries: `0.13.0.post1` -> `0.13.0`. */
export function zigVersionOfPypi(pypiVersion: string): string {
  return pypiVersion.replace(/\.post\d+$/, '');
}

/**
 * PyPI's storage path is the file's BLAKE2b-256 split 2/2/60, then its name (as the JSON API's `url` shows
 * on pypi.org). Built from the digest rather than copied from `url`, which proxies rewrite.
 */
function fileUrl(file: PypiFile, config: ZigPypiConfig): string {
  const digest = file.blake2b256;
  return `${config.filesUrl}/${digest.slice(0, 2)}/${digest.slice(2, 4)}/${digest.slice(4)}/${file.filename}`;
}

/** `manylinux_*_x86_64` matches `manylinux_2_12_x86_64`: `*` stands for a `<major>_<minor>` version. */
function matches(pattern: string): (tag: string) => boolean {
  const regex = new RegExp(`^${pattern.split('*').map(escapeRegExp).join('\\d+_\\d+')}$`);
  return (tag) => regex.test(tag);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Reads PyPI's project JSON (`https://pypi.org/pypi/<project>/json`): the files of every version. (The
 * per-version document, `/pypi/<project>/<version>/json`, answers 404 behind some proxies; this one
 * document has everything.)
 */
export function parsePypiProject(text: string, source: string): Record<string, PypiFile[]> {
  const shape = new JsonShape(source, (message) => new XccError(message));
  const releases = shape.object(shape.object(parseJson(text, shape), []).releases, ['releases']);
  return Object.fromEntries(
    Object.entries(releases).map(([version, files]) => [
      version,
      shape
        .array(files, ['releases', version])
        .map((value, i) => parsePypiFile(shape, value, ['releases', version, i])),
    ]),
  );
}

function parsePypiFile(shape: JsonShape, value: unknown, at: JsonPath): PypiFile {
  const file = shape.object(value, at);
  const filename = shape.string(file.filename, [...at, 'filename'], {
    test: isPlainFileName,
    what: 'a file name',
  });
  const size = shape.size(file.size, [...at, 'size']);
  const digests = shape.object(file.digests, [...at, 'digests']);
  return {
    filename,
    size,
    sha256: shape.sha256(digests.sha256, [...at, 'digests', 'sha256']),
    blake2b256: shape.string(digests.blake2b_256, [...at, 'digests', 'blake2b_256'], {
      test: (text) => /^[0-9a-f]{64}$/.test(text),
      what: 'a BLAKE2b-256 digest',
    }),
    yanked: file.yanked === true,
  };
}

function isPlainFileName(text: string): boolean {
  return /^[\w.+-]+$/.test(text);
}
