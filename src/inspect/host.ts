import { readdirSync, readFileSync, statSync } from 'node:fs';
import os from 'node:os';
import type { Host } from './verdicts.js';

/**
 * The machine xcc runs on, in Go's words, with what the verdicts can use: which files exist (the
 * loader check), qemu handlers registered with binfmt_misc, the glibc version and the x86-64 level.
 * Every probe is best effort: what cannot be read is left out, never guessed.
 */
export function detectHost(platform: NodeJS.Platform = process.platform, arch: string = process.arch): Host {
  const host: Host = { os: goos(platform), arch: goarch(arch) };
  if (platform !== process.platform || arch !== process.arch) return host;
  host.hasFile = fileExists;
  if (platform === 'linux') {
    host.emulators = binfmtHandlers();
    host.glibc = runtimeGlibc();
    if (host.arch === 'amd64') host.amd64Level = amd64LevelFromFlags(cpuFlags());
  }
  return host;
}

const GOOS: Partial<Record<NodeJS.Platform, string>> = { win32: 'windows', sunos: 'solaris' };
const GOARCH: Record<string, string> = { x64: 'amd64', ia32: '386', x32: 'amd64', mipsel: 'mipsle' };

export function goos(platform: string): string {
  return GOOS[platform as NodeJS.Platform] ?? platform;
}

export function goarch(arch: string, endianness: 'LE' | 'BE' = os.endianness()): string {
  // Node says ppc64 for both byte orders; Go tells them apart.
  if (arch === 'ppc64') return endianness === 'LE' ? 'ppc64le' : 'ppc64';
  return GOARCH[arch] ?? arch;
}

function fileExists(path: string): boolean {
  try {
    statSync(path);
    return true;
  } catch {
    return false;
  }
}

function binfmtHandlers(): string[] {
  try {
    return readdirSync('/proc/sys/fs/binfmt_misc').filter((name) => name !== 'register' && name !== 'status');
  } catch {
    return [];
  }
}

/** The glibc Node itself runs on (null on musl systems, where Node reports none). */
function runtimeGlibc(): string | null {
  const header = (process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined)
    ?.header;
  return header?.glibcVersionRuntime ?? null;
}

function cpuFlags(): string[] | null {
  try {
    const line = readFileSync('/proc/cpuinfo', 'utf8')
      .split('\n')
      .find((entry) => entry.startsWith('flags'));
    return line === undefined
      ? null
      : line
          .slice(line.indexOf(':') + 1)
          .trim()
          .split(/\s+/);
  } catch {
    return null;
  }
}

/** x86-64 psABI micro-architecture levels in /proc/cpuinfo flag names (lzcnt is "abm", OSXSAVE shows as "xsave"). */
const AMD64_LEVEL_FLAGS: [number, string[]][] = [
  [2, ['cx16', 'lahf_lm', 'popcnt', 'sse4_1', 'sse4_2', 'ssse3']],
  [3, ['avx', 'avx2', 'bmi1', 'bmi2', 'f16c', 'fma', 'abm', 'movbe', 'xsave']],
  [4, ['avx512f', 'avx512bw', 'avx512cd', 'avx512dq', 'avx512vl']],
];

export function amd64LevelFromFlags(flags: readonly string[] | null): number | null {
  if (flags === null) return null;
  let level = 1;
  for (const [next, required] of AMD64_LEVEL_FLAGS) {
    if (!required.every((flag) => flags.includes(flag))) break;
    level = next;
  }
  return level;
}
