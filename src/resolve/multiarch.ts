import type { Target } from './types.js';

/**
 * Debian's multiarch names of Linux targets: the GNU triple that names `/usr/lib/<triple>` and
 * `/usr/include/<triple>` in a Debian or Ubuntu system (and `/usr/<triple>`, where cross packages such as
 * libc6-arm64-cross put a foreign glibc), and Debian's architecture name (`arm64`, `armhf`). The runner
 * looks for a glibc by them, a sysroot's headers and libraries are found by them.
 */
const MULTIARCH: Record<string, { triple: string; debian: string }> = {
  amd64: { triple: 'x86_64-linux-gnu', debian: 'amd64' },
  arm64: { triple: 'aarch64-linux-gnu', debian: 'arm64' },
  riscv64: { triple: 'riscv64-linux-gnu', debian: 'riscv64' },
  ppc64le: { triple: 'powerpc64le-linux-gnu', debian: 'ppc64el' },
  s390x: { triple: 's390x-linux-gnu', debian: 's390x' },
  mips64le: { triple: 'mips64el-linux-gnuabi64', debian: 'mips64el' },
  loong64: { triple: 'loongarch64-linux-gnu', debian: 'loong64' },
  mipsle: { triple: 'mipsel-linux-gnu', debian: 'mipsel' },
  386: { triple: 'i386-linux-gnu', debian: 'i386' },
};

/**
 * The multiarch names of a target, or undefined where Debian has none. 32-bit ARM depends on the float
 * ABI: armhf for GOARM 6 and 7 (zig's `eabihf`), armel for 5.
 */
export function debianMultiarch(
  target: Pick<Target, 'goarch' | 'zigTarget'>,
): { triple: string; debian: string } | undefined {
  if (target.goarch !== 'arm') return MULTIARCH[target.goarch];
  return target.zigTarget.includes('eabihf')
    ? { triple: 'arm-linux-gnueabihf', debian: 'armhf' }
    : { triple: 'arm-linux-gnueabi', debian: 'armel' };
}
