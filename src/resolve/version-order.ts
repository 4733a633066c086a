/**
 * Semantic Versioning 2.0 precedence for exact versions (`0.15.2`, `0.16.0-dev.1234+abcdef012`), the only
 * kind zig versions and targets.json's ranges use. The `semver` package does this too, but loading it
 * costs more than everything else `xcc env` does on a warm cache (it builds dozens of regular expressions
 * at load), so the paths that run at shell startup compare with this; ranges (`>=0.14 <0.16`) still go
 * through `semver`. test/resolve/version-order.test.ts checks it against `semver.compare`.
 */
const IDENTIFIER = '(?:0|[1-9]\\d*|\\d*[a-zA-Z-][0-9a-zA-Z-]*)';
const VERSION = new RegExp(
  `^(0|[1-9]\\d*)\\.(0|[1-9]\\d*)\\.(0|[1-9]\\d*)(?:-(${IDENTIFIER}(?:\\.${IDENTIFIER})*))?(?:\\+[0-9a-zA-Z-]+(?:\\.[0-9a-zA-Z-]+)*)?$`,
);

interface Parsed {
  core: [number, number, number];
  prerelease: string[];
}

function parse(version: string): Parsed {
  const match = VERSION.exec(version);
  if (!match) throw new TypeError(`Invalid Version: ${version}`);
  return {
    core: [Number(match[1]), Number(match[2]), Number(match[3])],
    prerelease: match[4]?.split('.') ?? [],
  };
}

/** Whether `text` is a full semantic version (no leading `v` or `=`, no range). */
export function isVersion(text: string): boolean {
  return VERSION.test(text);
}

/** Negative, zero or positive as `a` sorts before, with or after `b`; build metadata is ignored. */
export function compareVersions(a: string, b: string): number {
  const left = parse(a);
  const right = parse(b);
  for (let i = 0; i < 3; i += 1) {
    const difference = left.core[i]! - right.core[i]!;
    if (difference !== 0) return Math.sign(difference);
  }
  return comparePrerelease(left.prerelease, right.prerelease);
}

/** A version without a prerelease sorts after one with; identifiers compare numerically or in ASCII. */
function comparePrerelease(left: string[], right: string[]): number {
  if (left.length === 0 || right.length === 0)
    return right.length - left.length === 0 ? 0 : left.length === 0 ? 1 : -1;
  for (let i = 0; i < Math.max(left.length, right.length); i += 1) {
    const a = left[i];
    const b = right[i];
    if (a === undefined) return -1;
    if (b === undefined) return 1;
    const order = compareIdentifiers(a, b);
    if (order !== 0) return order;
  }
  return 0;
}

function compareIdentifiers(a: string, b: string): number {
  const aNumeric = /^\d+$/.test(a);
  const bNumeric = /^\d+$/.test(b);
  if (aNumeric && bNumeric) return Math.sign(Number(a) - Number(b));
  if (aNumeric !== bNumeric) return aNumeric ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

export const versionLessThan = (a: string, b: string): boolean => compareVersions(a, b) < 0;
export const versionAtLeast = (a: string, b: string): boolean => compareVersions(a, b) >= 0;
