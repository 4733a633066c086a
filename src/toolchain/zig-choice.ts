import path from 'node:path';
import type { Env } from '../home.js';
import { zigConfig } from '../zig/distribution.js';
import type { LockedArtifacts } from '../zig/locked.js';
import { isReleaseVersion } from '../zig/releases/version.js';
import { type Lockfile, lockedHost, readLockfile } from './lockfile.js';
import { findProjectConfig, LOCK_FILE, type ProjectConfig } from './project-config.js';

/**
 * Which Zig a command uses: the caller's spec (`--zig`) when given; else the project's lock file (its
 * exact version and the bytes it pins for this host); else the project's `zig` spec; else xcc's pinned
 * default (`spec` undefined).
 */
export interface ZigChoice {
  spec: string | undefined;
  locked: LockedArtifacts | undefined;
  config: ProjectConfig | undefined;
  lock: Lockfile | undefined;
  lockFile: string | undefined;
}

export function chooseZig(options: { spec?: string; cwd?: string; host: string; env?: Env }): ZigChoice {
  const config = findProjectConfig(options.cwd);
  const lockFile = config && path.join(config.dir, LOCK_FILE);
  const lock = lockFile === undefined ? undefined : readLockfile(lockFile);
  const project = { config, lock, lockFile };
  if (options.spec !== undefined) return { spec: options.spec, locked: undefined, ...project };
  if (lock !== undefined && lockFile !== undefined && lock.zig.spec === (config?.zig ?? 'default')) {
    const locked = lockedHost(lock, options.host, lockFile);
    return { spec: lock.zig.version, locked, ...project };
  }
  return { spec: config?.zig, locked: undefined, ...project };
}

/**
 * The exact Zig version a choice names without asking the index: its spec when that is a release
 * version, xcc's pinned default when nothing chose one, else undefined (a range such as `0.15`, `latest`
 * or a dev build, which only the installer resolves).
 */
export function exactZigVersion(choice: Pick<ZigChoice, 'spec'>): string | undefined {
  if (choice.spec === undefined) return zigConfig().defaultVersion;
  return isReleaseVersion(choice.spec) ? choice.spec : undefined;
}

/**
 * The Zig version whose target names describe a choice, without installing anything (`xcc targets`,
 * `xcc env --unset`, doctor's checks): the exact version when the choice names one, else xcc's pinned
 * default (only the installer resolves a range, and these run none).
 */
export function namingZigVersion(choice: Pick<ZigChoice, 'spec'>): string {
  return exactZigVersion(choice) ?? zigConfig().defaultVersion;
}
