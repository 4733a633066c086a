import type { Libc, Linkage, SubArchVariable, Tier } from './data.js';
import type { SubArchRequest } from './sub-arch.js';

/** What a user asks for: a Go target and, optionally, a libc and sub-architecture settings. */
export interface TargetRequest extends SubArchRequest {
  /** `GOOS/GOARCH`, or with an OCI platform variant: `linux/arm/v7`, `linux/amd64/v3`, `linux/arm64/v8`. */
  target: string;
  /** Default: musl on Linux, mingw on Windows, the system libc elsewhere. */
  libc?: Libc;
  /** `MAJOR.MINOR`; implies `libc: 'glibc'`. Default: `glibc.default` in toolchains/targets.json. */
  glibcVersion?: string;
  /**
   * A macOS SDK (the CLI takes it from `--macos-sdk`, `SDKROOT`, or on a Mac `xcrun --show-sdk-path`); only
   * for darwin targets, which without one link libc and stubs of Go's own imports (no frameworks).
   */
  macosSdk?: string;
  /**
   * The root of a tree of the target system's own files (Linux targets only): its headers and libraries
   * are searched after zig's libc, and pkg-config looks there. A relative path is taken from the current
   * directory.
   */
  sysroot?: string;
}

export interface ResolveOptions {
  /** The zig release whose target names to use, as `zig version` prints it. */
  zigVersion: string;
}

/** Everything the toolchain layer needs to build cgo code for one Go target with one zig. */
export interface Target {
  /** Stable and usable as a directory name: `linux-arm64-musl`, `linux-arm-v7-glibc2.31`. */
  id: string;
  /** `GOOS/GOARCH`. */
  port: string;
  goos: string;
  goarch: string;
  /** The Go sub-architecture variable and its normalised value (always set, even to Go's default). */
  subArch: { variable: SubArchVariable; value: string } | null;
  /** `GOOS`, `GOARCH`, the sub-architecture variable if any, `CGO_ENABLED=1`. */
  env: Readonly<Record<string, string>>;
  libc: Libc;
  /** `MAJOR.MINOR` when `libc` is glibc, else null. */
  glibcVersion: string | null;
  linkage: Linkage;
  /** The zig release `zigTarget` and `zigCpu` are spelled for. */
  zigVersion: string;
  /** zig's `-target`: `arm-linux-gnueabihf.2.31`. */
  zigTarget: string;
  /** zig's `-mcpu`, or null for zig's baseline CPU of the triple. */
  zigCpu: string | null;
  /** macOS: Go's runtime needs frameworks from the macOS SDK. */
  needsSdk: boolean;
  macosSdk: string | null;
  /** The target system's files (absolute), or null: see TargetRequest.sysroot. */
  sysroot: string | null;
  tier: Tier;
  tierReason: string;
}
