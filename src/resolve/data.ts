import { readFileSync } from 'node:fs';
import { packageFile } from '../package-files.js';

/**
 * The shape of `toolchains/targets.json`: every fact about Go ports and zig's names for them.
 * Code in src/resolve/ holds no release tables; it interprets this file.
 */

/** A value that changed between zig releases. `since` is inclusive, `until` exclusive. */
export interface ZigRange<T> {
  value: T;
  since?: string;
  until?: string;
}

/** Either one value for every zig version, or the values per zig-version range. */
export type ZigRanged<T> = T | ZigRange<T>[];

/** One entry of `go tool dist list -json`. */
export interface GoPort {
  goos: string;
  goarch: string;
  cgoSupported: boolean;
  firstClass: boolean;
}

export type Libc = 'musl' | 'glibc' | 'mingw' | 'system';
export type Linkage = 'static' | 'dynamic';
/** Which calling convention for floating point the C side uses (eabi vs eabihf, musleabi vs musleabihf). */
export type AbiFloat = 'soft' | 'hard';

/**
 * What the end-to-end suite showed of a port and libc: `proven` (built and run), `links` (built and held
 * against Go's own link of a program for it; nothing here runs it: darwin), `builds` (built, headers
 * checked), `unsupported`.
 */
export type Tier = 'proven' | 'links' | 'builds' | 'unsupported';

export interface GoosEntry {
  /** zig's name for the OS, the middle of the triple. */
  zigOs: ZigRanged<string>;
  defaultLibc: Libc;
  /** Go's runtime for this OS needs an SDK beyond what zig ships (the tier says why). */
  needsSdk?: boolean;
  /**
   * The CPU every machine of this OS has, by GOARCH: it stands for `generic` in `-mcpu` (GOARM64's
   * `generic+v8_2a` becomes `apple_m1+v8_2a` on darwin), so that C code may use what all of them have.
   */
  baseCpu?: Record<string, { cpu: string; source: string }>;
}

export interface GoarchEntry {
  /** zig's name for the architecture, the first part of the triple. */
  zigArch: ZigRanged<string>;
  /** `-mcpu` for architectures without a Go sub-architecture variable; absent: zig's baseline. */
  cpu?: ZigRanged<string>;
  cpuSource?: string;
}

export interface LibcEntry {
  linkage: Linkage;
  summary: string;
}

/**
 * The zig ABI (third part of the triple) for a GOOS, libc and GOARCH. A port offers a libc when a rule
 * names its GOARCH; `float`, when present, restricts the rule to that calling convention.
 */
export interface AbiRule {
  goos: string;
  libc: Libc;
  goarch: string[];
  float?: AbiFloat;
  abi: ZigRanged<string>;
  source?: string;
}

export interface GlibcData {
  /** Used when `--glibc` comes without a version (raised to the architecture's oldest when that is newer). */
  default: string;
  defaultReason: string;
  /** The oldest glibc xcc accepts on any architecture. */
  oldest: string;
  oldestReason: string;
  /** Architectures where zig itself refuses older glibc. */
  oldestByGoarch: Record<string, string>;
  oldestByGoarchSource: string;
  /** The newest glibc whose symbols a zig release knows. */
  newest: ZigRanged<string>;
}

/** What one value of a sub-architecture variable means for the C side. */
export interface SubArchMapping {
  /** `-mcpu` value. */
  cpu: ZigRanged<string>;
  /** The float calling convention this value selects, for GOARM/GOMIPS/GOMIPS64. */
  abiFloat?: AbiFloat;
  source?: string;
}

/** GOARM values map per float mode (5 defaults to softfloat, 6 and 7 to hardfloat). */
export interface GoarmValue {
  defaultFloat: AbiFloat;
  soft: SubArchMapping;
  hard: SubArchMapping;
}

export type SubArchVariable =
  | 'GOARM'
  | 'GOARM64'
  | 'GOAMD64'
  | 'GO386'
  | 'GOMIPS'
  | 'GOMIPS64'
  | 'GOPPC64'
  | 'GORISCV64';

interface SubArchCommon {
  goarch: string[];
  /** Go's default (internal/buildcfg zbootstrap.go). */
  default: string;
  /** Show the value in the canonical id even when it is the default. */
  alwaysInId?: boolean;
  alwaysInIdReason?: string;
  /** Written before the value in the id (`v7`, like the OCI variant, rather than a bare `7`). */
  idPrefix?: string;
  /** OCI platform variant (`linux/arm/v7`) -> value of the variable. */
  ociVariants?: Record<string, string>;
  /** Values Go used to accept, with what to say instead. */
  removedValues?: Record<string, string>;
}

export interface GoarmData extends SubArchCommon {
  values: Record<string, GoarmValue>;
}

export interface Goarm64Data extends SubArchCommon {
  values: Record<string, SubArchMapping>;
  /** `,lse` / `,crypto` -> features appended to the cpu. */
  extensions: Record<'lse' | 'crypto', string>;
  extensionsSource: string;
}

export interface PlainSubArchData extends SubArchCommon {
  values: Record<string, SubArchMapping>;
}

export interface SubArchTable {
  GOARM: GoarmData;
  GOARM64: Goarm64Data;
  GOAMD64: PlainSubArchData;
  GO386: PlainSubArchData;
  GOMIPS: PlainSubArchData;
  GOMIPS64: PlainSubArchData;
  GOPPC64: PlainSubArchData;
  GORISCV64: PlainSubArchData;
}

/**
 * Support level of a port (with a libc). Kept as one flat list so that the end-to-end suite can
 * rewrite it from its results; `libc` is absent for ports that offer none.
 */
export interface TierEntry {
  port: string;
  libc?: Libc;
  tier: Tier;
  reason: string;
}

export interface TargetsData {
  about: string;
  minZigVersion: { version: string; reason: string };
  goPorts: { generatedBy: string; goVersion: string; ports: GoPort[] };
  /** Other spellings of a GOOS or GOARCH -> the Go name (a GOARCH alias may carry a variant: `arm/v7`). */
  aliases: { about: string; goos: Record<string, string>; goarch: Record<string, string> };
  goos: Record<string, GoosEntry>;
  goarch: Record<string, GoarchEntry>;
  libcs: Record<Libc, LibcEntry>;
  abis: AbiRule[];
  glibc: GlibcData;
  subArch: SubArchTable;
  tiers: TierEntry[];
}

let cached: TargetsData | undefined;

/** The bundled table, read on first use. */
export function targetsData(): TargetsData {
  cached ??= JSON.parse(readFileSync(packageFile('toolchains/targets.json'), 'utf8')) as TargetsData;
  return cached;
}
