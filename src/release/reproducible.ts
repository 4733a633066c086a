import { execFile } from 'node:child_process';
import { UsageError } from '../errors.js';
import { goCgoFlags, withoutDebug } from './cgo-flags.js';

/**
 * What makes a cgo cross build reproducible: the same source, built in another directory, on another day,
 * with a cold Go cache and a warm or cold zig cache, gives the same bytes. Measured on zig 0.15.2 and
 * go1.26 (docs/reproducible.md), for each target of the support table we could build:
 *
 * - Go's own flags do most of it. Go names a package's C files by relative path (`__FILE__` is
 *   `stamp.c`), and `-trimpath` maps the package directory, GOROOT and Go's `$WORK` directory for the C
 *   compiler too (`-ffile-prefix-map`: a header reached through `-I${SRCDIR}/include` is
 *   `/_/example.com/mod/include/x.h`, not the checkout's path); Go passes `-frandom-seed` from the action
 *   ID, and with `-trimpath` keeps CGO_* flags out of the embedded build info; `-buildvcs=false` keeps the checkout's
 *   state out; `-ldflags=-s -w -buildid=` drops symbols, DWARF (where the zig install's and zig cache's
 *   paths would be) and the build ID that hashes the inputs' paths.
 * - `__DATE__` and `__TIME__`: zig cc makes them an error in optimized builds (`-Werror=date-time`, Go
 *   compiles with `-O2`), so C code that uses them does not build at all. SOURCE_DATE_EPOCH fixes their
 *   value (clang reads it), which makes the warning untrue: `-Wno-date-time` lets that code build.
 * - But zig caches C objects by source and flags, not by SOURCE_DATE_EPOCH: a warm zig cache returned an
 *   object with an older epoch's date. So the epoch is also written into the flags
 *   (`-DXCC_SOURCE_DATE_EPOCH=N`), which puts it in zig's cache key and in Go's (CGO_CFLAGS is part of
 *   the action ID); C code may read it too.
 * - Windows: `-g` at the link makes zig run lld-link with `/debug`, and lld derives the PE timestamp and
 *   the CodeView GUID (`.buildid`) from a PDB that names the objects by their paths in Go's random
 *   temporary link directory: every build differs in those 20 bytes. With `-s -w` there is no debug
 *   information to keep, so CGO_LDFLAGS drops `-g` (`-g0` after it does not help: zig still asks for
 *   `/debug`).
 */

/** `go build` flags for a reproducible build (the lead's `xcc build` passes these before the user's). */
export const REPRODUCIBLE_GO_FLAGS: readonly string[] = ['-trimpath', '-buildvcs=false'];

/** The linker flags, kept apart so that a caller merges them with the user's `-ldflags` into one flag. */
export const REPRODUCIBLE_LDFLAGS: readonly string[] = ['-s', '-w', '-buildid='];

/** clang's bound for SOURCE_DATE_EPOCH (9999-12-31T23:59:59Z): a larger value is an error there. */
const MAX_EPOCH = 253402300799;

/** Where the build's timestamp came from. */
export type EpochSource = 'SOURCE_DATE_EPOCH' | 'git' | 'fixed';

export interface ReproducibleEnv {
  /** Variables to add to `go build`'s environment: SOURCE_DATE_EPOCH, CGO_CFLAGS, CGO_CXXFLAGS, CGO_LDFLAGS. */
  env: Record<string, string>;
  /** Seconds since 1970: what `__DATE__`/`__TIME__` say. */
  sourceDateEpoch: number;
  epochFrom: EpochSource;
}

export interface ReproducibleEnvOptions {
  /** The source directory (the Go module's): its last commit's time is the default timestamp. */
  sourceDir: string;
  /** The environment `go build` would run with: its SOURCE_DATE_EPOCH and the CGO_* flags go reads (from it or the go env file) are kept. */
  env?: NodeJS.ProcessEnv;
  /** The go command that will build (asked for its C flags); default `go`. */
  go?: string;
  /** Reads the last commit's time (for tests); default: `git log -1` in `sourceDir`. */
  commitTime?: (sourceDir: string) => Promise<number | null>;
}

/**
 * The environment additions that make a cgo build of `sourceDir` reproducible. The timestamp is the
 * caller's SOURCE_DATE_EPOCH if set (the convention of reproducible-builds.org), else the time of the
 * last commit when `sourceDir` is in a git work tree, else 0: a source tree without history has no date
 * of its own, and the build's clock is exactly what must not leak in.
 */
export async function reproducibleEnv(options: ReproducibleEnvOptions): Promise<ReproducibleEnv> {
  const env = options.env ?? process.env;
  const given = env.SOURCE_DATE_EPOCH;
  let epoch: number;
  let epochFrom: EpochSource;
  if (given !== undefined && given !== '') {
    epoch = parseEpoch(given);
    epochFrom = 'SOURCE_DATE_EPOCH';
  } else {
    const committed = await (options.commitTime ?? gitCommitTime)(options.sourceDir);
    epoch = committed ?? 0;
    epochFrom = committed === null ? 'fixed' : 'git';
  }
  const added = cFlagsFor(epoch);
  const flags = await goCgoFlags(env, { go: options.go, cwd: options.sourceDir });
  return {
    env: {
      SOURCE_DATE_EPOCH: String(epoch),
      CGO_CFLAGS: joinFlags(flags.CGO_CFLAGS, added),
      CGO_CXXFLAGS: joinFlags(flags.CGO_CXXFLAGS, added),
      CGO_LDFLAGS: withoutDebug(flags.CGO_LDFLAGS),
    },
    sourceDateEpoch: epoch,
    epochFrom,
  };
}

/** The C and C++ flags a reproducible build adds (see the top of this file for why each). */
export function cFlagsFor(epoch: number): string[] {
  return ['-Wno-date-time', `-DXCC_SOURCE_DATE_EPOCH=${epoch}`];
}

function joinFlags(base: string, added: readonly string[]): string {
  return [base.trim(), ...added].filter((part) => part !== '').join(' ');
}

function parseEpoch(text: string): number {
  const value = /^[0-9]{1,12}$/.test(text) ? Number(text) : Number.NaN;
  if (!(value <= MAX_EPOCH)) {
    throw new UsageError(
      `SOURCE_DATE_EPOCH=${JSON.stringify(text)} is not a time: set it to whole seconds since 1970 (e.g. $(git log -1 --format=%ct)) or unset it`,
    );
  }
  return value;
}

/**
 * The committer time of HEAD, or null when `dir` is not in a git work tree (or git is missing). The
 * directory may be anyone's, so git runs with nothing that could start another program from the
 * repository's config: no fsmonitor, no signature check (gpg.program), no pager.
 */
export function gitCommitTime(dir: string): Promise<number | null> {
  const args = [
    '-c',
    'core.fsmonitor=false',
    '-c',
    'log.showSignature=false',
    '--no-pager',
    'log',
    '-1',
    '--no-show-signature',
    '--format=%ct',
    'HEAD',
    '--',
  ];
  return new Promise((resolve) => {
    execFile('git', args, { cwd: dir, timeout: 30_000, windowsHide: true }, (error, stdout) => {
      const text = String(stdout).trim();
      resolve(error === null && /^[0-9]+$/.test(text) ? Number(text) : null);
    });
  });
}
