import path from 'node:path';
import envPaths from 'env-paths';

/**
 * Every path xcc writes comes from here. Nothing is computed at import time: `XCC_HOME` and the
 * platform's cache directory are read when asked, so tests and embedders can point xcc elsewhere.
 */
export type Env = Readonly<Record<string, string | undefined>>;

/** Bumped when the cache layout changes incompatibly; old layouts are left for `xcc prune --all`. */
export const LAYOUT_VERSION = 'v1';

export function xccHome(env: Env = process.env): string {
  const override = env.XCC_HOME;
  if (override) return path.resolve(override);
  // env-paths reads HOME/XDG_CACHE_HOME/LOCALAPPDATA when called, not at import.
  return envPaths('xcc', { suffix: '' }).cache;
}

/**
 * Zig's build cache (ZIG_GLOBAL_CACHE_DIR) for builds through xcc's wrappers: `XCC_ZIG_CACHE_DIR` when
 * set (a directory CI keeps between runs, or one shared by several xcc homes), else inside the home.
 * Sharing it between parallel builds for different targets is safe (zig locks its cache entries).
 */
export function zigCacheDir(env: Env = process.env, home: string = xccHome(env)): string {
  const override = env.XCC_ZIG_CACHE_DIR;
  return override ? path.resolve(override) : cacheLayout(home).zigCache;
}

/**
 * Written into a Zig install directory before its atomic rename: a directory with it is complete. Here
 * rather than in zig/store.ts so that the warm `xcc env` path can check it without loading the store.
 */
export const MARKER_FILE = '.xcc-install.json';

export interface CacheLayout {
  /** `<home>/v1`: everything of this layout version lives below it. */
  root: string;
  /** Complete, verified Zig installs: `<root>/zig/<version>/`. */
  zig: string;
  /** Scratch space inside the cache so that the final rename is atomic (same filesystem). */
  tmp: string;
  /** Cross-process lock files. */
  locks: string;
  /** Cached index.json, community mirror list and their HTTP validators. */
  meta: string;
  /** Per (zig, target) wrapper scripts and env files. */
  toolchains: string;
  /** The default ZIG_GLOBAL_CACHE_DIR for builds through xcc's wrappers (see zigCacheDir). */
  zigCache: string;
}

export function cacheLayout(home: string = xccHome()): CacheLayout {
  const root = path.join(home, LAYOUT_VERSION);
  return {
    root,
    zig: path.join(root, 'zig'),
    tmp: path.join(root, 'tmp'),
    locks: path.join(root, 'locks'),
    meta: path.join(root, 'meta'),
    toolchains: path.join(root, 'toolchains'),
    zigCache: path.join(root, 'zig-cache'),
  };
}
