import type { ZigPypiConfig } from '../distribution.js';
import { isReleaseVersion } from '../releases/version.js';

/**
 * The PyPI `ziglang` project (https://github.com/ziglang/zig-pypi) republishes each official Zig build as
 * a wheel: the same files under `ziglang/`, one wheel per platform tag. Its versions are PEP 440: Zig
 * 0.13.0 is `0.13.0`, and a re-publication of the same Zig is `0.13.0.postN` (0.13.0.post1 added
 * ppc64le; 0.17.0.post0 added the platforms 0.17.0 lacked).
 */

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

/** `manylinux_*_x86_64` matches `manylinux_2_12_x86_64`: `*` stands for a `<major>_<minor>` version. */
function matches(pattern: string): (tag: string) => boolean {
  const regex = new RegExp(`^${pattern.split('*').map(escapeRegExp).join('\\d+_\\d+')}$`);
  return (tag) => regex.test(tag);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
