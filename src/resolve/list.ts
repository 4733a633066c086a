import { isXccError } from '../errors.js';
import { type Libc, type Tier, targetsData } from './data.js';
import { libcsOf } from './libc.js';
import { resolveTarget } from './resolve.js';
import { findTier } from './tiers.js';
import type { ResolveOptions } from './types.js';
import { parseZigVersion } from './zig-version.js';

/** One way to build a port: a libc with its zig triple (Go's default sub-architecture, default glibc). */
export interface LibcListing {
  /** null for ports that offer no libc (no cgo, or zig has none for the OS). */
  libc: Libc | null;
  /** The libc used when none is asked for. */
  default: boolean;
  /** null when this zig version cannot build it. */
  zigTarget: string | null;
  zigCpu: string | null;
  tier: Tier;
  reason: string;
}

export interface TargetListing {
  /** `GOOS/GOARCH`. */
  port: string;
  goos: string;
  goarch: string;
  firstClass: boolean;
  cgoSupported: boolean;
  /** At least one entry. */
  libcs: LibcListing[];
}

/** Every Go port, in `go tool dist list` order, with what xcc can do for it with a given zig. */
export function listTargets(options: ResolveOptions): TargetListing[] {
  // A bad version must fail the listing, not turn every row into an 'unsupported' one.
  parseZigVersion(options.zigVersion);
  return targetsData().goPorts.ports.map(({ goos, goarch, firstClass, cgoSupported }) => {
    const port = `${goos}/${goarch}`;
    const offered = cgoSupported ? libcsOf(goos, goarch) : [];
    const libcs =
      offered.length === 0
        ? [withoutLibc(port)]
        : offered.map((libc, index) => withLibc(port, libc, index === 0, options));
    return { port, goos, goarch, firstClass, cgoSupported, libcs };
  });
}

function withoutLibc(port: string): LibcListing {
  const { tier, reason } = findTier(port, undefined);
  return { libc: null, default: true, zigTarget: null, zigCpu: null, tier, reason };
}

/** Resolves the port as a user would, so that the listing can never disagree with `resolveTarget`. */
function withLibc(port: string, libc: Libc, isDefault: boolean, options: ResolveOptions): LibcListing {
  try {
    const target = resolveTarget({ target: port, libc }, options);
    return {
      libc,
      default: isDefault,
      zigTarget: target.zigTarget,
      zigCpu: target.zigCpu,
      tier: target.tier,
      reason: target.tierReason,
    };
  } catch (error) {
    if (!isXccError(error)) throw error;
    return {
      libc,
      default: isDefault,
      zigTarget: null,
      zigCpu: null,
      tier: 'unsupported',
      reason: error.message,
    };
  }
}
