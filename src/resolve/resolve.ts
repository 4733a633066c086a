import path from 'node:path';
import { UsageError } from '../errors.js';
import { type Libc, type TierEntry, targetsData, type ZigRanged } from './data.js';
import { chooseGlibc, chooseLibc, libcsOf, zigAbi } from './libc.js';
import { type Platform, parsePlatform } from './platform.js';
import { resolveSubArch, type SubArch } from './sub-arch.js';
import { findTier } from './tiers.js';
import type { ResolveOptions, Target, TargetRequest } from './types.js';
import { forZig, parseZigVersion } from './zig-version.js';

/**
 * Turns what a Go developer types into the exact zig target. Pure: reads only the bundled table.
 * Anything that cannot be built (unknown names, no cgo, no zig libc, bad versions) is a UsageError
 * whose one-line message says what to change.
 */
/**
 * Whether the target's Go runtime needs a macOS SDK (darwin): known from the target alone, before any Zig
 * is chosen, so that a missing SDK is refused before a download. Throws the parse error of a bad target.
 */
export function needsMacosSdk(target: string): boolean {
  return targetsData().goos[parsePlatform(target).goos]?.needsSdk ?? false;
}

export function resolveTarget(request: TargetRequest, { zigVersion }: ResolveOptions): Target {
  const zig = parseZigVersion(zigVersion);
  const platform = parsePlatform(request.target);
  const { goos, goarch } = platform;
  const port = `${goos}/${goarch}`;
  rejectUnsupported(platform);
  const subArch = resolveSubArch(platform, request);
  const libc = chooseLibc(platform, requestedLibc(request));
  const abi = zigAbi(platform, libc, subArch?.abiFloat, zig);
  const glibcVersion = libc === 'glibc' ? chooseGlibc(platform, request.glibcVersion, zig) : null;
  const { needsSdk = false } = targetsData().goos[goos]!;
  if (request.macosSdk !== undefined && !needsSdk) {
    throw new UsageError(`a macOS SDK is only for darwin targets, not ${port}; drop --macos-sdk`);
  }
  if (request.sysroot !== undefined && goos !== 'linux') {
    throw new UsageError(
      (spelling) =>
        `a sysroot is for linux targets, not ${port}; drop ${spelling ?? 'sysroot'}${needsSdk ? ' (a darwin target takes a macOS SDK)' : ''}`,
      { option: 'sysroot' },
    );
  }
  const tier = supportedTier(port, libc);
  return {
    id: [goos, goarch, subArch?.idPart, libcIdPart(libc, glibcVersion)].filter(Boolean).join('-'),
    port,
    goos,
    goarch,
    subArch: subArch === undefined ? null : { variable: subArch.variable, value: subArch.value },
    env: goEnv(goos, goarch, subArch),
    libc,
    glibcVersion,
    linkage: targetsData().libcs[libc].linkage,
    zigVersion: zig,
    zigTarget: zigTriple(platform, abi, glibcVersion, zig),
    zigCpu: zigCpu(goos, goarch, subArch, zig),
    needsSdk,
    macosSdk: request.macosSdk ?? null,
    sysroot: request.sysroot === undefined ? null : path.resolve(request.sysroot),
    tier: tier.tier,
    tierReason: tier.reason,
  };
}

/** Ports without cgo, and ports of an OS zig has no libc for (the tier table says why). */
function rejectUnsupported(platform: Platform): void {
  const { goos, goarch, goPort } = platform;
  if (!goPort.cgoSupported) {
    throw new UsageError(
      `${goos}/${goarch} has no cgo in Go (CgoSupported=false); build it with CGO_ENABLED=0, no C toolchain needed`,
    );
  }
  if (libcsOf(goos, goarch).length === 0) {
    throw new UsageError(
      `${goos}/${goarch} is not supported: ${findTier(`${goos}/${goarch}`, undefined).reason}`,
    );
  }
}

function requestedLibc(request: TargetRequest): Libc | undefined {
  if (request.glibcVersion === undefined) return request.libc;
  if (request.libc !== undefined && request.libc !== 'glibc') {
    throw new UsageError(`a glibc version was given with libc ${request.libc}; drop one of them`);
  }
  return 'glibc';
}

/** A port with a libc that the tier table marks unsupported (e.g. after an end-to-end failure) is refused. */
function supportedTier(port: string, libc: Libc): TierEntry {
  const entry = findTier(port, libc);
  if (entry.tier === 'unsupported')
    throw new UsageError(`${port} with ${libc} is not supported: ${entry.reason}`);
  return entry;
}

function libcIdPart(libc: Libc, glibcVersion: string | null): string | undefined {
  if (libc === 'system') return undefined;
  return libc === 'glibc' ? `glibc${glibcVersion}` : libc;
}

function goEnv(goos: string, goarch: string, subArch: SubArch | undefined): Record<string, string> {
  return {
    GOOS: goos,
    GOARCH: goarch,
    ...(subArch === undefined ? {} : { [subArch.variable]: subArch.value }),
    CGO_ENABLED: '1',
  };
}

function zigTriple(platform: Platform, abi: string, glibcVersion: string | null, zig: string): string {
  const { goos, goarch } = targetsData();
  const arch = required(goarch[platform.goarch]!.zigArch, zig, `zig arch of ${platform.goarch}`);
  const os = required(goos[platform.goos]!.zigOs, zig, `zig os of ${platform.goos}`);
  return `${arch}-${os}-${abi}${glibcVersion === null ? '' : `.${glibcVersion}`}`;
}

function zigCpu(goos: string, goarch: string, subArch: SubArch | undefined, zig: string): string | null {
  const data = targetsData();
  const ranged = subArch?.cpu ?? data.goarch[goarch]!.cpu;
  const cpu = ranged === undefined ? null : required(ranged, zig, `-mcpu for ${goarch}`);
  const base = data.goos[goos]!.baseCpu?.[goarch]?.cpu;
  if (base === undefined) return cpu;
  return cpu === null ? base : cpu.replace(/^generic(?=\+|$)/, base);
}

/** Names the table must define for every supported zig version: a gap is a bug in the table. */
function required<T>(ranged: ZigRanged<T>, zig: string, what: string): T {
  const value = forZig(ranged, zig);
  if (value === undefined) throw new Error(`toolchains/targets.json has no ${what} for zig ${zig}`);
  return value;
}
