import { XccError } from '../../errors.js';
import type { Env } from '../../home.js';
import { zigConfig } from '../distribution.js';
import { currentHostKey, indexHostKey, releaseFileName } from '../host.js';
import type { ZigReleasesTable } from '../releases/pinned.js';
import { findArtifact, findRelease, type ZigIndex } from '../releases/releases.js';
import { isDevVersion } from '../releases/version.js';
import { type MinisignPublicKey, parsePublicKey } from './minisign.js';

/**
 * Which sha256 to trust for a download. The answer depends on where the bytes come from:
 * - `tarball`: the official archive, whoever serves it (community mirror, ziglang.org, a user mirror, a
 *   local file). xcc's pinned table vouches for pinned releases; the official index for the others (newer
 *   releases, master). A private index (XCC_ZIG_INDEX) replaces the official one entirely: its hashes are
 *   the ones checked, and the pinned table, which vouches only for official bits, is not consulted.
 * - `pypi`: the PyPI `ziglang` wheel, checked against the pinned wheel hash.
 * The minisign signature of a tarball is checked in every case; this decides only the sha256.
 */

/**
 * The key tarball signatures must verify with: the Zig Software Foundation's, or XCC_ZIG_PUBKEY's for a
 * private mirror that signs its own builds (the bare key line, or a whole minisign.pub file).
 */
export function trustedPublicKey(env: Env = process.env): MinisignPublicKey {
  return parsePublicKey(env.XCC_ZIG_PUBKEY || zigConfig().publicKey);
}

export type ArtifactSource = 'tarball' | 'pypi';

export interface TrustQuery {
  version: string;
  /** Current host key (`arm-linux`, not the `armv7a-linux` older indexes use). */
  host: string;
  source: ArtifactSource;
}

export interface TrustData {
  pinned: ZigReleasesTable;
  /** The live index when it could be had: the official one, or the private one when `privateIndex`. */
  index: ZigIndex | undefined;
  /** XCC_ZIG_INDEX is set: `index` is the user's, and the only source of hashes for tarballs. */
  privateIndex: boolean;
}

export type Voucher = 'pinned' | 'official-index' | 'private-index' | 'pinned-pypi' | 'lock';

export type ExpectedDigest =
  | {
      kind: 'sha256';
      /** Base name of the file; for tarballs, what the minisign trusted comment must name. */
      file: string;
      sha256: string;
      size: number;
      /** Where the index or table says the file is (PyPI wheels, index entries); sources may add mirrors. */
      url: string | undefined;
      vouchedBy: Voucher;
    }
  /** A dev build the index no longer lists: only its minisign signature (with the file: check) vouches. */
  | { kind: 'signature-only'; file: string; reason: string }
  /** No pinned wheel: only `--source pypi` may take the index's word, over TLS or with XCC_PYPI_ALLOW_HTTP (sources/wheel.ts). */
  | { kind: 'unpinned-wheel'; reason: string };

export function expectedDigest(query: TrustQuery, data: TrustData): ExpectedDigest {
  return query.source === 'pypi' ? expectedWheel(query, data.pinned) : expectedTarball(query, data);
}

function expectedWheel({ version, host }: TrustQuery, pinned: ZigReleasesTable): ExpectedDigest {
  const wheel = pinned.pypi[version]?.[indexHostKey(version, host)];
  if (wheel === undefined) {
    return { kind: 'unpinned-wheel', reason: `xcc pins no PyPI wheel of Zig ${version} for ${host}` };
  }
  const { file, sha256, size, url } = wheel;
  return { kind: 'sha256', file, sha256, size, url, vouchedBy: 'pinned-pypi' };
}

function expectedTarball(
  { version, host }: TrustQuery,
  { pinned, index, privateIndex }: TrustData,
): ExpectedDigest {
  const listed = index && findArtifact(index, version, host);
  const fromIndex = (vouchedBy: Voucher): ExpectedDigest => ({ kind: 'sha256', ...listed!, vouchedBy });
  if (privateIndex) {
    return listed
      ? fromIndex('private-index')
      : unlisted(version, host, hostsIn(index, version), 'the private index (XCC_ZIG_INDEX)');
  }
  const pin = pinned.index[version]?.[indexHostKey(version, host)];
  if (pin === undefined) {
    if (listed) return fromIndex('official-index');
    const hosts = [...Object.keys(pinned.index[version] ?? {}), ...hostsIn(index, version)];
    return unlisted(version, host, hosts, "xcc's pinned table or the official index");
  }
  if (listed && (listed.sha256 !== pin.sha256 || listed.size !== pin.size || listed.file !== pin.file)) {
    throw new XccError(
      `the official index and xcc's pinned table disagree about ${pin.file} (index: sha256 ${listed.sha256}, ${listed.size} bytes; pinned: sha256 ${pin.sha256}, ${pin.size} bytes), so neither is trusted; if ziglang.org re-published Zig ${version}, upgrade xcc`,
    );
  }
  return { kind: 'sha256', ...pin, url: listed?.url, vouchedBy: 'pinned' };
}

/** No hash for (version, host): fine for a dev build (minisign still checks it), an error for a release. */
function unlisted(version: string, host: string, knownHosts: string[], where: string): ExpectedDigest {
  if (isDevVersion(version)) {
    return {
      kind: 'signature-only',
      file: releaseFileName(version, host),
      reason: `Zig ${version} is not in ${where} (dev builds leave it when master moves on): only its minisign signature vouches for it`,
    };
  }
  if (knownHosts.length === 0) {
    throw new XccError(
      `no sha256 is known for Zig ${version}: it is not in ${where}; pick a version they list`,
    );
  }
  const hosts = [...new Set(knownHosts.map((key) => currentHostKey(key)))].join(', ');
  throw new XccError(
    `Zig ${version} has no build for this host (${host}) in ${where}; it has builds for ${hosts}`,
  );
}

function hostsIn(index: ZigIndex | undefined, version: string): string[] {
  return Object.keys((index && findRelease(index, version))?.hosts ?? {});
}
