import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { crypto } from '../lazy-crypto.js';
import type { Target } from '../resolve/index.js';
import { version as xccVersion } from '../version.js';

/**
 * The light half of the toolchain layer: where a (zig, target) toolchain lives and what a previous
 * provision recorded there. `xcc env` on a warm cache runs only this (no installer, no HTTP client), so a
 * shell that evals it at startup pays little more than Node's own start.
 */
export const MANIFEST = 'toolchain.json';

/**
 * The shape of what a provision writes (wrappers, env files). Bump it whenever their text changes for a
 * reason the cached copies must not outlive, such as a quoting fix: toolchains written by the same xcc
 * version but an older format are then provisioned again instead of being served from the cache.
 * 2: wrapper defaults assigned as single-quoted words (no command substitution through cache paths).
 */
export const TOOLCHAIN_FORMAT = 2;

/**
 * One directory per (zig, target), at a stable path so that shells and CI scripts can source its env files
 * directly. A Zig adopted through XCC_ZIG gets its own namespace: its path is baked into the wrappers.
 */
export function toolchainDir(
  root: string,
  zig: { version: string; source: string; zig: string },
  target: Pick<Target, 'id'>,
): string {
  const namespace =
    zig.source === 'XCC_ZIG'
      ? `${zig.version}-${crypto().createHash('sha256').update(zig.zig).digest('hex').slice(0, 8)}`
      : zig.version;
  return path.join(root, namespace, target.id);
}

/** What a previous provision of this toolchain recorded (its environment and wrapper directory), if this xcc version wrote it. */
export async function cachedToolchain(
  dir: string,
): Promise<{ env: Record<string, string>; bin: string } | undefined> {
  try {
    const manifest = JSON.parse(await readFile(path.join(dir, MANIFEST), 'utf8')) as {
      xcc: string;
      format?: number;
      env: Record<string, string>;
      bin: string;
    };
    // A manifest from another xcc version or format (or an older layout without `bin`) means: provision again.
    if (
      manifest.xcc !== xccVersion() ||
      manifest.format !== TOOLCHAIN_FORMAT ||
      typeof manifest.bin !== 'string'
    ) {
      return undefined;
    }
    return { env: manifest.env, bin: manifest.bin };
  } catch {
    return undefined;
  }
}
