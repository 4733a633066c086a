import { type Clock, systemClock } from '../../clock.js';
import type { HttpError } from './failures.js';
import { headerValue } from './request.js';

/** When a failed request is tried again, and after how long. */

export interface RetryPolicy {
  /** Attempts after the first one; for downloads also the number of resumptions after a broken body. */
  retries: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** A longer Retry-After is not waited for: the request fails at once so the caller can go elsewhere. */
  retryAfterCapMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = {
  retries: 3,
  baseDelayMs: 500,
  maxDelayMs: 8_000,
  retryAfterCapMs: 30_000,
};

/** Exponential backoff with jitter, or the server's Retry-After when it sent one (undefined: too long). */
export function retryDelay(
  failure: Pick<HttpError, 'retryAfterMs'>,
  done: number,
  retry: RetryPolicy,
  clock: Clock,
): number | undefined {
  if (failure.retryAfterMs !== undefined) {
    return failure.retryAfterMs <= retry.retryAfterCapMs ? failure.retryAfterMs : undefined;
  }
  const ceiling = Math.min(retry.maxDelayMs, retry.baseDelayMs * 2 ** done);
  // "Equal jitter": never less than half the step, so retries cannot bunch up at zero.
  return Math.round(ceiling / 2 + (clock.random() * ceiling) / 2);
}

/** Retry-After is either delta-seconds or an HTTP date (RFC 9110 section 10.2.3). */
export function retryAfterMs(
  value: string | string[] | undefined,
  clock: Clock = systemClock,
): number | undefined {
  const text = headerValue(value)?.trim();
  if (!text) return undefined;
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : Math.max(0, date - clock.now());
}

/**
 * How long to wait before retry number `done + 1` after `failure`, or undefined when retrying is pointless:
 * the failure is not worth another try, the retries are used up, the server's Retry-After is over the cap,
 * or the wait would end after `deadlineAt` (on the clock's monotonic time).
 */
export function backoffDelay(
  failure: Pick<HttpError, 'retryable' | 'retryAfterMs'>,
  done: number,
  policy: RetryPolicy,
  clock: Clock,
  deadlineAt: number,
): number | undefined {
  if (!failure.retryable || done >= policy.retries) return undefined;
  const delayMs = retryDelay(failure, done, policy, clock);
  if (delayMs === undefined || clock.monotonic() + delayMs > deadlineAt) return undefined;
  return delayMs;
}
