import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { isErrnoCode } from '../../fs-atomic.js';
import { MARKER_FILE } from '../../home.js';
import type { InstallMarker } from './store.js';

/**
 * The marker of a complete install (`.xcc-install.json`, written last by the store's commit); a damaged
 * one (edited by hand, a disk error) means no install. Light on purpose: the warm path
 * (toolchain/cached.ts) reads it without opening the store.
 */
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

function isMarker(value: unknown): value is InstallMarker {
  if (typeof value !== 'object' || value === null) return false;
  const fields = value as Record<string, unknown>;
  return (
    MARKER_STRINGS.every((name) => typeof fields[name] === 'string') &&
    !Number.isNaN(Date.parse(fields.installedAt as string)) &&
    Number.isSafeInteger(fields.bytes)
  );
}
