import { createHash } from 'node:crypto';
import { readFileSync, readlinkSync } from 'node:fs';
import os from 'node:os';
import { isErrnoCode } from '../../fs-atomic.js';

/**
 * Which machine a process runs on, and whether a process of this machine is still alive: what lets a lock
 * or a temp dir of a dead process be recognised at once.
 */

/** Which machine (and PID namespace) a process runs on: only there does a PID mean anything. */
export interface Host {
  name: string;
  /** Short digest of hostname, boot id and PID namespace; used in lock files and temp dir names. */
  tag: string;
}

let thisHost: Host | undefined;

export function currentHost(): Host {
  thisHost ??= hostOf(os.hostname(), linuxIdentity());
  return thisHost;
}

function hostOf(name: string, identity: string): Host {
  return { name, tag: createHash('sha256').update(`${name}\n${identity}`).digest('hex').slice(0, 10) };
}

/** Boot id and PID namespace: two containers or two boots with the same hostname differ here. */
function linuxIdentity(): string {
  const attempt = (read: () => string) => {
    try {
      return read().trim();
    } catch {
      return '';
    }
  };
  return [
    attempt(() => readFileSync('/proc/sys/kernel/random/boot_id', 'utf8')),
    attempt(() => readlinkSync('/proc/self/ns/pid')),
  ].join('\n');
}

/** `kill(pid, 0)` delivers nothing; it only asks whether the process exists (EPERM: yes, not ours). */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return !isErrnoCode(error, 'ESRCH');
  }
}
