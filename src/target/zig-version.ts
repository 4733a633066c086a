import compare from 'semver/functions/compare.js';
import gt from 'semver/functions/gt.js';
import gte from 'semver/functions/gte.js';
import lt from 'semver/functions/lt.js';
import valid from 'semver/functions/valid.js';
import { UsageError } from '../errors.js';
import { targetsData, type ZigRange, type ZigRanged } from './data.js';

/**
 * A zig version as `zig version` prints it: `0.15.2`, or a development build such as
 * `0.16.0-dev.1234+abcdef012`. A development build sorts before its release, so it gets the
 * naming of the previous release until the rename ships.
 */
export function parseZigVersion(text: string): string {
  // semver.valid alone would also take 'v0.15.2' and '=0.15.2', which `zig version` never prints.
  if (!/^\d/.test(text) || valid(text) === null) {
    throw new UsageError(`malformed zig version '${text}'; write MAJOR.MINOR.PATCH, e.g. 0.15.2`);
  }
  const oldest = targetsData().minZigVersion.version;
  if (lt(text, oldest)) {
    throw new UsageError(
      `zig ${text} is older than ${oldest}, the oldest zig xcc supports; use zig ${oldest} or newer`,
    );
  }
  return text;
}

export function inZigRange(range: Omit<ZigRange<unknown>, 'value'>, zigVersion: string): boolean {
  return (
    (range.since === undefined || gte(zigVersion, range.since)) &&
    (range.until === undefined || lt(zigVersion, range.until))
  );
}

/** The value that applies to a zig version, or `undefined` when that version has none. */
export function forZig<T>(ranged: ZigRanged<T>, zigVersion: string): T | undefined {
  if (!Array.isArray(ranged)) return ranged;
  return ranged.find((range) => inZigRange(range, zigVersion))?.value;
}

/**
 * When a value is missing for a zig version: the first newer release that has it, so that the error
 * can say which zig to use; `undefined` when no newer release has it either.
 */
export function firstZigWith<T>(ranged: ZigRange<T>[], zigVersion: string): string | undefined {
  return ranged
    .map((range) => range.since)
    .filter((since): since is string => since !== undefined && gt(since, zigVersion))
    .sort(compare)[0];
}
