import { XccError } from '../../errors.js';
import { redactUrls } from '../../redact.js';
import type { Timeouts } from './settings.js';

/** What a request can fail with, and how a thrown error is told apart: retry, move on, or tell the user. */

/** What `classify` needs to know of a request: its URL and its signals. */
export interface RequestScope {
  url: string;
  /** The caller's own signal: when it aborted, the caller's reason is what is thrown. */
  userSignal: AbortSignal | undefined;
  deadline: AbortSignal;
  deadlineMs: number;
}

/** What kind of failure an HttpError is: the installer picks the next source on any of them. */
export type HttpFailure = 'status' | 'network' | 'timeout' | 'tls' | 'redirect';

/**
 * What the HTTP module reports (errors, retries, progress) names the URL with its credentials hidden
 * (redactUrls): it ends up in messages, progress lines and logs. The URLs callers request with, and the
 * final URL of a response, stay whole: a relative link is resolved against them.
 */
export class HttpError extends XccError {
  override name = 'HttpError';
  /** The URL asked for, credentials hidden. */
  readonly url: string;
  readonly failure: HttpFailure;
  /** What went wrong, without the URL (the message is `cannot fetch <url>: <detail>`). */
  readonly detail: string;
  /** The HTTP status when the server answered; undefined when no usable response arrived. */
  readonly status: number | undefined;
  /** Whether trying the same URL again could help (5xx, 408, 429, a broken connection, a stalled body). */
  readonly retryable: boolean;
  /** The server's Retry-After, in milliseconds, when it sent one. */
  readonly retryAfterMs: number | undefined;

  constructor(fields: {
    url: string;
    failure: HttpFailure;
    detail: string;
    status?: number;
    retryable?: boolean;
    retryAfterMs?: number;
    cause?: unknown;
  }) {
    const url = redactUrls(fields.url);
    // A redirect's detail names where it led, with whatever that URL carries.
    const detail = redactUrls(fields.detail);
    super(`cannot fetch ${url}: ${detail}`, { cause: fields.cause });
    this.url = url;
    this.failure = fields.failure;
    this.detail = detail;
    this.status = fields.status;
    this.retryable = fields.retryable ?? false;
    this.retryAfterMs = fields.retryAfterMs;
  }
}

/** Thrown before any connection is made when the user asked for no network at all. */
export class OfflineError extends XccError {
  override name = 'OfflineError';
  /** The URL asked for, credentials hidden. */
  readonly url: string;
  /** The variable that switched the network off, as `NAME=value`. */
  readonly setting: string;

  constructor(url: string, setting: string) {
    const shown = redactUrls(url);
    super(`cannot fetch ${shown}: the network is switched off (${setting})`);
    this.url = shown;
    this.setting = setting;
  }
}

export function statusError(url: string, status: number, retryAfter: number | undefined): HttpError {
  return new HttpError({
    url,
    failure: 'status',
    status,
    detail: `HTTP ${status}`,
    // Anything below 500 is the client's fault and will not change on a retry, except these two.
    retryable: status >= 500 || status === 408 || status === 429,
    ...(retryAfter === undefined ? {} : { retryAfterMs: retryAfter }),
  });
}

const NETWORK_HINT = 'check the network and the proxy settings (HTTPS_PROXY, NO_PROXY)';
/** A connection that broke mid-way is worth another try; one that was never made mostly is not. */
const TRANSIENT_CODES = new Set(['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET', 'EAI_AGAIN', 'ETIMEDOUT']);
const TLS_TRUST_CODES = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
]);

/**
 * Turns whatever a request threw into an HttpError, except when the caller aborted: then the caller's
 * own reason is thrown, untouched, so `AbortSignal` users see what they expect.
 */
export function classify(call: RequestScope, error: unknown, timeouts: Timeouts): HttpError {
  if (call.userSignal?.aborted) throw call.userSignal.reason;
  if (error instanceof HttpError) return error;
  const fail = (failure: HttpFailure, detail: string, retryable = false) =>
    new HttpError({ url: call.url, failure, detail, retryable, cause: error });
  if (call.deadline.aborted) {
    return fail('timeout', `not complete after ${seconds(call.deadlineMs)} (the overall deadline)`);
  }
  const code = errorCode(error);
  switch (code) {
    case 'UND_ERR_CONNECT_TIMEOUT':
      return fail('timeout', `could not connect within ${seconds(timeouts.connectMs)}; ${NETWORK_HINT}`);
    case 'UND_ERR_HEADERS_TIMEOUT':
      return fail('timeout', `no response within ${seconds(timeouts.idleMs)}`);
    case 'UND_ERR_BODY_TIMEOUT':
      return fail('timeout', `the transfer stalled for ${seconds(timeouts.idleMs)}`, true);
  }
  if (TLS_TRUST_CODES.has(code)) {
    return fail(
      'tls',
      `the server's TLS certificate is not trusted (${code}); if a proxy or firewall re-signs HTTPS ` +
        'traffic, set NODE_EXTRA_CA_CERTS to the file holding its CA certificate',
    );
  }
  if (code.startsWith('ERR_TLS_') || code.startsWith('CERT_')) {
    return fail('tls', `TLS failed (${code})`);
  }
  const message = error instanceof Error ? error.message : String(error);
  // undici reports a proxy's 407 only in its message, for tunnels and for plain forwarding alike.
  if (/\bproxy\b.*\(407\)/i.test(message)) {
    return fail(
      'network',
      'the proxy requires credentials (HTTP 407); put them in the proxy URL, as in ' +
        'HTTPS_PROXY=http://<user>:<password>@proxy:port',
    );
  }
  if (TRANSIENT_CODES.has(code)) return fail('network', `the connection broke (${code}: ${message})`, true);
  return fail('network', `${message}${code && !message.includes(code) ? ` (${code})` : ''}; ${NETWORK_HINT}`);
}

export function errorCode(error: unknown): string {
  const code =
    (error as { code?: unknown } | undefined)?.code ?? (error as { cause?: { code?: unknown } })?.cause?.code;
  return typeof code === 'string' ? code : '';
}

export function seconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(3))}s`;
}
