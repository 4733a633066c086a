import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { isErrnoCode } from '../../fs-atomic.js';
import { MARKER_FILE } from '../../home.js';
import { redactUrls } from '../../redact.js';
import type { FilesSummary } from '../verify/install-manifest.js';

/** Written inside an install before it becomes visible: an install dir without it is not one (home.ts). */
export { MARKER_FILE };

/** Where an install's bytes came from; the installer fills it in. */
export interface InstallSource {
  /** Zig's name for the host the install runs on, e.g. `x86_64-linux`. */
  host: string;
  /** The source's name: a mirror, `ziglang.org`, `pypi`, `file`... */
  source: string;
  url: string;
  sha256: string;
  /** What the files were when verified (install-manifest.ts); absent in installs of older xcc versions. */
  files?: FilesSummary;
  /** The install's disk usage, when its builder knows it (recordedDiskUsage); else the commit measures it. */
  bytes?: number;
}

export interface InstallMarker extends InstallSource {
  version: string;
  installedAt: string;
  /** Disk usage of the install, measured once before it was committed. */
  bytes: number;
}

/** The marker of an install of `version` built from `source`, as the store commits it. */
export function newMarker(
  version: string,
  source: InstallSource,
  installedAt: Date,
  bytes: number,
): InstallMarker {
  return {
    version,
    ...source,
    // Stays on disk and is shown by `xcc ls`: a private mirror's credentials must not.
    url: redactUrls(source.url),
    installedAt: installedAt.toISOString(),
    bytes,
  };
}

/** The marker of a complete install; a damaged one (edited by hand, a disk error) means no install. */
export async function readMarker(dir: string): Promise<InstallMarker | undefined> {
  let marker: unknown;
  try {
    marker = JSON.parse(await readFile(path.join(dir, MARKER_FILE), 'utf8'));
  } catch (error) {
    if (error instanceof SyntaxError || isErrnoCode(error, 'ENOENT', 'ENOTDIR')) return undefined;
    throw error;
  }
  return isMarker(marker) ? marker : undefined;
}

const MARKER_STRINGS = ['version', 'host', 'source', 'url', 'sha256', 'installedAt'] as const;

export function isMarker(value: unknown): value is InstallMarker {
  if (typeof value !== 'object' || value === null) return false;
  const fields = value as Record<string, unknown>;
  return (
    MARKER_STRINGS.every((name) => typeof fields[name] === 'string') &&
    !Number.isNaN(Date.parse(fields.installedAt as string)) &&
    Number.isSafeInteger(fields.bytes)
  );
}
