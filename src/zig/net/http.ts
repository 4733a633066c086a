import { readFileSync } from 'node:fs';
import { finished } from 'node:stream/promises';
import tls from 'node:tls';
import { type Dispatcher, EnvHttpProxyAgent, request } from 'undici';
import { type Clock, systemClock } from '../../clock.js';
import { UsageError, XccError } from '../../errors.js';
import type { Env } from '../../home.js';
import { redactUrls } from '../../redact.js';
import { version } from '../../version.js';

/**
 * The one module that talks to the network. Everything else asks it for bytes, so proxies, timeouts,
 * retries and the offline switch behave the same for index.json, mirror lists, tarballs and signatures.
 */

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

export const MAX_REDIRECTS = 5;

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

export interface ProxySettings {
  httpProxy: string | undefined;
  httpsProxy: string | undefined;
  noProxy: string | undefined;
}

/**
 * Proxy settings from the environment, read from `env` (never from `process.env` behind the caller's back).
 * npm's own settings come first, as npm itself prefers them over the variables, so a postinstall script
 * goes through the proxy that installed the package; then the usual variables, lower case first like
 * curl and undici. HTTPS falls back to the HTTP proxy, as in undici's EnvHttpProxyAgent.
 */
export function proxySettings(env: Env = process.env): ProxySettings {
  const first = (...names: string[]) => {
    const name = names.find((candidate) => ![undefined, '', 'null'].includes(env[candidate]));
    return name === undefined ? undefined : { name, value: env[name]! };
  };
  const httpProxy = first('npm_config_proxy', 'http_proxy', 'HTTP_PROXY');
  const httpsProxy = first('npm_config_https_proxy', 'https_proxy', 'HTTPS_PROXY') ?? httpProxy;
  return {
    httpProxy: httpProxy && proxyUrl(httpProxy.name, httpProxy.value),
    httpsProxy: httpsProxy && proxyUrl(httpsProxy.name, httpsProxy.value),
    noProxy: first('npm_config_noproxy', 'no_proxy', 'NO_PROXY')?.value,
  };
}

const PROXY_PROTOCOLS = ['http:', 'https:', 'socks5:', 'socks:'];

/**
 * A proxy setting as undici wants it. `proxy.corp:3128` without a scheme means http://, as curl, pip and
 * npm read it (undici alone refuses it); anything that is still not a proxy URL is the user's to fix.
 */
function proxyUrl(name: string, value: string): string {
  const url = value.includes('://') ? value : `http://${value}`;
  if (!URL.canParse(url) || !PROXY_PROTOCOLS.includes(new URL(url).protocol)) {
    throw new UsageError(
      `${name}=${value} is not a proxy URL; write it like http://proxy.example:3128 (or unset it)`,
    );
  }
  return url;
}

export function userAgent(): string {
  return `xcc/${version()} (node ${process.version}; ${process.platform}-${process.arch})`;
}

export interface RetryEvent {
  /** Credentials hidden. */
  url: string;
  /** 1 for the first retry. */
  attempt: number;
  delayMs: number;
  error: HttpError;
}

export interface Progress {
  /** Credentials hidden. */
  url: string;
  /** The caller's label for where the bytes come from (a mirror's name), echoed back. */
  source: string | undefined;
  bytes: number;
  total: number | undefined;
}

export interface HttpClientOptions {
  env?: Env;
  clock?: Clock;
  timeouts?: Partial<Timeouts>;
  retry?: Partial<RetryPolicy>;
  userAgent?: string;
  /** Told before each backoff sleep, so the CLI can say "retrying in 2s (HTTP 503)". */
  onRetry?: (event: RetryEvent) => void;
}

export interface RequestOptions {
  signal?: AbortSignal;
  headers?: Record<string, string>;
  /** Overrides the client's overall deadline for this request. */
  deadlineMs?: number;
}

export interface DownloadOptions extends RequestOptions {
  source?: string;
  onProgress?: (progress: Progress) => void;
}

export interface Download {
  /** The URL the bytes finally came from, after redirects. */
  url: string;
  /** Content-Length, when the server sent it. */
  size: number | undefined;
  /**
   * Reads the body to its end, handing each chunk to `onChunk` as it arrives; a broken connection is
   * resumed with a Range request when the server allows it. `onChunk` must be done with the chunk when it
   * returns (hash it, write it with writeSync): it is never waited for, and a slow one holds up the reading
   * of the socket instead (see NEVER_FULL). What it throws ends the download and is thrown as it is.
   * Call `read` or `cancel` at once, and once: until then, undici keeps what arrives in memory.
   */
  read(onChunk: (chunk: Buffer) => void): Promise<void>;
  /** Lets go of a body that will not be read: closes its connection. */
  cancel(): void;
}

export interface TextRequestOptions extends RequestOptions {
  /** Validators of a cached copy: a 304 answer means the copy is still current. */
  etag?: string;
  lastModified?: string;
  maxBytes?: number;
}

export type TextResponse =
  | { status: 200; url: string; body: string; etag: string | undefined; lastModified: string | undefined }
  | { status: 304; url: string };

export interface HttpClient {
  download(url: string, options?: DownloadOptions): Promise<Download>;
  getText(url: string, options?: TextRequestOptions): Promise<TextResponse>;
  /** Closes idle connections; requests after this fail. */
  close(): Promise<void>;
}

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
const DEFAULT_MAX_TEXT_BYTES = 32 * 1024 * 1024;

/**
 * The high-water mark of every response body: never reached, so a body never pushes back on undici.
 * undici 7 pauses its HTTP/1 parser when a body's buffer is full, and if the server closes the connection
 * while it is paused (a server that closes after each response, as HTTP/1.0 ones and many small mirrors
 * do, and whose whole response arrived while the reader was behind), it throws an AssertionError from the
 * socket's 'end' handler that nothing can catch: the process dies (nodejs/undici#5360; fixed in undici 8,
 * which needs Node 22.19). So bodies are read by `flow`, whose consumer is synchronous: a slow consumer
 * holds up the event loop, and with it the reading of the socket, so the TCP window is the backpressure
 * and memory holds about one chunk.
 */
const NEVER_FULL = Number.MAX_SAFE_INTEGER;

/** One request in flight: the merged signals and when it must be over. */
interface Call {
  url: string;
  signal: AbortSignal;
  userSignal: AbortSignal | undefined;
  deadline: AbortSignal;
  deadlineMs: number;
  deadlineAt: number;
  headers: Record<string, string>;
}

interface Opened {
  url: string;
  response: Dispatcher.ResponseData;
}

export function createHttpClient(options: HttpClientOptions = {}): HttpClient {
  const env = options.env ?? process.env;
  const clock = options.clock ?? systemClock;
  const timeouts = { ...DEFAULT_TIMEOUTS, ...timeoutSetting(env), ...options.timeouts };
  const retry = { ...DEFAULT_RETRY, ...options.retry };
  const agent = options.userAgent ?? userAgent();
  let dispatcher: Dispatcher | undefined;

  function begin(url: string, requestOptions: RequestOptions): Call {
    const setting = offlineSetting(env);
    if (setting !== undefined) throw new OfflineError(url, setting);
    // Created on first use, so that an offline run never even builds a connection pool.
    dispatcher ??= createDispatcher(env, timeouts.connectMs);
    const deadlineMs = requestOptions.deadlineMs ?? timeouts.deadlineMs;
    const deadline = AbortSignal.timeout(deadlineMs);
    const userSignal = requestOptions.signal;
    return {
      url,
      signal: userSignal ? AbortSignal.any([userSignal, deadline]) : deadline,
      userSignal,
      deadline,
      deadlineMs,
      deadlineAt: clock.monotonic() + deadlineMs,
      headers: { 'user-agent': agent, ...requestOptions.headers },
    };
  }

  /** One GET, following redirects; the caller owns the response body. */
  async function send(call: Call, url: string, headers: Record<string, string>): Promise<Opened> {
    const visited = new Set([url]);
    let current = url;
    for (let hops = 0; ; hops++) {
      const authenticated = withBasicAuth(current, headers);
      const response = await request(authenticated.url, {
        dispatcher,
        method: 'GET',
        headers: authenticated.headers,
        signal: call.signal,
        headersTimeout: timeouts.idleMs,
        bodyTimeout: timeouts.idleMs,
        highWaterMark: NEVER_FULL,
      });
      const location = response.headers.location;
      if (!REDIRECT_STATUSES.has(response.statusCode) || typeof location !== 'string') {
        return { url: current, response };
      }
      await response.body.dump();
      const next = new URL(location, current);
      const fail = (detail: string) => new HttpError({ url: call.url, failure: 'redirect', detail });
      if (next.protocol !== 'https:' && next.protocol !== 'http:') {
        throw fail(`redirected to unsupported URL ${next.href}`);
      }
      if (visited.has(next.href)) throw fail(`redirect loop (${current} -> ${next.href})`);
      if (hops === MAX_REDIRECTS) throw fail(`more than ${MAX_REDIRECTS} redirects`);
      visited.add(next.href);
      current = next.href;
    }
  }

  /** `send`, then turn an unexpected status into an HttpError after draining the body. */
  async function open(
    call: Call,
    url: string,
    headers: Record<string, string>,
    ok: (status: number) => boolean,
  ) {
    const opened = await send(call, url, headers);
    const { statusCode, headers: responseHeaders, body } = opened.response;
    if (ok(statusCode)) return opened;
    await body.dump().catch(() => undefined);
    throw statusError(call.url, statusCode, retryAfterMs(responseHeaders['retry-after'], clock));
  }

  /** Runs `attempt` until it succeeds, fails for good, or the retries or the deadline run out. */
  async function withRetries<T>(call: Call, attempt: () => Promise<T>): Promise<T> {
    for (let retries = 0; ; retries++) {
      try {
        return await attempt();
      } catch (error) {
        await backoff(call, classify(call, error, timeouts), retries);
      }
    }
  }

  /** Sleeps before retry number `done + 1`, or throws `failure` when retrying is pointless. */
  async function backoff(call: Call, failure: HttpError, done: number): Promise<void> {
    if (!failure.retryable || done >= retry.retries) throw failure;
    const delayMs = retryDelay(failure, done, retry, clock);
    if (delayMs === undefined || clock.monotonic() + delayMs > call.deadlineAt) throw failure;
    options.onRetry?.({ url: failure.url, attempt: done + 1, delayMs, error: failure });
    await clock.sleep(delayMs, call.signal).catch((error: unknown) => {
      throw classify(call, error, timeouts);
    });
  }

  /** Reads a download's body to its end, resuming it from where it broke (see `Download.read`). */
  async function readResuming(
    call: Call,
    first: Opened,
    download: DownloadOptions,
    onChunk: (chunk: Buffer) => void,
  ): Promise<void> {
    const total = contentLength(first.response.headers);
    const validator = resumeValidator(first.response.headers);
    let current: Opened | undefined = first;
    let broken: HttpError | undefined;
    let bytes = 0;
    /** What the caller's `onChunk` threw: its own failure (a full disk), not the network's. */
    let consumerFailed: { error: unknown } | undefined;
    const shown = redactUrls(call.url);
    const report = () => download.onProgress?.({ url: shown, source: download.source, bytes, total });
    report();
    for (let resumes = 0; ; ) {
      try {
        current ??= await openRange(call, first.url, bytes, validator, broken);
        const speed = speedGuard(call.url, timeouts, clock);
        await flow(current.response.body, (chunk) => {
          try {
            onChunk(chunk);
          } catch (error) {
            consumerFailed = { error };
            throw error;
          }
          bytes += chunk.length;
          report();
          speed(chunk.length);
        });
        return;
      } catch (error) {
        if (consumerFailed) throw consumerFailed.error;
        current = undefined;
        broken = classify(call, error, timeouts);
        await backoff(call, broken, resumes++);
      }
    }
  }

  /**
   * Asks for the rest of a body from `offset`; only a 206 starting exactly there can be appended. `broken`
   * is why the previous connection ended: when resuming is impossible, that is the reason worth telling.
   */
  async function openRange(
    call: Call,
    url: string,
    offset: number,
    validator: string | undefined,
    broken: HttpError | undefined,
  ) {
    const headers = {
      ...call.headers,
      range: `bytes=${offset}-`,
      ...(validator ? { 'if-range': validator } : {}),
    };
    const opened = await open(call, url, headers, (status) => status === 206 || status === 200);
    const { statusCode, headers: responseHeaders, body } = opened.response;
    const start = /^bytes (\d+)-/.exec(headerValue(responseHeaders['content-range']) ?? '')?.[1];
    if ((statusCode === 206 && Number(start) === offset) || (statusCode === 200 && offset === 0))
      return opened;
    await body.dump().catch(() => undefined);
    throw new HttpError({
      url: call.url,
      failure: 'network',
      detail: `${broken?.detail ?? 'the connection broke'} after ${offset} bytes, and the server cannot resume the transfer`,
    });
  }

  return {
    async download(url, downloadOptions = {}) {
      const call = begin(url, downloadOptions);
      const first = await withRetries(call, () => open(call, url, call.headers, (status) => status === 200));
      return {
        url: first.url,
        size: contentLength(first.response.headers),
        read: (onChunk) => readResuming(call, first, downloadOptions, onChunk),
        // A body nobody reads must still let go of its response, or its connection (and `close()`) waits
        // for ever: Node then exits with code 13. Destroyed unfinished, undici's body emits "Request
        // aborted": nobody reads it any more.
        cancel: () => first.response.body.on('error', () => undefined).destroy(),
      };
    },

    async getText(url, textOptions = {}) {
      const call = begin(url, textOptions);
      const conditional = {
        ...call.headers,
        ...(textOptions.etag ? { 'if-none-match': textOptions.etag } : {}),
        ...(textOptions.lastModified ? { 'if-modified-since': textOptions.lastModified } : {}),
      };
      const revalidating = Boolean(textOptions.etag || textOptions.lastModified);
      return withRetries(call, async (): Promise<TextResponse> => {
        const accept = (status: number) => status === 200 || (status === 304 && revalidating);
        const opened = await open(call, url, conditional, accept);
        const { statusCode, headers, body } = opened.response;
        if (statusCode === 304) {
          await body.dump();
          return { status: 304, url: opened.url };
        }
        return {
          status: 200,
          url: opened.url,
          body: await readText(
            body,
            textOptions.maxBytes ?? DEFAULT_MAX_TEXT_BYTES,
            call.url,
            speedGuard(call.url, timeouts, clock),
          ),
          etag: headerValue(headers.etag),
          lastModified: headerValue(headers['last-modified']),
        };
      });
    },

    async close() {
      await dispatcher?.close();
    },
  };
}

function createDispatcher(env: Env, connectMs: number): Dispatcher {
  const { httpProxy, httpsProxy, noProxy } = proxySettings(env);
  const ca = certificateAuthorities(env);
  const connect = { timeout: connectMs, ...(ca ? { ca } : {}) };
  // Empty strings, not undefined: EnvHttpProxyAgent would otherwise read process.env itself.
  return new EnvHttpProxyAgent({
    httpProxy: httpProxy ?? '',
    httpsProxy: httpsProxy ?? '',
    noProxy: noProxy ?? '',
    connect,
    proxyTls: connect,
    requestTls: connect,
    // http:// URLs go to the proxy as plain absolute-URI requests rather than CONNECT tunnels, as curl
    // does: proxies such as Squid allow CONNECT to port 443 only in their default configuration.
    proxyTunnel: false,
  });
}

/**
 * Node trusts NODE_EXTRA_CA_CERTS by itself (read once, at startup), and undici uses Node's default list,
 * so nothing is needed for it. npm's `cafile` setting, though, reaches a postinstall script only as
 * `npm_config_cafile`: trust that file too. Passing `ca` replaces Node's list, so the bundled roots and
 * the NODE_EXTRA_CA_CERTS file are added back. Undefined: keep Node's default list.
 */
function certificateAuthorities(env: Env): string[] | undefined {
  const npmCaFile = env.npm_config_cafile;
  if (!npmCaFile) return undefined;
  const read = (name: string, file: string) => {
    try {
      return readFileSync(file, 'utf8');
    } catch (error) {
      throw new XccError(
        `cannot read the CA certificates in ${file} (named by ${name}): ${errorCode(error)}; point it at a PEM file`,
        {
          cause: error,
        },
      );
    }
  };
  const extra = env.NODE_EXTRA_CA_CERTS ? [read('NODE_EXTRA_CA_CERTS', env.NODE_EXTRA_CA_CERTS)] : [];
  return [...tls.rootCertificates, ...extra, read('npm_config_cafile', npmCaFile)];
}

/**
 * `user:password@` in a URL is Basic authentication, as curl and pip read it (undici would ignore it). A
 * redirect keeps it only when it resolves to a URL that still has it: a relative one, on the same origin.
 */
function withBasicAuth(url: string, headers: Record<string, string>) {
  const parsed = new URL(url);
  if (parsed.username === '' && parsed.password === '') return { url, headers };
  const decode = (part: string) => {
    try {
      return decodeURIComponent(part);
    } catch {
      return part;
    }
  };
  const credentials = Buffer.from(`${decode(parsed.username)}:${decode(parsed.password)}`).toString('base64');
  parsed.username = '';
  parsed.password = '';
  return { url: parsed.href, headers: { ...headers, authorization: `Basic ${credentials}` } };
}

function statusError(url: string, status: number, retryAfter: number | undefined): HttpError {
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
function classify(call: Call, error: unknown, timeouts: Timeouts): HttpError {
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

function errorCode(error: unknown): string {
  const code =
    (error as { code?: unknown } | undefined)?.code ?? (error as { cause?: { code?: unknown } })?.cause?.code;
  return typeof code === 'string' ? code : '';
}

function seconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(3))}s`;
}

/** Exponential backoff with jitter, or the server's Retry-After when it sent one (undefined: too long). */
function retryDelay(failure: HttpError, done: number, retry: RetryPolicy, clock: Clock): number | undefined {
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

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function contentLength(headers: Dispatcher.ResponseData['headers']): number | undefined {
  const value = headerValue(headers['content-length']);
  return value !== undefined && /^\d+$/.test(value) ? Number(value) : undefined;
}

/** If-Range needs a strong ETag or a Last-Modified date, so a changed file is sent whole, not spliced. */
function resumeValidator(headers: Dispatcher.ResponseData['headers']): string | undefined {
  const etag = headerValue(headers.etag);
  if (etag && !etag.startsWith('W/')) return etag;
  return headerValue(headers['last-modified']);
}

/**
 * Counts a body's bytes per idle period and throws a retryable timeout when a whole period brought fewer
 * than `minBytesPerSecond` on average. Checked as chunks arrive: silence itself is undici's body timeout.
 */
function speedGuard(url: string, timeouts: Timeouts, clock: Clock): (bytes: number) => void {
  const { idleMs, minBytesPerSecond } = timeouts;
  let since = clock.monotonic();
  let received = 0;
  return (bytes) => {
    received += bytes;
    const elapsed = clock.monotonic() - since;
    if (elapsed < idleMs) return;
    if (received < (minBytesPerSecond * elapsed) / 1000) {
      throw new HttpError({
        url,
        failure: 'timeout',
        detail: `the transfer is too slow (${received} bytes in ${seconds(elapsed)}, under ${minBytesPerSecond} bytes/s)`,
        retryable: true,
      });
    }
    since += elapsed;
    received = 0;
  };
}

/**
 * Reads an undici body to its end in flowing mode, handing each chunk to `onChunk` before the next one is
 * read, so the body never pushes back on undici (see NEVER_FULL). What `onChunk` throws destroys the body,
 * which closes its connection, and rejects with that error.
 */
function flow(body: Dispatcher.ResponseData['body'], onChunk: (chunk: Buffer) => void): Promise<void> {
  let failed = false;
  body.on('data', (chunk: Buffer) => {
    if (failed) return;
    try {
      onChunk(chunk);
    } catch (error) {
      failed = true;
      body.destroy(error instanceof Error ? error : new Error(String(error)));
    }
  });
  return finished(body);
}

async function readText(
  body: Dispatcher.ResponseData['body'],
  maxBytes: number,
  url: string,
  speed: (bytes: number) => void,
): Promise<string> {
  const chunks: Buffer[] = [];
  let bytes = 0;
  await flow(body, (chunk) => {
    bytes += chunk.length;
    if (bytes > maxBytes) {
      throw new HttpError({
        url,
        failure: 'status',
        status: 200,
        detail: `response larger than ${maxBytes} bytes`,
      });
    }
    chunks.push(chunk);
    speed(chunk.length);
  });
  return Buffer.concat(chunks).toString('utf8');
}
