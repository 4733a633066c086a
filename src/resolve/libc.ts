import { UsageError } from '../errors.js';
import { type AbiFloat, type AbiRule, type Libc, targetsData } from './data.js';
import type { Platform } from './platform.js';
import { valuesWithAbiFloat, variableOf } from './sub-arch.js';
import { listOr } from './suggest.js';
import { firstZigWith, forZig } from './zig-version.js';

/** The libcs a port offers, the OS default first; empty when zig has none for it. */
export function libcsOf(goos: string, goarch: string): Libc[] {
  const { goos: table, abis } = targetsData();
  const offered = new Set(abis.filter((rule) => appliesTo(rule, goos, goarch)).map((rule) => rule.libc));
  const preferred = table[goos]?.defaultLibc;
  return [...offered].sort((a, b) => Number(b === preferred) - Number(a === preferred));
}

/** The requested libc, or the OS default; a libc the port does not offer is a usage error. */
export function chooseLibc(platform: Platform, requested: Libc | undefined): Libc {
  const { goos, goarch } = platform;
  const offered = libcsOf(goos, goarch);
  const libc = requested ?? offered[0]!;
  if (offered.includes(libc)) return libc;
  const instead =
    offered.length === 1
      ? `it links against ${describe(offered[0]!, goos)}`
      : `choose ${offered.join(' or ')}`;
  // 'system' has no flag: only library callers can ask for it.
  const fix = libc === 'system' ? '' : `; drop --${libc}`;
  throw new UsageError(`${goos}/${goarch} cannot use ${libc}: ${instead}${fix}`);
}

/**
 * The zig ABI for a libc on a port, for a zig version: `musleabihf`, `gnu`, `none`...
 * Missing float variants and libcs that a zig release lacks are usage errors that say what to change.
 */
export function zigAbi(
  platform: Platform,
  libc: Libc,
  abiFloat: AbiFloat | undefined,
  zigVersion: string,
): string {
  const { goos, goarch } = platform;
  const rules = targetsData().abis.filter((rule) => appliesTo(rule, goos, goarch) && rule.libc === libc);
  const rule = rules.find((candidate) => candidate.float === undefined || candidate.float === abiFloat);
  if (rule === undefined) {
    const other = rules[0]!.float!;
    const variable = variableOf(goarch)!;
    throw new UsageError(
      `zig has no ${abiFloat}-float ${libcName(libc)} for ${goos}/${goarch}; use ${variable}=${listOr(valuesWithAbiFloat(variable, other))}`,
    );
  }
  const abi = forZig(rule.abi, zigVersion);
  if (abi !== undefined) return abi;
  const newer = Array.isArray(rule.abi) ? firstZigWith(rule.abi, zigVersion) : undefined;
  const fix = newer === undefined ? 'use an older zig' : `use zig ${newer} or newer`;
  const what = rule.float === undefined ? libcName(libc) : `${rule.float}-float ${libcName(libc)}`;
  throw new UsageError(`zig ${zigVersion} cannot provide ${what} for ${goos}/${goarch}; ${fix}`);
}

function appliesTo(rule: AbiRule, goos: string, goarch: string): boolean {
  return rule.goos === goos && rule.goarch.includes(goarch);
}

function describe(libc: Libc, goos: string): string {
  return libc === 'system' ? `${goos}'s own libc` : libc;
}

function libcName(libc: Libc): string {
  return libc === 'system' ? 'libc' : libc;
}

/** `2.28` or `2.28.0` -> `2.28`; anything else is malformed. */
export function parseGlibcVersion(text: string): string {
  const match = /^(\d+)\.(\d+)(?:\.0)?$/.exec(text);
  if (match === null) {
    const hint = text.includes('/')
      ? ' (--glibc took the next word as its version: put the target first or write --glibc=VERSION)'
      : '';
    throw new UsageError(`malformed glibc version '${text}'${hint}; write MAJOR.MINOR, e.g. 2.28`);
  }
  return `${Number(match[1])}.${Number(match[2])}`;
}

/** The glibc versions xcc accepts for an architecture with a zig release, and the default. */
export function glibcRange(
  goarch: string,
  zigVersion: string,
): { oldest: string; newest: string; default: string } {
  const { glibc } = targetsData();
  const archOldest = glibc.oldestByGoarch[goarch];
  return {
    oldest: newerOf(glibc.oldest, archOldest),
    newest: forZig(glibc.newest, zigVersion)!,
    default: newerOf(glibc.default, archOldest),
  };
}

/** The glibc to link against: the requested one within what zig knows, or the default. */
export function chooseGlibc(platform: Platform, requested: string | undefined, zigVersion: string): string {
  const { goos, goarch } = platform;
  const { oldest, newest, default: fallback } = glibcRange(goarch, zigVersion);
  if (requested === undefined) return fallback;
  const version = parseGlibcVersion(requested);
  if (compareGlibc(version, oldest) < 0) {
    throw new UsageError(
      `glibc ${version} is too old for ${goos}/${goarch} (the oldest is ${oldest}); use glibc ${oldest} or newer`,
    );
  }
  if (compareGlibc(version, newest) > 0) {
    throw new UsageError(
      `glibc ${version} is newer than ${newest}, the newest zig ${zigVersion} knows; use glibc ${newest} or older, or a newer zig`,
    );
  }
  return version;
}

function newerOf(a: string, b: string | undefined): string {
  return b !== undefined && compareGlibc(b, a) > 0 ? b : a;
}

function compareGlibc(a: string, b: string): number {
  const [aMajor = 0, aMinor = 0] = a.split('.').map(Number);
  const [bMajor = 0, bMinor = 0] = b.split('.').map(Number);
  return aMajor - bMajor || aMinor - bMinor;
}
