import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { checkCacheEntries, checkCachePath, UnsafeCacheError } from '../cache-safety.js';
import { cacheLayout, type Env, MARKER_FILE, xccHome, zigCacheDir } from '../home.js';
import { resolveTarget, type Target, type TargetRequest } from '../resolve/index.js';
import { cachedToolchain, MANIFEST, toolchainDir } from '../toolchain/cached.js';
import { chooseZig, type ZigChoice } from '../toolchain/project.js';
import { zigConfig } from '../zig/distribution.js';
import { zigHostKey } from '../zig/host.js';
import { isReleaseVersion } from '../zig/releases/version.js';
import { checkExecutable } from '../zig/verify/install-manifest.js';
import { zigExecutable } from '../zig/verify/zig-binary.js';
import type { Reporter } from './progress.js';

/**
 * The environment for one target, as `xcc env` and `xcc exec` need it. When this exact toolchain was
 * provisioned before, it is read from its manifest without loading the installer (the shell-startup
 * path); otherwise the Zig and the wrappers are provisioned first.
 */
export interface TargetEnv {
  env: Record<string, string>;
  /** The toolchain directory (env files) and its wrapper directory (what goes on PATH in CI). */
  dir: string;
  bin: string;
}

export async function targetEnv(options: {
  request: TargetRequest;
  zigFlag: string | undefined;
  reporter: Reporter;
  env?: Env;
}): Promise<TargetEnv> {
  const env = options.env ?? process.env;
  const choice = chooseZig({ flag: options.zigFlag, host: zigHostKey(), env });
  return (await fromCache(options.request, choice, env)) ?? provisioned(options, choice.spec, choice.locked);
}

async function fromCache(
  request: TargetRequest,
  choice: ZigChoice,
  env: Env,
): Promise<TargetEnv | undefined> {
  const version = choice.spec ?? zigConfig().defaultVersion;
  // Only an exact release can be looked up without the index; an adopted zig (XCC_ZIG) has to be asked.
  if (!isReleaseVersion(version) || env.XCC_ZIG) return undefined;
  const home = xccHome(env);
  const layout = cacheLayout(home);
  const target: Target = resolveTarget(request, { zigVersion: version });
  const dir = toolchainDir(layout.toolchains, { version, source: 'cache', zig: '' }, target);
  // Nothing is read from a cache that others could have written; errors reading it go the slow way.
  const exists = await checkCachePath(home, path.join(dir, MANIFEST)).catch(unlessUnsafe);
  if (!exists) return undefined;
  const cached = await cachedToolchain(dir);
  // Written for another zig cache (XCC_ZIG_CACHE_DIR changed): provision again.
  if (cached === undefined || cached.env.ZIG_GLOBAL_CACHE_DIR !== zigCacheDir(env)) return undefined;
  // The Zig the wrappers point at must still be there (`xcc prune` may have removed it), be the bytes a
  // lock file pins, and its executable the file that was verified (one stat when nothing changed);
  // anything else goes the slow way, which explains what is wrong.
  const installDir = path.join(layout.zig, version);
  const marker = await readFile(path.join(installDir, MARKER_FILE), 'utf8').then(
    (text) => JSON.parse(text) as { sha256?: string; files?: unknown },
    () => undefined,
  );
  if (marker === undefined) return undefined;
  const { locked } = choice;
  if (locked && marker.sha256 !== locked.sha256 && marker.sha256 !== locked.pypi?.sha256) return undefined;
  // What the build will run: the wrappers, and the zig they exec.
  if (path.dirname(cached.bin) !== dir) return undefined;
  if (!(await checkCachePath(home, zigExecutable(installDir)).catch(unlessUnsafe))) return undefined;
  if (!(await checkCacheEntries(home, cached.bin).catch(unlessUnsafe))) return undefined;
  if ((await checkExecutable(installDir, marker.files)) !== undefined) return undefined;
  return { env: cached.env, dir, bin: cached.bin };
}

function unlessUnsafe(error: unknown): false {
  if (error instanceof UnsafeCacheError) throw error;
  return false;
}

async function provisioned(
  options: { request: TargetRequest; reporter: Reporter; env?: Env },
  spec: string | undefined,
  locked: ZigChoice['locked'],
): Promise<TargetEnv> {
  const { provision } = await import('../toolchain/provision.js');
  const toolchain = await provision({
    target: options.request,
    spec,
    locked,
    env: options.env,
    onEvent: options.reporter.handle,
  });
  return { env: toolchain.env, dir: toolchain.dir, bin: toolchain.bin };
}
