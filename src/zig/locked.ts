/**
 * The bytes a lock file (`xcc.lock.json`) pins for one host: the release archive and, when there is one,
 * the ziglang wheel. Either is what a verified install of that version may have been made from.
 */
export interface LockedDigest {
  file: string;
  size: number;
  sha256: string;
}

export interface LockedArtifacts extends LockedDigest {
  pypi?: LockedDigest;
}

/**
 * Whether an install made from bytes with this sha256 (its marker's) is one the lock pins. The installer
 * refuses a cached install that is not; the warm path (toolchain/cached.ts) provisions again instead.
 */
export function lockPins(locked: LockedArtifacts, sha256: string | undefined): boolean {
  return sha256 === locked.sha256 || sha256 === locked.pypi?.sha256;
}
