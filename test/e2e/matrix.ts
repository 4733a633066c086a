/**
 * The end-to-end target matrix: each row is one line of the support table (docs/support.md). Expectations are
 * written from the platforms' own ABIs (loader paths, QEMU CPU models), not computed by xcc, so the
 * suite can catch xcc choosing the wrong thing.
 */

export type Libc = 'musl' | 'glibc' | 'mingw' | 'system';

/**
 * What gets built for a row:
 * - `exe`: the cgoprobe program (C, and C++ unless the row says otherwise); Go links it with $CC or
 *   $CXX because it has C objects;
 * - `stdonly`: a program whose only cgo is net and os/user, with Go's default link mode (internal where
 *   Go can: the path where cmd/link only asks $CC for libgcc and friends);
 * - `external`: the same with `-ldflags=-linkmode=external`;
 * - `c-archive`, `c-shared`: cgoprobe as a C library, linked into driver/driver.c and run.
 */
export type Mode = 'exe' | 'stdonly' | 'external' | 'c-archive' | 'c-shared';

/** How a row's programs run on this (linux/amd64) host. */
export type Runner =
  | { kind: 'native' }
  /** `qemu-<arch>-static [-cpu <cpu>] [-L <sysroot>]`; the sysroot is Debian's libc6-<arch>-cross. */
  | { kind: 'qemu'; arch: string; cpu?: string; sysroot?: string }
  /** Wine; `wine32`: Debian's 32-bit Wine (wine32:i386), for windows/386. */
  | { kind: 'wine'; wine32?: boolean }
  | { kind: 'none'; reason: string };

export interface Row {
  /** `linux/amd64 glibc 2.17`: unique, and the test's name. */
  id: string;
  /** What a user types: `xcc exec <target> <flags...> -- go build`. */
  target: string;
  flags: string[];
  /** targets.json tier key. */
  port: string;
  libc: Libc;
  /** glibc rows: the version asked for, which the binary's GLIBC_x.y needs must not exceed. */
  glibc?: string;
  /** Whether the C++ half of cgoprobe is built (libc++, libc++abi, libunwind): the costly part of a cold cache. */
  cxx: boolean;
  modes: Mode[];
  expect: Expected;
  runner: Runner;
  /**
   * A limit of the toolchain, not of xcc: the row must fail with output matching `match`, and is shown
   * as unsupported with `reason`. Once it builds, the test fails so that the row gets promoted.
   */
  knownFailure?: { match: RegExp; reason: string };
  /** Another Go than the machine's, as GOTOOLCHAIN names it (the go command fetches it from the module proxy). */
  go?: string;
}

export interface Expected {
  format: 'elf' | 'pe' | 'macho';
  goos: string;
  goarch: string;
  /** GOARM and friends, as `xcc inspect` spells the CPU level (`v7`). */
  cpuVariant?: string;
  linkage: 'static' | 'dynamic';
  /** ELF PT_INTERP of dynamic executables. */
  interpreter?: string;
  /** The words `file` prints for the machine (a second opinion on the ELF/PE header). */
  fileMachine: RegExp;
  /** 32-bit ARM float ABI of the C code. */
  floatAbi?: 'hard' | 'soft';
}

function linuxMusl(goarch: string, qemuArch: string, fileMachine: RegExp, extra: Partial<Row> = {}): Row {
  return {
    id: `linux/${goarch} musl`,
    target: `linux/${goarch}`,
    flags: ['--musl'],
    port: `linux/${goarch}`,
    libc: 'musl',
    cxx: false,
    modes: ['exe', 'stdonly'],
    expect: { format: 'elf', goos: 'linux', goarch, linkage: 'static', fileMachine },
    runner: qemuArch === 'x86_64' ? { kind: 'native' } : { kind: 'qemu', arch: qemuArch },
    ...extra,
  };
}

function linuxArm(variant: 'v5' | 'v6' | 'v7', qemuCpu: string, floatAbi: 'hard' | 'soft'): Row {
  return {
    ...linuxMusl('arm', 'arm', /\bARM\b/),
    id: `linux/arm/${variant} musl`,
    target: `linux/arm/${variant}`,
    // A CPU model of exactly that architecture level: an instruction of a later one faults.
    runner: { kind: 'qemu', arch: 'arm', cpu: qemuCpu },
    expect: {
      format: 'elf',
      goos: 'linux',
      goarch: 'arm',
      cpuVariant: variant,
      linkage: 'static',
      fileMachine: /\bARM\b/,
      floatAbi,
    },
  };
}

function linuxGlibc(
  goarch: string,
  version: string,
  interpreter: string,
  runner: Runner,
  fileMachine: RegExp,
  extra: Partial<Row> = {},
): Row {
  return {
    id: `linux/${goarch} glibc ${version}`,
    target: `linux/${goarch}`,
    flags: [`--glibc=${version}`],
    port: `linux/${goarch}`,
    libc: 'glibc',
    glibc: version,
    cxx: false,
    modes: ['exe', 'stdonly'],
    expect: { format: 'elf', goos: 'linux', goarch, linkage: 'dynamic', interpreter, fileMachine },
    runner,
    ...extra,
  };
}

function windows(goarch: string, fileMachine: RegExp, runner: Runner, extra: Partial<Row> = {}): Row {
  return {
    id: `windows/${goarch}`,
    target: `windows/${goarch}`,
    flags: [],
    port: `windows/${goarch}`,
    libc: 'mingw',
    cxx: false,
    modes: ['exe', 'stdonly'],
    // "static" in xcc inspect's sense: only DLLs that ship with Windows.
    expect: { format: 'pe', goos: 'windows', goarch, linkage: 'static', fileMachine },
    runner,
    ...extra,
  };
}

/**
 * darwin without a macOS SDK (the wrappers link against stubs made from Go's source). Nothing here runs
 * a Mach-O: each program is checked against the same kind of program built by Go's internal linker
 * (CGO_ENABLED=0, known to run on macOS) instead, which earns the tier `links`.
 */
function darwin(goarch: string, fileMachine: RegExp): Row {
  return {
    id: `darwin/${goarch}`,
    target: `darwin/${goarch}`,
    flags: [],
    port: `darwin/${goarch}`,
    libc: 'system',
    cxx: true,
    // No `stdonly`: on darwin net and os/user call libSystem without cgo, so Go links that program itself
    // (amd64 with LC_UNIXTHREAD, not LC_MAIN) and no C toolchain takes part.
    modes: ['exe', 'external'],
    // "static" in xcc inspect's sense: only libraries that ship with macOS.
    expect: { format: 'macho', goos: 'darwin', goarch, linkage: 'static', fileMachine },
    runner: { kind: 'none', reason: 'no macOS runner on a Linux host' },
  };
}

const AMD64 = /x86-64/;
/** The newest Go release (GOTOOLCHAIN): Go changes what it asks of the C toolchain from release to release. */
export const NEWEST_GO = 'go1.27.3';
const AARCH64 = /ARM aarch64/;

/**
 * C++ (libc++, libc++abi, libunwind: about 110 CPU seconds per target on a cold cache, as much as the
 * rest of a C build) is built on one row per kind of C++ runtime: glibc (amd64, with the library modes),
 * static musl (arm64), 32-bit ARM (v7) and mingw (windows/amd64); the table says which rows ran it.
 */
const CXX = { cxx: true } as const;

export const MATRIX: Row[] = [
  linuxMusl('amd64', 'x86_64', AMD64),
  linuxGlibc('amd64', '2.17', '/lib64/ld-linux-x86-64.so.2', { kind: 'native' }, AMD64),
  linuxGlibc('amd64', '2.28', '/lib64/ld-linux-x86-64.so.2', { kind: 'native' }, AMD64, {
    ...CXX,
    modes: ['exe', 'stdonly', 'external', 'c-archive', 'c-shared'],
  }),
  linuxMusl('arm64', 'aarch64', AARCH64, { ...CXX, modes: ['exe', 'stdonly', 'external'] }),
  linuxGlibc(
    'arm64',
    '2.28',
    '/lib/ld-linux-aarch64.so.1',
    { kind: 'qemu', arch: 'aarch64', sysroot: '/usr/aarch64-linux-gnu' },
    AARCH64,
  ),
  {
    ...linuxArm('v5', 'arm926', 'soft'),
    knownFailure: {
      match: /undefined symbol: __sync_[a-z_]+_4/,
      reason:
        "zig 0.15.2's compiler_rt has no __sync_* builtins for ARM before v6 (libgcc implements them with the kernel's helpers), and runtime/cgo needs them: ld.lld 'undefined symbol: __sync_lock_test_and_set_4' (ziglang/zig#25403, #10756)",
    },
  },
  linuxArm('v6', 'arm1176', 'hard'),
  { ...linuxArm('v7', 'cortex-a7', 'hard'), ...CXX },
  {
    ...linuxMusl('386', 'i386', /Intel 80386|Intel i386/),
    // The x86-64 kernel runs i386 code itself. qemu-i386-static cannot run Go's 386 runtime at all (a
    // pure Go hello world dies with "bad g in signal handler"), so it proves nothing here.
    runner: { kind: 'native' },
    knownFailure: {
      match: /c\.math=1\.414213\n/,
      reason:
        'runs, but C code prints doubles wrong: Go sets the x87 FPU to double precision on 386 (runtime·asminit), and musl\'s printf formats through long double, so printf("%.6f", sqrt(2)) gives 1.414213; use --glibc on linux/386 if C code formats floats',
    },
  },
  linuxMusl('riscv64', 'riscv64', /RISC-V/),
  linuxMusl('ppc64le', 'ppc64le', /64-bit PowerPC|PowerPC or cisco/),
  linuxMusl('s390x', 's390x', /IBM S\/390/),
  linuxMusl('mips64le', 'mips64el', /MIPS/),
  linuxMusl('loong64', 'loongarch64', /LoongArch/),
  windows(
    'amd64',
    /x86-64/,
    { kind: 'wine' },
    { ...CXX, modes: ['exe', 'stdonly', 'external', 'c-archive', 'c-shared'] },
  ),
  windows('386', /Intel 80386|Intel i386/, { kind: 'wine', wine32: true }),
  windows('arm64', /Aarch64|ARM64/i, {
    kind: 'none',
    reason: 'built and checked only: no Windows on ARM runner (Wine runs x86 code only)',
  }),
  // The newest Go on two core rows; every other row builds with the machine's Go, the oldest xcc supports.
  { ...linuxMusl('arm64', 'aarch64', AARCH64), id: `linux/arm64 musl ${NEWEST_GO}`, go: NEWEST_GO },
  { ...windows('amd64', /x86-64/, { kind: 'wine' }), id: `windows/amd64 ${NEWEST_GO}`, go: NEWEST_GO },
  darwin('amd64', /x86_64/),
  darwin('arm64', /arm64/),
  {
    id: 'freebsd/amd64',
    target: 'freebsd/amd64',
    flags: [],
    port: 'freebsd/amd64',
    libc: 'system',
    cxx: false,
    modes: ['exe'],
    expect: {
      format: 'elf',
      goos: 'freebsd',
      goarch: 'amd64',
      linkage: 'dynamic',
      interpreter: '/libexec/ld-elf.so.1',
      fileMachine: AMD64,
    },
    runner: {
      kind: 'none',
      reason: 'built and checked only: no FreeBSD runner (QEMU user mode runs Linux binaries)',
    },
  },
];

/** The lines cgoprobe prints; without C++ its cxx.* checks are left out. */
export function expectedOutput(expectedText: string, cxx: boolean): string {
  return expectedText
    .split('\n')
    .filter((line) => cxx || !line.startsWith('cxx.'))
    .join('\n');
}
