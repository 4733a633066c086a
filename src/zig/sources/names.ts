/** Where a Zig can come from, as `--source` and `sources` name them (the order is the default order). */
export const SOURCE_NAMES = ['mirror', 'ziglang.org', 'pypi'] as const;
export type SourceName = (typeof SOURCE_NAMES)[number];
/** What a source is: one of the named ones, or an archive or wheel on disk (`--from`). */
export type SourceKind = SourceName | 'file';

/**
 * A name that stays a file name wherever it is joined: no directory part, not `.` or `..`, nothing a shell
 * or URL would read specially. Every name that comes from outside (an index page, a lock file) and becomes
 * a path in the cache or a download's name passes through here. `!` is PEP 440's epoch separator.
 */
export function isPlainFileName(name: string): boolean {
  return /^[\w.+!-]+$/.test(name) && name !== '.' && name !== '..';
}
