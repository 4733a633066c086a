import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { crypto } from '../lazy-crypto.js';
import type { Target } from '../target/index.js';
import { version as xccVersion } from '../version.js';

/**
 * The light half of the toolchain layer: where a (zig, target) toolchain lives and what a previous
 * provision recorded there. `xcc env` on a warm cache runs only this (no installer, no HTTP client), so a
 * shell that evals it at startup pays little more than Node's own start.
 */
export const MANIFEST = 'toolchain.json';

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
      env: Record<string, string>;
      bin: string;
    };
    // A manifest from another xcc version (or an older layout without `bin`) means: provision again.
    if (manifest.xcc !== xccVersion() || typeof manifest.bin !== 'string') return undefined;
    return { env: manifest.env, bin: manifest.bin };
  } catch {
    return undefined;
  }
}
