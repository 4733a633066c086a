import { UsageError } from '../../errors.js';
import type { Env } from '../../home.js';
import { version } from '../../version.js';

/** The HTTP client's knobs that come from the environment: timeouts, the offline switch, the User-Agent. */

export interface Timeouts {
  /** TCP (and TLS) handshake, with the proxy when one is used. */
  connectMs: number;
  /** Longest silence allowed: waiting for the response headers, and between two chunks of a body. */
  idleMs: number;
  /** The whole request: redirects, retries, backoff and the body included. */
  deadlineMs: number;
  /**
   * A body slower than this, averaged over an idle period, counts as stalled: a server that trickles a byte
   * a second never trips the idle timeout and would otherwise hold the install until the deadline (curl's
   * --speed-limit/--speed-time, with the idle period as the time).
   */
  minBytesPerSecond: number;
}

export const DEFAULT_TIMEOUTS: Timeouts = {
  connectMs: 10_000,
  idleMs: 30_000,
  deadlineMs: 15 * 60_000,
  minBytesPerSecond: 1024,
};

/**
 * XCC_HTTP_TIMEOUT=<seconds>: the connect and idle timeouts together, the one knob a user on a slow or
 * flaky network reaches for (as pip's --timeout). Undefined when not set.
 */
export function timeoutSetting(env: Env = process.env): Partial<Timeouts> | undefined {
  const text = env.XCC_HTTP_TIMEOUT?.trim();
  if (!text) return undefined;
  const seconds = Number(text);
  if (!/^\d+(\.\d+)?$/.test(text) || !(seconds > 0) || seconds > 3600) {
    throw new UsageError(
      `XCC_HTTP_TIMEOUT=${env.XCC_HTTP_TIMEOUT}: expected the longest wait for the network in seconds, a number above 0 and up to 3600, like 30`,
    );
  }
  const ms = Math.round(seconds * 1000);
  return { connectMs: ms, idleMs: ms };
}

/** `XCC_OFFLINE=1`, or `npm install --offline` (npm exports `npm_config_offline=true` to scripts). */
export function offlineSetting(env: Env = process.env): string | undefined {
  for (const name of ['XCC_OFFLINE', 'npm_config_offline']) {
    const value = env[name];
    if (value !== undefined && !['', '0', 'false', 'no', 'off'].includes(value.toLowerCase())) {
      return `${name}=${value}`;
    }
  }
  return undefined;
}

export function userAgent(): string {
  return `xcc/${version()} (node ${process.version}; ${process.platform}-${process.arch})`;
}
