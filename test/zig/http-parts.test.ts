import { describe, expect, it } from 'vitest';
import type { Clock } from '../../src/clock.js';
import { speedGuard } from '../../src/zig/net/body.js';
import { classify, HttpError, type RequestScope } from '../../src/zig/net/failures.js';
import { contentLength, resumeValidator, withBasicAuth } from '../../src/zig/net/request.js';
import { backoffDelay, DEFAULT_RETRY, type RetryPolicy } from '../../src/zig/net/retry.js';
import { DEFAULT_TIMEOUTS } from '../../src/zig/net/settings.js';

/** The parts createHttpClient is made of, each alone; test/zig/http.test.ts drives them together on loopback. */

/** A clock whose time and chance the test sets. */
function fixedClock(fields: { monotonic?: number; random?: number } = {}): Clock & { at: number } {
  const clock = {
    at: fields.monotonic ?? 0,
    now: () => 0,
    monotonic: () => clock.at,
    random: () => fields.random ?? 0.5,
    sleep: async () => undefined,
  };
  return clock;
}

const policy: RetryPolicy = { retries: 3, baseDelayMs: 500, maxDelayMs: 3_000, retryAfterCapMs: 30_000 };
const retryable = { retryable: true, retryAfterMs: undefined };

describe('backoffDelay', () => {
  it('doubles the step on each retry, up to maxDelayMs, with at least half the step as jitter floor', () => {
    const low = fixedClock({ random: 0 });
    const high = fixedClock({ random: 0.999_999 });
    expect([0, 1, 2].map((done) => backoffDelay(retryable, done, policy, low, Infinity))).toEqual([
      250, 500, 1_000,
    ]);
    expect([0, 1, 2].map((done) => backoffDelay(retryable, done, policy, high, Infinity))).toEqual([
      500, 1_000, 2_000,
    ]);
    expect(backoffDelay(retryable, 2, { ...policy, retries: 9 }, high, Infinity)).toBe(2_000);
    expect(backoffDelay(retryable, 5, { ...policy, retries: 9 }, high, Infinity)).toBe(3_000);
  });

  it('waits as long as Retry-After says, up to the cap, and gives up beyond it', () => {
    const clock = fixedClock();
    expect(backoffDelay({ retryable: true, retryAfterMs: 30_000 }, 0, policy, clock, Infinity)).toBe(30_000);
    expect(
      backoffDelay({ retryable: true, retryAfterMs: 30_001 }, 0, policy, clock, Infinity),
    ).toBeUndefined();
    expect(backoffDelay({ retryable: true, retryAfterMs: 0 }, 0, policy, clock, Infinity)).toBe(0);
  });

  it('gives up on a failure that is not retryable, when the retries are used up, or past the deadline', () => {
    const clock = fixedClock({ monotonic: 1_000, random: 0 });
    expect(
      backoffDelay({ retryable: false, retryAfterMs: undefined }, 0, policy, clock, Infinity),
    ).toBeUndefined();
    expect(backoffDelay(retryable, 3, policy, clock, Infinity)).toBeUndefined();
    expect(backoffDelay(retryable, 0, policy, clock, 1_250)).toBe(250);
    expect(backoffDelay(retryable, 0, policy, clock, 1_249)).toBeUndefined();
    expect(backoffDelay(retryable, 0, { ...DEFAULT_RETRY, retries: 0 }, clock, Infinity)).toBeUndefined();
  });
});

describe('request parts', () => {
  it('turns user:password@ into Basic authentication, decoded, and leaves other URLs alone', () => {
    expect(withBasicAuth('https://u%40x:p%3Aw@mirror.example/zig/', { a: '1' })).toEqual({
      url: 'https://mirror.example/zig/',
      headers: { a: '1', authorization: `Basic ${Buffer.from('u@x:p:w').toString('base64')}` },
    });
    expect(withBasicAuth('https://mirror.example/zig/', { a: '1' })).toEqual({
      url: 'https://mirror.example/zig/',
      headers: { a: '1' },
    });
  });

  it('resumes only against a strong ETag or a Last-Modified date', () => {
    expect(resumeValidator({ etag: '"abc"', 'last-modified': 'Sun, 01 Jun 2025 00:00:00 GMT' })).toBe(
      '"abc"',
    );
    expect(resumeValidator({ etag: 'W/"abc"', 'last-modified': 'Sun, 01 Jun 2025 00:00:00 GMT' })).toBe(
      'Sun, 01 Jun 2025 00:00:00 GMT',
    );
    expect(resumeValidator({ etag: 'W/"abc"' })).toBeUndefined();
  });

  it('reads Content-Length only when it is a plain number', () => {
    expect(contentLength({ 'content-length': '5000' })).toBe(5000);
    expect(contentLength({ 'content-length': '-1' })).toBeUndefined();
    expect(contentLength({ 'content-length': '1e3' })).toBeUndefined();
    expect(contentLength({})).toBeUndefined();
  });
});

describe('speedGuard', () => {
  const timeouts = { ...DEFAULT_TIMEOUTS, idleMs: 1_000, minBytesPerSecond: 100 };

  it('lets a body through that brings enough bytes per idle period', () => {
    const clock = fixedClock();
    const guard = speedGuard('https://mirror.example/zig.tar.xz', timeouts, clock);
    for (let second = 1; second <= 5; second++) {
      clock.at = second * 1_000;
      guard(100);
    }
  });

  it('fails, retryably, a body that trickles under the minimum over a whole idle period', () => {
    const clock = fixedClock();
    const guard = speedGuard('https://mirror.example/zig.tar.xz', timeouts, clock);
    clock.at = 999;
    guard(10); // not a whole period yet
    clock.at = 2_000;
    let thrown: unknown;
    try {
      guard(10);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(HttpError);
    expect(thrown).toMatchObject({
      failure: 'timeout',
      retryable: true,
      detail: 'the transfer is too slow (20 bytes in 2s, under 100 bytes/s)',
    });
  });
});

describe('classify', () => {
  const scope = (fields: Partial<RequestScope> = {}): RequestScope => ({
    url: 'https://user:secret@mirror.example/zig.tar.xz',
    userSignal: undefined,
    deadline: new AbortController().signal,
    deadlineMs: 60_000,
    ...fields,
  });
  const coded = (code: string, message = 'failed') => Object.assign(new Error(message), { code });

  it('throws the caller’s own reason when the caller aborted', () => {
    const controller = new AbortController();
    controller.abort(new Error('stop'));
    expect(() =>
      classify(scope({ userSignal: controller.signal }), coded('ECONNRESET'), DEFAULT_TIMEOUTS),
    ).toThrow('stop');
  });

  it('calls a passed deadline a timeout, whatever the error was', () => {
    expect(
      classify(scope({ deadline: AbortSignal.abort() }), coded('ECONNRESET'), DEFAULT_TIMEOUTS),
    ).toMatchObject({
      failure: 'timeout',
      retryable: false,
      detail: 'not complete after 60s (the overall deadline)',
    });
  });

  it.each<[string, string, boolean, RegExp]>([
    ['ECONNRESET', 'network', true, /^the connection broke \(ECONNRESET: failed\)$/],
    ['ECONNREFUSED', 'network', false, /check the network and the proxy settings/],
    ['UND_ERR_BODY_TIMEOUT', 'timeout', true, /^the transfer stalled for 30s$/],
    ['UND_ERR_CONNECT_TIMEOUT', 'timeout', false, /^could not connect within 10s/],
    ['SELF_SIGNED_CERT_IN_CHAIN', 'tls', false, /NODE_EXTRA_CA_CERTS/],
    ['ERR_TLS_CERT_ALTNAME_INVALID', 'tls', false, /^TLS failed \(ERR_TLS_CERT_ALTNAME_INVALID\)$/],
  ])('%s is a %s failure (retryable: %s)', (code, failure, retry, detail) => {
    const error = classify(scope(), coded(code), DEFAULT_TIMEOUTS);
    expect(error).toMatchObject({ failure, retryable: retry, url: 'https://****@mirror.example/zig.tar.xz' });
    expect(error.detail).toMatch(detail);
  });

  it('tells a proxy that wants credentials from other failures, by its message', () => {
    const error = classify(
      scope(),
      new Error('Proxy response (407) !== 200 when HTTP Tunneling'),
      DEFAULT_TIMEOUTS,
    );
    expect(error.detail).toMatch(/^the proxy requires credentials \(HTTP 407\)/);
  });
});
