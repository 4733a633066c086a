import path from 'node:path';
import { checkCacheEntries, checkCachePath, UnsafeCacheError } from '../cache-safety.js';
import { cacheLayout, type Env, zigCacheDir } from '../home.js';
import { crypto } from '../lazy-crypto.js';
import { resolveTarget, type Target, type TargetRequest } from '../resolve/index.js';
import { lockPins } from '../zig/locked.js';
import { readMarker } from '../zig/store/marker.js';
import { checkExecutable } from '../zig/verify/install-manifest.js';
import { zigExecutable } from '../zig/verify/zig-binary.js';
import { MANIFEST, readManifest } from './manifest.js';
import type { Toolchain } from './provision.js';
import { SYSROOT_LIBS, sysrootLayout } from './sysroot.js';
import { exactZigVersion, type ZigChoice } from './zig-choice.js';

/**
 * The light half of the toolchain layer: where a (zig, target) toolchain lives, and the one a previous
 * provision left there. `xcc env` on a warm cache runs only this (no installer, no HTTP client), so a
 * shell that evals it at startup pays little more than Node's own start.
 */

/**
 * One directory per (zig, target), at a stable path so that shells and CI scripts can source its env files
 * directly. A Zig adopted through XCC_ZIG gets its own namespace: its path is baked into the wrappers. So
 * does a sysroot (`linux-arm64-glibc2.28-sysroot-1a2b3c4d`): each one its own wrappers and env.
 */
export function toolchainDir(
  root: string,
  zig: { version: string; source: string; zig: string },
  target: Pick<Target, 'id' | 'sysroot'>,
): string {
  const namespace = zig.source === 'XCC_ZIG' ? `${zig.version}-${shortHash(zig.zig)}` : zig.version;
  const name = target.sysroot === null ? target.id : `${target.id}-sysroot-${shortHash(target.sysroot)}`;
  return path.join(root, namespace, name);
}

function shortHash(text: string): string {
  return crypto().createHash('sha256').update(text).digest('hex').slice(0, 8);
}

/**
 * The toolchain a previous provision wrote for this target and Zig choice, when it can be served as it
 * is: written by this xcc for the same zig cache, its wrappers in place, and the Zig they run still
 * installed, the bytes a lock file pins, and its executable the file that was verified (one stat when
 * nothing changed). Anything else is undefined and the caller provisions, which explains what is wrong;
 * only a cache that others could have written is an error (UnsafeCacheError).
 */
export async function cachedToolchain(options: {
  request: TargetRequest;
  choice: Pick<ZigChoice, 'spec' | 'locked'>;
  home: string;
  env: Env;
}): Promise<Toolchain | undefined> {
  const { request, choice, home, env } = options;
  const version = exactZigVersion(choice);
  // Only an exact release can be looked up without the index; an adopted zig (XCC_ZIG) has to be asked.
  if (version === undefined || env.XCC_ZIG) return undefined;
  const layout = cacheLayout(home);
  const target: Target = resolveTarget(request, { zigVersion: version });
  // A darwin toolchain takes Go's minimum macOS, and without an SDK the stubs it links against, from the
  // Go on PATH (darwin-sdkless.ts), which may be another Go than last time (GOTOOLCHAIN, a new release):
  // provision asks it each time.
  if (target.needsSdk) return undefined;
  const dir = toolchainDir(layout.toolchains, { version, source: 'cache', zig: '' }, target);
  // Nothing is read from a cache that others could have written; errors reading it go the slow way.
  const exists = await checkCachePath(home, path.join(dir, MANIFEST)).catch(unlessUnsafe);
  if (!exists) return undefined;
  const recorded = await readManifest(dir);
  // Written for another zig cache (XCC_ZIG_CACHE_DIR changed): provision again.
  if (recorded === undefined || recorded.env.ZIG_GLOBAL_CACHE_DIR !== zigCacheDir(env, home))
    return undefined;
  // The sysroot's directories and links as they were when the wrappers and scripts were written.
  if (target.sysroot !== null) {
    const now = await sysrootLayout(target, target.sysroot).catch(() => undefined);
    if (now === undefined || recorded.sysroot !== now.stamp) return undefined;
    if (!(await checkCacheEntries(home, path.join(dir, SYSROOT_LIBS)).catch(unlessUnsafe))) return undefined;
  }
  const { bin, tools, envFiles } = recorded;
  // What the build will run and source: the wrappers and env files this directory holds, and the zig
  // the wrappers exec.
  if (path.dirname(bin) !== dir || Object.values(tools).some((tool) => path.dirname(tool) !== bin)) {
    return undefined;
  }
  if (Object.values(envFiles).some((file) => path.dirname(file) !== dir)) return undefined;
  const installDir = path.join(layout.zig, version);
  const zigBinary = zigExecutable(installDir);
  if (recorded.zig.version !== version || recorded.zig.zig !== zigBinary) return undefined;
  const marker = await readMarker(installDir).catch(() => undefined);
  if (marker === undefined) return undefined;
  if (choice.locked && !lockPins(choice.locked, marker.sha256)) return undefined;
  if (!(await checkCachePath(home, zigBinary).catch(unlessUnsafe))) return undefined;
  if (!(await checkCacheEntries(home, bin).catch(unlessUnsafe))) return undefined;
  if ((await checkExecutable(installDir, marker.files)) !== undefined) return undefined;
  return {
    target,
    zig: { version, dir: installDir, zig: zigBinary, source: marker.source, cached: true },
    dir,
    bin,
    tools,
    env: recorded.env,
    envFiles,
  };
}

function unlessUnsafe(error: unknown): false {
  if (error instanceof UnsafeCacheError) throw error;
  return false;
}
