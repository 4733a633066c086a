import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { XccError } from '../errors.js';
import type { Env } from '../home.js';
import type { Target, TargetRequest } from '../resolve/index.js';
import type { InstallEvent } from '../zig/events.js';
import type { Zig } from '../zig/install.js';
import { provision, type Toolchain } from './provision.js';

/**
 * Prewarm: build, ahead of time, what zig builds on a target's first cgo link (libc — musl's libc.a,
 * glibc's stub .so files or the mingw-w64 CRT —, compiler-rt and the crt objects; libc++, libc++abi and
 * libunwind for C++) into zig's cache. Zig builds these on demand at link time, which makes the first
 * `go build` for a target take minutes where later ones take seconds.
 *
 * It links small programs through the target's own wrappers, with the flag sets Go's link steps use:
 * zig keys each runtime library by target and by flags such as the optimize mode and PIC, and Go links
 * with several flag sets, so one link per set is what makes them all cache hits (measured with go1.26 and
 * zig 0.15.2, linux/amd64 musl: one libc.a, two libcompiler_rt.a and two crt1.o; the wrappers' -fPIC,
 * quirk musl-pic, spares a second libc.a).
 */
export type PrewarmLanguage = 'c' | 'c++';

export interface PrewarmToolchain {
  target: Pick<Target, 'id' | 'goos'>;
  /** Wrapper paths by tool name, as `provision` returns them (`cc`, `c++` used here). */
  tools: Record<string, string>;
  zig: { dir: string };
  env: Record<string, string>;
}

export type PrewarmEvent =
  | { type: 'prewarm-start'; target: string; languages: PrewarmLanguage[] }
  | { type: 'prewarm-done'; target: string; durationMs: number };

export interface PrewarmOptions {
  toolchains: PrewarmToolchain[];
  /** Default `['c']`: libc++ takes longer to build than libc and only packages with C++ files need it. */
  languages?: PrewarmLanguage[];
  /** Targets built at once; default: the number of CPUs (zig builds each library's files in parallel too). */
  jobs?: number;
  env?: Env;
  /** Where `go build` will run (default: the current directory); see linkDir. */
  buildDir?: string;
  onEvent?: (event: PrewarmEvent) => void;
  monotonic?: () => number;
}

const SOURCES: Record<PrewarmLanguage, { file: string; text: string; tool: string }> = {
  c: {
    file: 'prewarm.c',
    text: '#include <stdio.h>\nint main(void) { puts("xcc"); return 0; }\n',
    tool: 'cc',
  },
  'c++': {
    file: 'prewarm.cc',
    text: '#include <iostream>\n#include <string>\nint main() { std::cout << std::string("xcc") << std::endl; }\n',
    tool: 'c++',
  },
};

/**
 * One link as `go build` does it: from source (cmd/link's probes of what the linker accepts, and cgo's
 * probe of the compiler) or from objects only (cgo's link of `_cgo_.o` and the final external link).
 */
export interface PrewarmLink {
  input: 'source' | 'object';
  flags: string[];
}

/**
 * The links of `go build` for a cgo program (go1.26 `go build -x`, CGO_LDFLAGS' default `-O2 -g`).
 * ELF targets get runtime/cgo's `-pthread`/`-lpthread` and cmd/link's `-rdynamic`/`-no-pie`; Windows
 * and Mach-O links take neither.
 */
export function prewarmLinks(goos: string): PrewarmLink[] {
  const probes: PrewarmLink[] = [
    { input: 'source', flags: [] },
    { input: 'source', flags: ['-Wl,--no-gc-sections', '-O2', '-g'] },
  ];
  if (goos === 'windows' || goos === 'darwin' || goos === 'ios')
    return [...probes, { input: 'object', flags: ['-O2', '-g'] }];
  return [
    ...probes,
    { input: 'object', flags: ['-fPIC', '-pthread', '-Wl,--no-gc-sections', '-O2', '-g', '-lpthread'] },
    { input: 'object', flags: ['-rdynamic', '-O2', '-g', '-lpthread', '-no-pie'] },
  ];
}

/** How cgo compiles C files (the object the object-only links take). */
export function compileFlags(goos: string): string[] {
  return goos === 'windows' || goos === 'darwin' || goos === 'ios'
    ? ['-O2', '-g']
    : ['-fPIC', '-pthread', '-O2', '-g'];
}

/**
 * `xcc install --prewarm T1,T2`: each target's toolchain provisioned with a Zig already installed, then
 * prewarmed (several targets at once). Progress comes through `onEvent`: the provisioning's install
 * events, then a start and a done per target.
 */
export async function provisionAndPrewarm(options: {
  targets: TargetRequest[];
  zig: Zig;
  languages?: PrewarmLanguage[];
  env?: Env;
  onEvent?: (event: InstallEvent | PrewarmEvent) => void;
}): Promise<Toolchain[]> {
  const toolchains: Toolchain[] = [];
  for (const target of options.targets) {
    toolchains.push(
      await provision({ target, zigInstall: options.zig, env: options.env, onEvent: options.onEvent }),
    );
  }
  await prewarm({ toolchains, languages: options.languages, env: options.env, onEvent: options.onEvent });
  return toolchains;
}

export async function prewarm(options: PrewarmOptions): Promise<void> {
  const languages = options.languages ?? ['c'];
  const jobs = Math.max(1, options.jobs ?? os.availableParallelism());
  const monotonic = options.monotonic ?? (() => performance.now());
  // The linked programs are thrown away: only what zig puts in its cache is meant to stay.
  const scratch = await mkdtemp(path.join(os.tmpdir(), 'xcc-prewarm-'));
  try {
    for (const language of languages) {
      await writeFile(path.join(scratch, SOURCES[language].file), SOURCES[language].text);
    }
    const queue = [...options.toolchains];
    const worker = async () => {
      for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
        const started = monotonic();
        options.onEvent?.({ type: 'prewarm-start', target: next.target.id, languages });
        const env = options.env ?? process.env;
        const cwd = linkDir(options.buildDir ?? process.cwd(), scratch, [
          next.zig.dir,
          env.ZIG_GLOBAL_CACHE_DIR || next.env.ZIG_GLOBAL_CACHE_DIR || scratch,
        ]);
        await prewarmOne(next, languages, { scratch, cwd, env });
        options.onEvent?.({
          type: 'prewarm-done',
          target: next.target.id,
          durationMs: monotonic() - started,
        });
      }
    };
    await Promise.all(Array.from({ length: Math.min(jobs, queue.length) }, worker));
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

/**
 * The working directory for the links. Zig 0.15 writes its lib and cache directories into the clang
 * command lines it hashes as paths relative to the working directory when they lie below it, and as
 * absolute paths otherwise (measured: from the parent of both, `-isystem h1/v1/zig/0.15.2/lib/include`;
 * from a sibling, the absolute path), so the runtime libraries' cache keys depend on where zig runs.
 * `go build` runs in the package directory: when that holds zig or its cache (XCC_ZIG_CACHE_DIR inside
 * a CI workspace), prewarm links from there too; otherwise from the scratch directory, which holds neither.
 */
export function linkDir(buildDir: string, scratch: string, zigDirs: string[]): string {
  const below = (dir: string) => {
    const relative = path.relative(buildDir, dir);
    return relative !== '' && !relative.startsWith('..') && !path.isAbsolute(relative);
  };
  return zigDirs.some(below) ? buildDir : scratch;
}

async function prewarmOne(
  toolchain: PrewarmToolchain,
  languages: PrewarmLanguage[],
  where: { scratch: string; cwd: string; env: Env },
): Promise<void> {
  const { scratch, cwd, env } = where;
  const { id, goos } = toolchain.target;
  for (const language of languages) {
    const { file, tool } = SOURCES[language];
    const wrapper = toolchain.tools[tool];
    if (wrapper === undefined) throw new Error(`toolchain ${id} has no ${tool} wrapper`);
    const source = path.join(scratch, file);
    const object = path.join(scratch, `${id}-${language}.o`);
    await run(wrapper, [...compileFlags(goos), '-c', source, '-o', object], { env, cwd }, id);
    for (const [index, { input, flags }] of prewarmLinks(goos).entries()) {
      const out = path.join(scratch, `${id}-${language}-${index}.out`);
      await run(wrapper, [...flags, '-o', out, input === 'source' ? source : object], { env, cwd }, id);
    }
  }
}

function run(
  wrapper: string,
  args: string[],
  { env, cwd }: { env: Env; cwd: string },
  target: string,
): Promise<void> {
  return new Promise((resolve, reject) => {
    // A .cmd wrapper (Windows host) can only be started through cmd.exe.
    const shell = wrapper.endsWith('.cmd');
    execFile(wrapper, args, { env, cwd, shell, maxBuffer: 16 << 20 }, (error, _stdout, stderr) => {
      if (!error) return resolve();
      const detail = String(stderr).trim().split('\n').slice(-3).join(' | ') || error.message;
      reject(
        new XccError(
          `prewarming ${target} failed: ${path.basename(wrapper)} ${args.join(' ')}: ${detail}; check that '${wrapper} --version' runs`,
          { cause: error },
        ),
      );
    });
  });
}
