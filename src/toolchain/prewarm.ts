import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { XccError } from '../errors.js';
import type { Env } from '../home.js';
import type { Target } from '../target/index.js';

/**
 * Prewarm: build, ahead of time, what zig builds on a target's first cgo link (libc — musl's libc.a,
 * glibc's stub .so files or the mingw-w64 CRT —, compiler-rt and the crt objects; libc++, libc++abi and
 * libunwind for C++) into zig's cache. Zig builds these on demand at link time, which makes the first
 * `go build` for a target take minutes where later ones take seconds.
 *
 * It links small programs through the target's own wrappers, with the flag sets Go's link steps use:
 * zig keys each runtime library by target and by flags such as the optimize mode, and Go links with
 * several flag sets (measured with go1.26 and zig 0.15.2: a first linux/arm64 build made two libc.a,
 * three libcompiler_rt.a and four crt1.o), so one link per set is what makes them all cache hits.
 */
export type PrewarmLanguage = 'c' | 'c++';

export interface PrewarmToolchain {
  target: Pick<Target, 'id' | 'goos'>;
  /** Wrapper paths by tool name, as `provision` returns them (`cc`, `c++` used here). */
  tools: Record<string, string>;
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
 * The link flag sets of `go build` for a cgo program (go1.26 `go build -x`): cmd/link's probes of what
 * the linker accepts (no -O: zig's Debug mode), cgo's link of `_cgo_.o` and the final external link
 * (CGO_LDFLAGS' default `-O2 -g`). ELF targets get runtime/cgo's `-lpthread` and cmd/link's
 * `-rdynamic`/`-no-pie`; Windows and Mach-O links take neither.
 */
export function linkFlagSets(goos: string): string[][] {
  if (goos === 'windows' || goos === 'darwin' || goos === 'ios') return [[], ['-O2', '-g']];
  return [
    [],
    ['-fPIC', '-pthread', '-O2', '-g', '-lpthread'],
    ['-rdynamic', '-O2', '-g', '-lpthread', '-no-pie'],
  ];
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
        await prewarmOne(next, languages, scratch, options.env ?? process.env);
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

async function prewarmOne(
  toolchain: PrewarmToolchain,
  languages: PrewarmLanguage[],
  scratch: string,
  env: Env,
): Promise<void> {
  for (const language of languages) {
    const { file, tool } = SOURCES[language];
    const wrapper = toolchain.tools[tool];
    if (wrapper === undefined) throw new Error(`toolchain ${toolchain.target.id} has no ${tool} wrapper`);
    for (const [index, flags] of linkFlagSets(toolchain.target.goos).entries()) {
      const out = path.join(scratch, `${toolchain.target.id}-${language}-${index}.out`);
      await link(wrapper, [...flags, '-o', out, path.join(scratch, file)], env, toolchain.target.id);
    }
  }
}

function link(wrapper: string, args: string[], env: Env, target: string): Promise<void> {
  return new Promise((resolve, reject) => {
    // A .cmd wrapper (Windows host) can only be started through cmd.exe.
    const shell = wrapper.endsWith('.cmd');
    execFile(wrapper, args, { env, shell, maxBuffer: 16 << 20 }, (error, _stdout, stderr) => {
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
