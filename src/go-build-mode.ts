import path from 'node:path';
import { UsageError } from './errors.js';
import type { Target } from './resolve/index.js';

/**
 * Reading `-buildmode` off a `go` command line that `xcc exec` is about to run, to refuse the build modes
 * that cannot work with the target's libc before go spends a minute producing a library that crashes;
 * and off `xcc build`'s flags, which are for executables.
 */

/** Where a build mode came from: the command line, or GOFLAGS (which the command line overrides). */
export interface GoBuildMode {
  mode: string;
  from: 'arguments' | 'GOFLAGS';
}

/** go commands that build and link, and so take `-buildmode`. */
const BUILDING = new Set(['build', 'install', 'run', 'test']);

/**
 * Flags of those commands that take a value as the next argument when written without `=` (`-o out`);
 * the boolean ones (`-a`, `-race`, `-trimpath`, `-v`...) take none. From `go help build` and
 * `go help testflag`.
 */
const VALUE_FLAGS = new Set([
  'C',
  'o',
  'p',
  'asmflags',
  'buildmode',
  'compiler',
  'covermode',
  'coverpkg',
  'exec',
  'gccgoflags',
  'gcflags',
  'installsuffix',
  'ldflags',
  'mod',
  'modfile',
  'overlay',
  'pgo',
  'pkgdir',
  'tags',
  'toolexec',
  'bench',
  'benchtime',
  'blockprofile',
  'blockprofilerate',
  'count',
  'coverprofile',
  'cpu',
  'cpuprofile',
  'fuzz',
  'fuzzminimizetime',
  'fuzztime',
  'list',
  'memprofile',
  'memprofilerate',
  'mutexprofile',
  'mutexprofilefraction',
  'outputdir',
  'parallel',
  'run',
  'skip',
  'shuffle',
  'timeout',
  'trace',
  'vet',
]);

/**
 * The build mode `program args` asks go for, as go reads it: `-buildmode=M`, `--buildmode=M` or
 * `-buildmode M` among the flags of `go [-C dir] build|install|run|test`, the last one winning, else
 * `-buildmode=M` in GOFLAGS. Undefined for any other program (`go1.22.5` from golang.org/dl counts as go)
 * and for go commands that do not link. Flags end where go's do: at `--`, at the first package for build,
 * install and run (what follows `go run pkg` is the program's), and at `-args` for test, which reads flags
 * after its packages too.
 */
export function goBuildMode(
  program: string,
  args: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): GoBuildMode | undefined {
  const found = goCommand(program, args);
  if (found === undefined || !BUILDING.has(found.command)) return undefined;
  const { command, at } = found;
  let mode: string | undefined;
  for (let index = at + 1; index < args.length; index++) {
    const arg = args[index]!;
    if (arg === '--' || (command === 'test' && (arg === '-args' || arg === '--args'))) break;
    const flag = /^--?([^-=][^=]*)(=(.*))?$/s.exec(arg);
    if (flag === null) {
      if (command === 'test') continue;
      break;
    }
    const [, name, withValue, value] = flag;
    const next = withValue === undefined && VALUE_FLAGS.has(name!) ? args[++index] : undefined;
    if (name === 'buildmode') mode = value ?? next;
  }
  if (mode !== undefined) return { mode, from: 'arguments' };
  const fromEnv = (env.GOFLAGS ?? '')
    .split(/\s+/)
    .map((entry) => /^--?buildmode=(.*)$/s.exec(entry)?.[1])
    .filter((value) => value !== undefined)
    .at(-1);
  return fromEnv === undefined ? undefined : { mode: fromEnv, from: 'GOFLAGS' };
}

/** The go command, or one of golang.org/dl's `go1.22.5` wrappers. */
function isGo(program: string): boolean {
  return /^go(\d+(\.\d+)*((rc|beta)\d+)?)?(\.exe)?$/i.test(path.basename(program));
}

/**
 * The go command `program args` runs (`build` of `go -C dir build`) and its index in `args`; undefined for
 * any other program (`go1.22.5` from golang.org/dl counts as go) or a go with no command.
 */
export function goCommand(
  program: string,
  args: readonly string[],
): { command: string; at: number } | undefined {
  if (!isGo(program)) return undefined;
  let at = 0;
  if (args[0] === '-C' || args[0] === '--C') at = 2;
  else if (/^--?C=/.test(args[0] ?? '')) at = 1;
  const command = args[at];
  return command === undefined ? undefined : { command, at };
}

/** Whether `program args` may link C: a go command that builds (build, install, run, test) or any other program (make, cmake...). */
export function mayLinkC(program: string, args: readonly string[]): boolean {
  if (!isGo(program)) return true;
  const found = goCommand(program, args);
  return found !== undefined && BUILDING.has(found.command);
}

/**
 * Go's c-archive and c-shared runtimes start from `.init_array` and read argc and argv from the arguments
 * glibc passes there; musl passes none (golang/go#13492). A musl c-archive linked into a C program, even one
 * built with musl by the same zig, crashes in `runtime.sysargs` as it starts; a musl c-shared library does
 * the same in a musl program, and a glibc program cannot load it at all (it needs musl's libc). Seen with
 * Go 1.26 (test/cli/go-build-mode.test.ts), so the build is refused rather than warned about: nothing
 * that works comes out of it.
 */
export function checkBuildModeForLibc(buildMode: GoBuildMode | undefined, target: Target): void {
  if (buildMode === undefined || target.libc !== 'musl') return;
  const { mode, from } = buildMode;
  const what =
    mode === 'c-archive'
      ? 'the C program it links into crashes as it starts'
      : mode === 'c-shared'
        ? 'a glibc program cannot load the library, and a musl program that loads it crashes as it starts'
        : undefined;
  if (what === undefined) return;
  const source = from === 'GOFLAGS' ? ' (in GOFLAGS)' : '';
  throw new UsageError(
    `-buildmode=${mode}${source} does not work with musl (${target.id}): ${what}, since Go's runtime reads argc and argv in .init_array and musl does not pass them (golang/go#13492); build for glibc instead (--glibc)`,
  );
}

/**
 * `go build` arguments as go reads them: the flags (with the values of flags that take one), then the
 * packages, from the first argument that is no flag (or after `--`). For `xcc build`, which adds its own
 * flags and `-o` before the packages.
 */
export function splitGoBuildArgs(args: readonly string[]): { flags: string[]; packages: string[] } {
  const flags: string[] = [];
  for (let index = 0; index < args.length; index++) {
    const arg = args[index]!;
    if (arg === '--') return { flags, packages: args.slice(index + 1) };
    const flag = /^--?([^-=][^=]*)(=.*)?$/s.exec(arg);
    if (flag === null) return { flags, packages: args.slice(index) };
    flags.push(arg);
    if (flag[2] === undefined && VALUE_FLAGS.has(flag[1]!) && index + 1 < args.length)
      flags.push(args[++index]!);
  }
  return { flags, packages: [] };
}
