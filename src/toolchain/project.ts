import path from 'node:path';
import type { Env } from '../home.js';
import type { LockedArtifacts } from '../zig/install.js';
import { type Lockfile, lockedHost, readLockfile } from './lockfile.js';
import { findProjectConfig, LOCK_FILE, type ProjectConfig } from './project-config.js';

/**
 * Which Zig a command uses: `--zig` when given; else the project's lock file (its exact version and
 * the bytes it pins for this host); else the project's `zig` spec; else xcc's pinned default.
 */
export interface ZigChoice {
  spec: string | undefined;
  locked: LockedArtifacts | undefined;
  config: ProjectConfig | undefined;
  lock: Lockfile | undefined;
  lockFile: string | undefined;
}

export function chooseZig(options: { flag?: string; cwd?: string; host: string; env?: Env }): ZigChoice {
  const config = findProjectConfig(options.cwd);
  const lockFile = config && path.join(config.dir, LOCK_FILE);
  const lock = lockFile === undefined ? undefined : readLockfile(lockFile);
  if (options.flag !== undefined) return { spec: options.flag, locked: undefined, config, lock, lockFile };
  if (lock !== undefined && lockFile !== undefined && lock.zig.spec === (config?.zig ?? 'default')) {
    return {
      spec: lock.zig.version,
      locked: lockedHost(lock, options.host, lockFile),
      config,
      lock,
      lockFile,
    };
  }
  return { spec: config?.zig, locked: undefined, config, lock, lockFile };
}
