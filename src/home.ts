import os from 'node:os';
import path from 'node:path';

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
  return platformCacheDir(env);
}

/**
 * The per-user cache directory the platform's conventions give xcc: `$XDG_CACHE_HOME/xcc` (else
 * `~/.cache/xcc`) on Linux and the BSDs, `~/Library/Caches/xcc` on macOS, `%LOCALAPPDATA%\xcc\Cache` on
 * Windows. These are env-paths' paths; xcc computes them itself because importing env-paths cost a
 * tenth of Node's whole start-up, paid by every shell that evals `xcc env` (it imports `node:process`,
 * and Node builds that module's namespace by reading every property of `process`).
 */
export function platformCacheDir(
  env: Env = process.env,
  platform: NodeJS.Platform = process.platform,
  homedir: () => string = os.homedir,
): string {
  if (platform === 'win32') {
    const localAppData = env.LOCALAPPDATA || path.win32.join(homedir(), 'AppData', 'Local');
    return path.win32.join(localAppData, 'xcc', 'Cache');
  }
  if (platform === 'darwin') return path.posix.join(homedir(), 'Library', 'Caches', 'xcc');
  // The XDG spec says a relative XDG_CACHE_HOME is invalid and to be ignored.
  const xdg = env.XDG_CACHE_HOME;
  return path.posix.join(
    xdg && path.posix.isAbsolute(xdg) ? xdg : path.posix.join(homedir(), '.cache'),
    'xcc',
  );
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
 * rather than in zig/store/store.ts so that the warm `xcc env` path can check it without loading the store.
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
  /** Text-based stubs of Apple's libraries per Go version, for darwin targets without an SDK. */
  darwinStubs: string;
  /** The private Wine prefix the runners of Windows targets make on their first run (src/run/). */
  wine: string;
  /** One CC for several targets (`xcc dispatch`, `xcc setup`): `<root>/dispatch/<hash>/cc` and `c++`. */
  dispatch: string;
  /** What `xcc setup` changed in each go env file, so that `xcc setup --undo` puts it back. */
  setup: string;
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
    darwinStubs: path.join(root, 'darwin-stubs'),
    wine: path.join(root, 'wine'),
    dispatch: path.join(root, 'dispatch'),
    setup: path.join(root, 'setup'),
  };
}
