import { createHash } from 'node:crypto';
import { readdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { CACHE_EXECUTABLE_MODE, CACHE_FILE_MODE, ensureCacheDir } from '../cache-safety.js';
import { UsageError, XccError } from '../errors.js';
import { writeFileAtomic } from '../fs-atomic.js';
import { cacheLayout, xccHome, zigCacheDir } from '../home.js';
import { needsMacosSdk, resolveTarget, type Target, type TargetRequest } from '../resolve/index.js';
import { type Host, runnerScript } from '../run/index.js';
import { type EnsureZigOptions, ensureZig, type Zig } from '../zig/install.js';
import { toolchainDir } from './cached.js';
import {
  type DarwinStubs,
  ensureDarwinStubs,
  FRAMEWORK_HEADER_HINT,
  minimumMacosTriple,
  sdklessQuirk,
} from './darwin-sdkless.js';
import { firstLinkMark } from './first-link.js';
import { checkMacosSdk, checkSdkForZig, sdkQuirks } from './macos-sdk.js';
import { MANIFEST, manifestText } from './manifest.js';
import { type CompilerTool, goEnvQuirks, type Quirk, quirksFor } from './quirks.js';
import { type EnvFormat, renderEnv } from './render.js';
import {
  checkSysroot,
  libraryScripts,
  pkgConfigEnv,
  SYSROOT_LIBS,
  type SysrootLayout,
  sysrootLayout,
  sysrootQuirks,
} from './sysroot.js';
import { goQuote, renderCmdWrapper, renderShWrapper, type WrapperSpec } from './wrappers.js';

/**
 * Wire: a verified Zig and a resolved target become a directory of wrappers and env files, and the
 * environment `go build` needs. Files are written atomically and only when their bytes change (make,
 * ccache and Go look at mtimes), so running this again is cheap and safe while builds run.
 */
export interface Toolchain {
  target: Target;
  zig: Zig;
  /**
   * `<home>/v1/toolchains/<zig version>/<target id>/`: a stable path holding the env files, with the
   * wrappers in a `bin-<hash>/` directory below it.
   */
  dir: string;
  /** The wrapper directory (what goes on PATH). */
  bin: string;
  /**
   * Wrapper paths by tool name: cc, c++, ar, ranlib (and dlltool for Windows targets). The files are
   * named like GNU cross tools, e.g. `aarch64-linux-musl-cc`; and `exec`, the runner Go looks for on
   * PATH (`go_linux_arm64_exec`, src/run/), except on Windows hosts.
   */
  tools: Record<string, string>;
  /** What to export for `go build`: CGO_ENABLED, GOOS, GOARCH, the sub-arch variable, CC, CXX, AR, zig caches. */
  env: Record<string, string>;
  /** The same environment as files in the wrapper directory, for shells that should not start Node. */
  envFiles: Partial<Record<EnvFormat, string>>;
}

export interface ProvisionOptions extends EnsureZigOptions {
  target: TargetRequest;
  /** A Zig already ensured (e.g. for several targets); else `ensureZig(options)`. */
  zigInstall?: Zig;
}

/** Env files written beside the wrappers, by format. */
const ENV_FILES: Partial<Record<EnvFormat, string>> = {
  sh: 'env.sh',
  fish: 'env.fish',
  pwsh: 'env.ps1',
  cmd: 'env.cmd',
  dotenv: '.env',
  json: 'env.json',
};

export async function provision(options: ProvisionOptions): Promise<Toolchain> {
  const env = options.env ?? process.env;
  const platform = options.platform ?? process.platform;
  const home = options.home ?? xccHome(env);
  // An empty SDK path is none (an unset SDKROOT in some shells). A path that is not an SDK is refused
  // before the Zig is downloaded; one too new for it, after.
  const request = { ...options.target, macosSdk: options.target.macosSdk || undefined };
  const darwin = needsMacosSdk(request.target);
  if (darwin && request.macosSdk !== undefined) await checkMacosSdk(request.macosSdk);
  // Before the Zig download too: a darwin toolchain needs the Go on PATH (its minimum macOS, and the stubs
  // linked without an SDK), and a missing one is found in a moment.
  const darwinStubs = darwin ? await ensureDarwinStubs({ home, env }) : undefined;
  if (request.sysroot !== undefined) await checkSysroot(path.resolve(request.sysroot));
  const zig = options.zigInstall ?? (await ensureZig(options));
  const target = resolveTarget(request, { zigVersion: zig.version });
  if (target.macosSdk !== null) await checkSdkForZig(target.macosSdk, target, zig.version);
  const layout = cacheLayout(home);
  const dir = toolchainDir(layout.toolchains, zig, target);
  const zigCache = zigCacheDir(env, home);
  if (/[\r\n]/.test(zigCache)) {
    // zig writes each source's path into a dependency file in its cache and refuses to read a line break
    // back ("InvalidDepFile"): every compile would fail.
    throw new UsageError(
      `zig cannot use ${JSON.stringify(zigCache)} as its cache (a line break in the path); set XCC_ZIG_CACHE_DIR or XCC_HOME to a path without one`,
    );
  }
  await ensureCacheDir(home, dir);
  const host = { platform, arch: options.arch ?? process.arch };
  const sysroot = target.sysroot === null ? undefined : await sysrootLayout(target, target.sysroot);
  const scripts = path.join(dir, SYSROOT_LIBS);
  if (sysroot !== undefined) await writeLibraryScripts(home, scripts, sysroot);
  const tools = await writeWrappers({
    home,
    dir,
    zig,
    target,
    zigCache,
    host,
    darwinStubs,
    extraQuirks: sysroot === undefined ? [] : sysrootQuirks(sysroot, scripts),
  });
  const toolchainEnv = {
    ...target.env,
    CC: goQuote(tools.cc!),
    CXX: goQuote(tools['c++']!),
    AR: tools.ar!,
    ZIG_GLOBAL_CACHE_DIR: zigCache,
    ZIG_LOCAL_CACHE_DIR: zigCache,
    ...(target.macosSdk === null ? {} : { SDKROOT: target.macosSdk }),
    ...goEnvQuirks(zig.version, target.zigTarget),
    ...(sysroot === undefined ? {} : pkgConfigEnv(sysroot, scripts)),
  };
  const envFiles = await writeEnvFiles(dir, toolchainEnv);
  const bin = path.dirname(tools.cc!);
  await writeIfChanged(
    path.join(dir, MANIFEST),
    manifestText({
      zig: { version: zig.version, zig: zig.zig },
      target,
      bin,
      tools,
      env: toolchainEnv,
      envFiles,
      ...(sysroot === undefined ? {} : { sysroot: sysroot.stamp }),
    }),
  );
  return { target, zig, dir, bin, tools, env: toolchainEnv, envFiles };
}

async function writeWrappers(options: {
  home: string;
  dir: string;
  zig: Zig;
  target: Target;
  zigCache: string;
  host: Host;
  darwinStubs: DarwinStubs | undefined;
  /** Flags of the toolchain's own inputs (a sysroot), after the table's quirks. */
  extraQuirks: Quirk[];
}): Promise<Record<string, string>> {
  const { home, dir, zig, target, zigCache, host, darwinStubs, extraQuirks } = options;
  const windowsHost = host.platform === 'win32';
  // GNU cross-tool names (`aarch64-linux-musl-cc`): the directory can go on PATH without shadowing the
  // host's cc and ar, and autotools' --host finds the tools by these names.
  const prefix = target.zigTarget.replace(/\.[\d.]+$/, '');
  const zigTarget = darwinStubs ? minimumMacosTriple(target.zigTarget, darwinStubs) : target.zigTarget;
  const darwinQuirks =
    target.macosSdk !== null
      ? sdkQuirks(target.macosSdk)
      : darwinStubs
        ? [sdklessQuirk(darwinStubs), FRAMEWORK_HEADER_HINT]
        : [];
  const fixed = ['-target', zigTarget, ...(target.zigCpu === null ? [] : [`-mcpu=${target.zigCpu}`])];
  const sdkEnv = target.macosSdk === null ? undefined : { SDKROOT: target.macosSdk };
  const spec = (
    tool: string,
    subcommand: string[],
    args: string[],
    compiler?: CompilerTool,
  ): WrapperSpec => ({
    header: `${tool} for ${target.id} (${target.zigTarget}) with Zig ${zig.version}`,
    zig: zig.zig,
    subcommand,
    fixed: args,
    quirks: compiler
      ? [...quirksFor(zig.version, target.zigTarget, compiler), ...darwinQuirks, ...extraQuirks]
      : [],
    dir,
    prefix,
    zigCache,
    env: compiler ? sdkEnv : undefined,
    // .cmd wrappers run zig as their last line and mark nothing (first-link.ts).
    firstLinkMark: compiler && !windowsHost ? firstLinkMark(zig.version, target) : undefined,
  });
  const specs: Array<[string, WrapperSpec]> = [
    ['cc', spec('cc', ['cc'], fixed, 'cc')],
    ['c++', spec('c++', ['c++'], fixed, 'c++')],
    ['ar', spec('ar', ['ar'], [])],
    ['ranlib', spec('ranlib', ['ranlib'], [])],
    ...(target.goos === 'windows'
      ? [['dlltool', spec('dlltool', ['dlltool'], [])] as [string, WrapperSpec]]
      : []),
  ];
  const render = (wrapper: WrapperSpec, bin: string) =>
    (windowsHost ? renderCmdWrapper : renderShWrapper)({ ...wrapper, dir: bin });
  // Go's build cache keys cgo objects by the CC path (and the compiler's version line), not by what the
  // wrapper does: wrappers whose bytes change must get a new path, so their directory is named by a hash
  // of their contents (rendered with a placeholder directory, since they may name their own).
  // The runner (go_GOOS_GOARCH_exec, src/run/) sits beside them and counts in the hash too.
  const runner = (bin: string) => runnerScript({ target, cc: path.join(bin, `${prefix}-cc`), home, host });
  const digest = createHash('sha256');
  for (const [, wrapper] of specs) digest.update(render(wrapper, '/xcc-bin'));
  digest.update(runner('/xcc-bin')?.text ?? '');
  const bin = path.join(dir, `bin-${digest.digest('hex').slice(0, 10)}`);
  await ensureCacheDir(home, bin);
  const tools: Record<string, string> = {};
  for (const [name, wrapper] of specs) {
    const file = path.join(bin, `${prefix}-${name}${windowsHost ? '.cmd' : ''}`);
    await writeIfChanged(file, render(wrapper, bin), CACHE_EXECUTABLE_MODE);
    tools[name] = file;
  }
  const written = runner(bin);
  if (written !== undefined) {
    tools.exec = path.join(bin, written.name);
    await writeIfChanged(tools.exec, written.text, CACHE_EXECUTABLE_MODE);
  }
  return tools;
}

/**
 * The linker scripts of a sysroot's libraries whose links point outside it (sysroot.ts), and no others:
 * a script left from a previous layout would shadow the sysroot's library of that name.
 */
async function writeLibraryScripts(home: string, scripts: string, sysroot: SysrootLayout): Promise<void> {
  await ensureCacheDir(home, scripts);
  const written = await libraryScripts(sysroot);
  for (const name of await readdir(scripts)) {
    if (!written.has(name)) await rm(path.join(scripts, name), { force: true, recursive: true });
  }
  for (const [name, text] of written) await writeIfChanged(path.join(scripts, name), text);
}

async function writeEnvFiles(
  dir: string,
  env: Record<string, string>,
): Promise<Partial<Record<EnvFormat, string>>> {
  const files: Partial<Record<EnvFormat, string>> = {};
  for (const [format, name] of Object.entries(ENV_FILES) as Array<[EnvFormat, string]>) {
    const file = path.join(dir, name);
    try {
      await writeIfChanged(file, renderEnv(env, format));
      files[format] = file;
    } catch (error) {
      // A format that cannot hold a value (a newline in a path, for cmd) just has no file.
      if (!(error instanceof XccError)) throw error;
    }
  }
  return files;
}

/**
 * Atomic, and skipped when the bytes are already there: mtimes only move when content does. The directory
 * was checked and made by ensureCacheDir; the mode does not depend on the umask.
 */
async function writeIfChanged(file: string, text: string, mode = CACHE_FILE_MODE): Promise<void> {
  const current = await readFile(file, 'utf8').catch(() => undefined);
  if (current === text) return;
  await writeFileAtomic(file, text, { mode });
}
