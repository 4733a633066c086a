import os from 'node:os';
import { XccError } from '../errors.js';
import { versionAtLeast, versionLessThan } from '../resolve/version-order.js';
import { type ZigNaming, zigConfig } from './distribution.js';
import { isDevVersion } from './releases/version.js';

/**
 * The machine xcc runs on, in Zig's words: a host key `<arch>-<os>` as in the newest index.json
 * (`x86_64-linux`, `aarch64-macos`, `arm-linux`...). Older releases spelled some keys and file names
 * differently; the history lives in toolchains/zig.json (`naming`), applied here.
 */

const ZIG_OS: Partial<Record<NodeJS.Platform, string>> = {
  linux: 'linux',
  darwin: 'macos',
  win32: 'windows',
  freebsd: 'freebsd',
  netbsd: 'netbsd',
};

const ZIG_ARCH: Partial<Record<string, string>> = {
  x64: 'x86_64',
  arm64: 'aarch64',
  arm: 'arm',
  ia32: 'x86',
  riscv64: 'riscv64',
  loong64: 'loongarch64',
  s390x: 's390x',
};

/**
 * Zig's host key for Node's `process.platform` / `process.arch`. Node says `ppc64` for both byte orders
 * (its Linux builds are little-endian), so the byte order decides between `powerpc64le` and `powerpc64`.
 */
export function zigHostKey(
  platform: NodeJS.Platform = process.platform,
  arch: string = process.arch,
  endianness: 'BE' | 'LE' = os.endianness(),
): string {
  const zigOs = ZIG_OS[platform];
  const zigArch = arch === 'ppc64' ? (endianness === 'LE' ? 'powerpc64le' : 'powerpc64') : ZIG_ARCH[arch];
  if (zigOs === undefined || zigArch === undefined) {
    throw new XccError(
      `xcc cannot download Zig for this host (platform ${platform}, arch ${arch}): ziglang.org publishes builds for Linux, macOS, Windows, FreeBSD and NetBSD only, on x86_64, aarch64, arm, x86, riscv64, powerpc64(le), loongarch64 and s390x; install a Zig built for this machine yourself and use it instead`,
    );
  }
  return `${zigArch}-${zigOs}`;
}

/** `arm-linux` -> `armv7a-linux` for 0.14.1: the key under which `version`'s index.json lists `host`. */
export function indexHostKey(version: string, host: string, naming: ZigNaming = zigConfig().naming): string {
  const [arch, zigOs] = splitHostKey(host);
  const rename = naming.archRenames.find((r) => r.arch === arch && versionLessThan(version, r.before));
  return `${rename?.was ?? arch}-${zigOs}`;
}

/** The reverse of indexHostKey: `armv7a-linux` and `i386-windows` as xcc names them today. */
export function currentHostKey(indexKey: string, naming: ZigNaming = zigConfig().naming): string {
  const [arch, zigOs] = splitHostKey(indexKey);
  const rename = naming.archRenames.find((r) => r.was === arch);
  return `${rename?.arch ?? arch}-${zigOs}`;
}

/**
 * The official file name of Zig `version` for `host`: `zig-<arch>-<os>-<version>` from 0.14.1 (and dev
 * builds from 0.15.0-dev.631), `zig-<os>-<arch>-<version>` before (ziglang/www.ziglang.org#477: the new
 * order follows target triples; ziglang/zig#24169: old files keep their names). `.zip` for Windows,
 * `.tar.xz` otherwise.
 */
export function releaseFileName(
  version: string,
  host: string,
  naming: ZigNaming = zigConfig().naming,
): string {
  const [arch, zigOs] = splitHostKey(indexHostKey(version, host, naming));
  const extension = zigOs === 'windows' ? 'zip' : 'tar.xz';
  const platformRename = naming.platformRenames.find(
    (r) => r.host === currentHostKey(host, naming) && versionLessThan(version, r.before),
  );
  const platform =
    platformRename?.was ?? (archBeforeOs(version, naming) ? `${arch}-${zigOs}` : `${zigOs}-${arch}`);
  return `zig-${platform}-${version}.${extension}`;
}

function archBeforeOs(version: string, naming: ZigNaming): boolean {
  // Dev builds of 0.15.0 predating the switch sort after the 0.14.1 release, hence their own threshold.
  const threshold = isDevVersion(version) ? naming.archBeforeOs.dev : naming.archBeforeOs.release;
  return versionAtLeast(version, threshold);
}

function splitHostKey(host: string): [arch: string, os: string] {
  const match = /^([a-z0-9_]+)-([a-z0-9_]+)$/.exec(host);
  if (!match) throw new Error(`not a Zig host key: ${JSON.stringify(host)} (expected <arch>-<os>)`);
  return [match[1]!, match[2]!];
}
