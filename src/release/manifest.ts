import { XccError } from '../errors.js';
import { isSafeFileName } from './names.js';

/**
 * The release manifest (`manifest.json` beside the artifacts): what each file is, for the tools that
 * publish a release. Written by `xcc build`, merged by `xcc checksums`, read back validated: a merge trusts
 * no field of a file that came back from a CI artifact store.
 */
export const MANIFEST_FILE = 'manifest.json';
export const MANIFEST_VERSION = 1;

export interface ManifestArtifact {
  /** The target's id, as `xcc targets` shows it: `linux-arm-v7-musl`, `linux-amd64-glibc2.28`. */
  target: string;
  /** GOOS/GOARCH. */
  port: string;
  file: string;
  sha256: string;
  size: number;
  /** The Go that built it, from the binary's build information (`go1.26.8`); null if it has none. */
  go: string | null;
  /** The Zig whose toolchain linked it. */
  zig: string;
  /** From the binary's headers (`xcc inspect`). */
  linkage: 'static' | 'static-pie' | 'dynamic';
  /** The target's C library: musl, glibc, mingw, system. */
  libc: string;
  /** The newest glibc symbol version the binary needs: the oldest glibc it runs on; null when none. */
  glibc: string | null;
}

export interface ReleaseManifest {
  version: typeof MANIFEST_VERSION;
  artifacts: ManifestArtifact[];
}

export function formatManifest(artifacts: readonly ManifestArtifact[]): string {
  const sorted = [...artifacts].sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
  const manifest: ReleaseManifest = { version: MANIFEST_VERSION, artifacts: sorted };
  return `${JSON.stringify(manifest, null, 2)}\n`;
}

export function parseManifest(text: string, where: string): ReleaseManifest {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    throw new XccError(
      `${where} is not valid JSON (${(error as Error).message}); regenerate it with xcc build`,
    );
  }
  const bad = (what: string) =>
    new XccError(`${where}: ${what}; regenerate it with xcc build (manifest version ${MANIFEST_VERSION})`);
  if (!isRecord(document) || document.version !== MANIFEST_VERSION || !Array.isArray(document.artifacts)) {
    throw bad(`not an xcc release manifest of version ${MANIFEST_VERSION}`);
  }
  const artifacts = document.artifacts.map((entry: unknown, index: number) => {
    const at = `artifacts[${index}]`;
    if (!isRecord(entry)) throw bad(`${at} is not an object`);
    const text = (key: string, nullable = false): string | null => {
      const value = entry[key];
      if (nullable && value === null) return null;
      if (typeof value !== 'string' || value === '') throw bad(`${at}.${key} is not a string`);
      return value;
    };
    const file = text('file')!;
    if (!isSafeFileName(file)) throw bad(`${at}.file '${file}' is not a plain file name`);
    const sha256 = text('sha256')!;
    if (!/^[0-9a-f]{64}$/.test(sha256)) throw bad(`${at}.sha256 is not a sha256 in hex`);
    const size = entry.size;
    if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0)
      throw bad(`${at}.size is not a size`);
    const linkage = text('linkage')!;
    if (!['static', 'static-pie', 'dynamic'].includes(linkage)) throw bad(`${at}.linkage is '${linkage}'`);
    return {
      target: text('target')!,
      port: text('port')!,
      file,
      sha256,
      size,
      go: text('go', true),
      zig: text('zig')!,
      linkage: linkage as ManifestArtifact['linkage'],
      libc: text('libc')!,
      glibc: text('glibc', true),
    } satisfies ManifestArtifact;
  });
  return { version: MANIFEST_VERSION, artifacts };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
