import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Target } from '../resolve/index.js';
import { version as xccVersion } from '../version.js';
import type { EnvFormat } from './render.js';

/**
 * The toolchain manifest, `toolchain.json` in a toolchain's directory: what a provision wrote there (the
 * wrappers, the environment, the env files), so that the next `xcc env` for the same Zig and target
 * serves it without provisioning again. provision.ts writes it, cached.ts reads it back; this is the one
 * place that knows its shape.
 */
export const MANIFEST = 'toolchain.json';

/**
 * The shape of what a provision writes (wrappers, env files, this manifest). Bump it whenever their text
 * changes for a reason the cached copies must not outlive, such as a quoting fix: toolchains written by
 * the same xcc version but an older format are then provisioned again instead of being served from the
 * cache.
 * 2: wrapper defaults assigned as single-quoted words (no command substitution through cache paths).
 * 3: the manifest records the env files (a warm toolchain is returned whole).
 * 4: the wrapper directory holds the runner, go_GOOS_GOARCH_exec (tools.exec).
 * 5: the compiler wrappers mark zig's cache after their first link (first-link.ts).
 * 6: Linux wrappers explain a missing system-library header (target-library-headers); sysroots.
 */
export const TOOLCHAIN_FORMAT = 6;

/** What a manifest records, beside the xcc version and format that wrote it. */
export interface ToolchainRecord {
  zig: { version: string; zig: string };
  /** The wrapper directory. */
  bin: string;
  tools: Record<string, string>;
  env: Record<string, string>;
  envFiles: Partial<Record<EnvFormat, string>>;
  /** With a sysroot: its layout's stamp when the toolchain was written (sysroot.ts). */
  sysroot?: string;
}

export function manifestText(record: ToolchainRecord & { target: Target }): string {
  const { zig, target, bin, tools, env, envFiles, sysroot } = record;
  const manifest = {
    xcc: xccVersion(),
    format: TOOLCHAIN_FORMAT,
    zig,
    target,
    bin,
    tools,
    env,
    envFiles,
    ...(sysroot === undefined ? {} : { sysroot }),
  };
  return `${JSON.stringify(manifest, null, 2)}\n`;
}

/**
 * What a previous provision recorded in `dir`, if this xcc version and format wrote it. The cache may
 * hold anything: a manifest that is missing, unreadable, not JSON, of another version or format, or not
 * of the shape written here is no manifest, and the toolchain is provisioned again. (The `target` it
 * records is for people reading it; the reader resolves the target itself.)
 */
export async function readManifest(dir: string): Promise<ToolchainRecord | undefined> {
  let manifest: unknown;
  try {
    manifest = JSON.parse(await readFile(path.join(dir, MANIFEST), 'utf8'));
  } catch {
    return undefined;
  }
  if (!isObject(manifest) || manifest.xcc !== xccVersion() || manifest.format !== TOOLCHAIN_FORMAT) {
    return undefined;
  }
  const { zig, bin, tools, env, envFiles, sysroot } = manifest;
  if (!isObject(zig) || typeof zig.version !== 'string' || typeof zig.zig !== 'string') return undefined;
  if (typeof bin !== 'string' || !isStrings(tools) || !isStrings(env) || !isStrings(envFiles)) {
    return undefined;
  }
  if (sysroot !== undefined && typeof sysroot !== 'string') return undefined;
  return {
    zig: { version: zig.version, zig: zig.zig },
    bin,
    tools,
    env,
    envFiles,
    ...(sysroot === undefined ? {} : { sysroot }),
  };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isStrings(value: unknown): value is Record<string, string> {
  return isObject(value) && Object.values(value).every((entry) => typeof entry === 'string');
}
