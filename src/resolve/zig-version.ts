import { UsageError } from '../errors.js';
import { targetsData, type ZigRange, type ZigRanged } from './data.js';
import { compareVersions, isVersion, versionAtLeast, versionLessThan } from './version-order.js';

/**
 * A zig version as `zig version` prints it: `0.15.2`, or a development build such as
 * `0.16.0-dev.1234+abcdef012`. A development build sorts before its release, so it gets the
 * naming of the previous release until the rename ships.
 */
export function parseZigVersion(text: string): string {
  if (!isVersion(text)) {
    throw new UsageError(`malformed zig version '${text}'; write MAJOR.MINOR.PATCH, e.g. 0.15.2`);
  }
  const oldest = minimumZigVersion();
  if (versionLessThan(text, oldest)) {
    throw new UsageError(
      `zig ${text} is older than ${oldest}, the oldest zig xcc supports; use zig ${oldest} or newer`,
    );
  }
  return text;
}

/**
 * The oldest zig xcc supports, from toolchains/targets.json (`minZigVersion`, with the reason beside it):
 * the one home of this fact. Target resolution refuses older versions here, and the installer refuses to
 * resolve or adopt them (src/zig/releases/releases.ts, src/zig/install.ts).
 */
export function minimumZigVersion(): string {
  const { version } = targetsData().minZigVersion;
  if (typeof version !== 'string' || !isVersion(version)) {
    throw new Error(
      `toolchains/targets.json: minZigVersion.version is not a version: ${JSON.stringify(version)}`,
    );
  }
  return version;
}

export function inZigRange(range: Omit<ZigRange<unknown>, 'value'>, zigVersion: string): boolean {
  return (
    (range.since === undefined || versionAtLeast(zigVersion, range.since)) &&
    (range.until === undefined || versionLessThan(zigVersion, range.until))
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
    .filter((since): since is string => since !== undefined && compareVersions(since, zigVersion) > 0)
    .sort(compareVersions)[0];
}
