import { setTimeout as delay } from 'node:timers/promises';

/**
 * Time and chance, passed in rather than read from globals, so that tests can make backoff instant and
 * deterministic instead of sleeping for real (the habit tool-cache's TEST_* hooks stand in for).
 */
export interface Clock {
  /** Wall-clock milliseconds since the epoch: for timestamps stored on disk and HTTP dates. */
  now(): number;
  /** Monotonic milliseconds: for measuring how long something took or has not changed. */
  monotonic(): number;
  /** Resolves after `ms`, or rejects with the signal's reason when it aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  /** A number in [0, 1), for jitter. */
  random(): number;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  monotonic: () => performance.now(),
  // timers/promises rejects with a generic AbortError; callers want the signal's own reason.
  sleep: (ms, signal) =>
    delay(ms, undefined, { signal }).catch((error: unknown) => {
      throw signal?.aborted ? signal.reason : error;
    }),
  random: () => Math.random(),
};
