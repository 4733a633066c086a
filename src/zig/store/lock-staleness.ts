import type { LockOwner, LockState } from './lock-dir.js';
import { isProcessAlive } from './machine.js';

/**
 * When a waiter may take a lock from its holder (process-lock.ts says why these two rules suffice): the
 * holder is a process of this machine whose PID is gone, or its heartbeat has stood still for `staleMs`
 * of the waiter's own monotonic clock. Decisions only; the caller reads the lock and acts.
 */

/** Certain death: a process of this machine (same host tag), not the asking one, whose PID is gone. */
export function isGone(
  owner: LockOwner | undefined,
  self: { hostTag: string; pid: number },
  isAlive: (pid: number) => boolean = isProcessAlive,
): boolean {
  return (
    owner !== undefined && owner.hostTag === self.hostTag && owner.pid !== self.pid && !isAlive(owner.pid)
  );
}

/** The holder's last sign of life as a waiter saw it: its stamp, and since when (waiter's monotonic ms). */
export interface HeartbeatWatch {
  stamp: string;
  since: number;
}

/**
 * One look at a held lock: the watch moved on when the stamp changed (a heartbeat, a new holder), and
 * whether the holder counts as dead. Only the stamp's own changes are compared, never its time with the
 * waiter's clock, so clock skew between machines sharing the cache cannot make a live holder look dead.
 */
export function judgeHolder(
  state: Pick<LockState, 'stamp'>,
  watch: HeartbeatWatch | undefined,
  now: number,
  staleMs: number,
  gone: boolean,
): { watch: HeartbeatWatch; dead: boolean } {
  const current = watch?.stamp === state.stamp ? watch : { stamp: state.stamp, since: now };
  return { watch: current, dead: gone || now - current.since >= staleMs };
}
