import { readFileSync } from 'node:fs';
import { UsageError, XccError } from '../errors.js';
import { isPlainFileName } from '../zig/sources/names.js';

/**
 * `xcc.lock.json`: the exact Zig a project builds with and, for every host platform, the bytes that Zig
 * is (file, size, sha256 of the official archive and of the PyPI wheel). Committed next to the config, it
 * makes CI on Linux, macOS and Windows install the same pinned bits; `xcc install --frozen` refuses to
 * run when the lock and the config disagree or when a download does not match it.
 */
export const LOCKFILE_VERSION = 1;

export interface LockedFile {
  file: string;
  size: number;
  sha256: string;
}

export interface LockedHost extends LockedFile {
  /** The PyPI `ziglang` wheel of the same build, when one exists. */
  pypi?: LockedFile;
}

export interface Lockfile {
  lockfileVersion: typeof LOCKFILE_VERSION;
  zig: {
    /** The config's spec when the lock was made (`default` for none): a changed spec means a stale lock. */
    spec: string;
    version: string;
    /** Zig host key (`x86_64-linux`, `aarch64-macos`, `x86_64-windows`...) -> what to download there. */
    hosts: Record<string, LockedHost>;
  };
  /** The resolved target ids the project builds, in config order. */
  targets: string[];
}

/** Stable, reviewable JSON: keys in a fixed order, hosts sorted, one trailing newline. */
export function renderLockfile(lock: Lockfile): string {
  const hosts = Object.fromEntries(
    Object.keys(lock.zig.hosts)
      .sort()
      .map((host) => [host, lock.zig.hosts[host]]),
  );
  return `${JSON.stringify({ ...lock, zig: { ...lock.zig, hosts } }, null, 2)}\n`;
}

export function readLockfile(file: string): Lockfile | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    throw new UsageError(
      `${file} is not valid JSON (${(error as Error).message}); run 'xcc lock' to write it again`,
    );
  }
  return parseLockfile(document, file);
}

export function parseLockfile(document: unknown, file: string): Lockfile {
  const fail = (what: string) => new UsageError(`${file}: ${what}; run 'xcc lock' to write it again`);
  const root = object(document, 'the lock', fail);
  if (root.lockfileVersion !== LOCKFILE_VERSION) {
    throw fail(`lockfileVersion ${JSON.stringify(root.lockfileVersion)} is not ${LOCKFILE_VERSION}`);
  }
  const zig = object(root.zig, 'zig', fail);
  const hosts = object(zig.hosts, 'zig.hosts', fail);
  const targets = root.targets;
  if (!Array.isArray(targets) || !targets.every((id) => typeof id === 'string'))
    throw fail('targets must be a list of target ids');
  return {
    lockfileVersion: LOCKFILE_VERSION,
    zig: {
      spec: string(zig.spec, 'zig.spec', fail),
      version: string(zig.version, 'zig.version', fail),
      hosts: Object.fromEntries(
        Object.entries(hosts).map(([host, value]) => {
          const entry = object(value, `zig.hosts.${host}`, fail);
          const locked: LockedHost = lockedFile(entry, `zig.hosts.${host}`, fail);
          if (entry.pypi !== undefined)
            locked.pypi = lockedFile(
              object(entry.pypi, `zig.hosts.${host}.pypi`, fail),
              `zig.hosts.${host}.pypi`,
              fail,
            );
          return [host, locked];
        }),
      ),
    },
    targets: targets as string[],
  };
}

/** Why a lock does not fit the config (for --frozen), or undefined when it does. */
export function lockMismatch(
  lock: Lockfile,
  expected: { spec: string; targets: readonly string[] },
): string | undefined {
  if (lock.zig.spec !== expected.spec) {
    return `the lock was made for Zig "${lock.zig.spec}" but the config asks for "${expected.spec}"`;
  }
  if (lock.targets.join('\n') !== expected.targets.join('\n')) {
    return `the lock lists targets ${lock.targets.join(', ') || '(none)'} but the config resolves to ${expected.targets.join(', ') || '(none)'}`;
  }
  return undefined;
}

/** The locked bytes for this host, or an error saying the lock has no entry for it. */
export function lockedHost(lock: Lockfile, host: string, file: string): LockedHost {
  const entry = lock.zig.hosts[host];
  if (entry === undefined) {
    throw new XccError(
      `${file} pins Zig ${lock.zig.version} for ${Object.keys(lock.zig.hosts).join(', ')}, not for this host (${host}); run 'xcc lock' where that host is known`,
    );
  }
  return entry;
}

type Fail = (what: string) => Error;

function lockedFile(value: Record<string, unknown>, at: string, fail: Fail): LockedFile {
  const sha256 = string(value.sha256, `${at}.sha256`, fail);
  if (!/^[0-9a-f]{64}$/.test(sha256)) throw fail(`${at}.sha256 is not a sha256`);
  const size = value.size;
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size <= 0)
    throw fail(`${at}.size is not a size in bytes`);
  const file = string(value.file, `${at}.file`, fail);
  // The name becomes a path in the install's scratch directory and in mirror URLs: a plain file name only.
  if (!isPlainFileName(file)) throw fail(`${at}.file is not a plain file name`);
  return { file, size, sha256 };
}

function object(value: unknown, at: string, fail: Fail): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw fail(`${at} is not an object`);
  return value as Record<string, unknown>;
}

function string(value: unknown, at: string, fail: Fail): string {
  if (typeof value !== 'string' || value === '') throw fail(`${at} is not a string`);
  return value;
}
