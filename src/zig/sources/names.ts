/** Where a Zig can come from, as `--source` and `sources` name them (the order is the default order). */
export const SOURCE_NAMES = ['mirror', 'ziglang.org', 'pypi'] as const;
export type SourceName = (typeof SOURCE_NAMES)[number];
