import { debianMultiarch, type Target } from '../resolve/index.js';

/**
 * How this host runs a target's programs: natively, under QEMU user mode, under Wine, or not at all.
 * Pure: the host and the target go in, a plan comes out; what is installed is looked at when the
 * program runs (script.ts), since the runner script outlives the moment it was written.
 */
export type RunnerPlan =
  | NativePlan
  | QemuPlan
  | WinePlan
  | {
      kind: 'none' /** Why not, in one clause: `no runner for macOS programs on a Linux host`. */;
      reason: string;
    };

export interface NativePlan {
  kind: 'native';
  /** A file the program needs from the host (linux/386 glibc on amd64: the 32-bit loader), and what installs it. */
  needs?: { file: string; install: string };
}

export interface QemuPlan {
  kind: 'qemu';
  /** QEMU's name for the architecture: `qemu-<arch>-static`, else `qemu-<arch>`. */
  arch: string;
  /** `-cpu`: a model with exactly the sub-architecture's features (GOARM), or one with all of them (`max`). */
  cpu?: string;
  /**
   * glibc targets: where cross packages put the target's libc, for `-L` (dynamic programs need its loader).
   * `given`: the toolchain's sysroot (`--sysroot`), which then holds the loader and the libraries the
   * program was linked against; used as it is, before the cross packages' directories.
   */
  sysroot?: { dirs: string[]; install: string; given?: string };
  /**
   * The race detector's runtime (ThreadSanitizer) refuses QEMU's address space on this architecture
   * ("unsupported VMA range"): a -race program is stopped with that said, before QEMU starts it.
   */
  raceUnsupported: boolean;
}

export interface WinePlan {
  kind: 'wine';
  /** 64-bit programs: the prefix's system32; 32-bit ones run under WoW64 and load from syswow64. */
  bits: 64 | 32;
}

export interface Host {
  /** Node's names: `linux`, `darwin`, `win32`... */
  platform: NodeJS.Platform;
  /** Node's names: `x64`, `arm64`, `ia32`... */
  arch: string;
}

/** Node's architecture names in Go's words. */
const GOARCH_OF_NODE: Record<string, string> = {
  x64: 'amd64',
  ia32: '386',
  arm64: 'arm64',
  arm: 'arm',
  riscv64: 'riscv64',
  ppc64: 'ppc64le',
  s390x: 's390x',
  loong64: 'loong64',
  mips: 'mips',
  mipsel: 'mipsle',
};

const GOOS_OF_NODE: Partial<Record<NodeJS.Platform, string>> = {
  linux: 'linux',
  darwin: 'darwin',
  win32: 'windows',
  freebsd: 'freebsd',
  openbsd: 'openbsd',
  netbsd: 'netbsd',
};

/** QEMU's user-mode binary names, by GOARCH. */
const QEMU_ARCH: Record<string, string> = {
  amd64: 'x86_64',
  arm64: 'aarch64',
  arm: 'arm',
  riscv64: 'riscv64',
  ppc64le: 'ppc64le',
  ppc64: 'ppc64',
  s390x: 's390x',
  mips64le: 'mips64el',
  mips64: 'mips64',
  mipsle: 'mipsel',
  mips: 'mips',
  loong64: 'loongarch64',
};

/** The QEMU CPU model of each GOARM level: that level and no later one, so a later instruction faults. */
const ARM_CPU: Record<string, string> = { '5': 'arm926', '6': 'arm1176', '7': 'cortex-a7' };

export function hostGoarch(arch: string): string | undefined {
  return GOARCH_OF_NODE[arch];
}

export function runnerPlan(target: Target, host: Host): RunnerPlan {
  const hostGoos = GOOS_OF_NODE[host.platform];
  const hostArch = GOARCH_OF_NODE[host.arch];
  const here = `${hostGoos ?? host.platform}/${hostArch ?? host.arch}`;
  const same = target.goos === hostGoos;
  // The x86-64 kernels of Linux, Windows and macOS (before Catalina; Rosetta runs amd64 on arm64) run
  // the 32-bit or older sibling themselves.
  const sibling =
    (hostArch === 'amd64' && target.goarch === '386' && target.goos !== 'darwin') ||
    (hostArch === 'arm64' && target.goarch === 'amd64' && target.goos === 'darwin');
  if (same && (target.goarch === hostArch || sibling)) return nativePlan(target, hostArch);
  if (target.goos === 'linux') return linuxPlan(target, host, here);
  if (target.goos === 'windows') {
    if (host.platform !== 'linux' && host.platform !== 'freebsd' && host.platform !== 'darwin')
      return { kind: 'none', reason: `no runner for ${target.port} programs on ${here}` };
    if (target.goarch !== 'amd64' && target.goarch !== '386')
      return { kind: 'none', reason: `Wine runs x86 Windows programs only, not ${target.port}` };
    if (hostArch !== 'amd64')
      return { kind: 'none', reason: `Wine runs x86 Windows programs on x86 hosts only, not on ${here}` };
    return { kind: 'wine', bits: target.goarch === 'amd64' ? 64 : 32 };
  }
  return {
    kind: 'none',
    reason: `no runner for ${target.port} programs on ${here} (QEMU user mode runs Linux programs only)`,
  };
}

function nativePlan(target: Target, hostArch: string | undefined): NativePlan {
  if (target.goos === 'linux' && target.goarch === '386' && hostArch === 'amd64' && target.libc === 'glibc') {
    return {
      kind: 'native',
      needs: {
        file: '/lib/ld-linux.so.2',
        install: 'libc6:i386 (Debian/Ubuntu: dpkg --add-architecture i386 && apt-get install libc6:i386)',
      },
    };
  }
  return { kind: 'native' };
}

function linuxPlan(target: Target, host: Host, here: string): RunnerPlan {
  if (host.platform !== 'linux')
    return { kind: 'none', reason: `QEMU user mode runs on Linux hosts only, not on ${here}` };
  if (target.goarch === '386') {
    // Go's 386 runtime dies under qemu-i386 ("bad g in signal handler"); only an x86-64 kernel runs it.
    return {
      kind: 'none',
      reason: `QEMU cannot run Go's linux/386 runtime, and ${here} cannot run it natively`,
    };
  }
  const arch = QEMU_ARCH[target.goarch];
  if (arch === undefined) return { kind: 'none', reason: `no QEMU user mode for ${target.port}` };
  const cpu = qemuCpu(target);
  return {
    kind: 'qemu',
    arch,
    ...(cpu === undefined ? {} : { cpu }),
    ...(target.libc === 'glibc' || target.sysroot !== null ? { sysroot: qemuSysroot(target) } : {}),
    raceUnsupported: target.goarch === 'arm64',
  };
}

/** A CPU model that has what the sub-architecture asks for; undefined: QEMU's default already does. */
function qemuCpu(target: Target): string | undefined {
  const value = target.subArch?.value;
  if (value === undefined) return undefined;
  switch (target.subArch?.variable) {
    case 'GOARM': {
      // With glibc the sysroot's own code runs too: Debian's armhf is ARMv7, so a GOARM=6 program with
      // it needs a CPU that runs both (QEMU's default), not an ARMv6 one.
      const level = value.split(',')[0]!;
      return target.libc === 'glibc' && level === '6' ? undefined : ARM_CPU[level];
    }
    case 'GOAMD64':
      // qemu64 is x86-64-v1; v2 and v3 need SSE4.2, AVX2, BMI... which only `max` has. (v4 needs AVX-512,
      // which QEMU's TCG lacks: the Go runtime then says so itself.)
      return value === 'v1' ? undefined : 'max';
    case 'GORISCV64':
      // rva22u64 and later need Zba/Zbb/Zbs (and rva23u64 the vector extension).
      return value === 'rva20u64' ? undefined : 'max';
    case 'GOARM64':
      return value === 'v8.0' ? undefined : 'max';
    case 'GOPPC64':
      return value === 'power8' ? undefined : value;
    default:
      return undefined;
  }
}

/**
 * The sysroot for QEMU's -L: the one the toolchain was given (a musl program linked against a sysroot's
 * shared libraries needs it too), else for glibc where Debian and Ubuntu (`/usr/<triple>`, package
 * libc6-<arch>-cross) and Fedora (`sys-root` below it) put a foreign glibc.
 */
function qemuSysroot(target: Target): NonNullable<QemuPlan['sysroot']> {
  const given = target.sysroot === null ? {} : { given: target.sysroot };
  const cross = debianMultiarch(target);
  if (cross === undefined || target.libc !== 'glibc')
    return { dirs: [], install: `a ${target.goarch} ${target.libc}`, ...given };
  return {
    dirs: [`/usr/${cross.triple}`, `/usr/${cross.triple}/sys-root`],
    install: `libc6-${cross.debian}-cross`,
    ...given,
  };
}
