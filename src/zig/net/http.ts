import type { Dispatcher } from 'undici';
import { type Clock, systemClock } from '../../clock.js';
import type { Env } from '../../home.js';
import { redactUrls } from '../../redact.js';
import { flow, readText, speedGuard } from './body.js';
import { classify, HttpError, OfflineError, statusError } from './failures.js';
import { createDispatcher } from './proxy.js';
import {
  type Call,
  contentLength,
  headerValue,
  type Opened,
  resumeValidator,
  sendFollowingRedirects,
} from './request.js';
import { backoffDelay, DEFAULT_RETRY, type RetryPolicy, retryAfterMs } from './retry.js';
import { DEFAULT_TIMEOUTS, offlineSetting, type Timeouts, timeoutSetting, userAgent } from './settings.js';

/**
 * The one module that talks to the network. Everything else asks it for bytes, so proxies, timeouts,
 * retries and the offline switch behave the same for index.json, mirror lists, tarballs and signatures.
 * `createHttpClient` composes the parts beside it: settings.ts (timeouts, offline, User-Agent from the
 * environment), proxy.ts (the connection pool: proxies and CAs), request.ts (credentials, redirects,
 * response headers), retry.ts (when and how long to back off), failures.ts (what an error means) and
 * body.ts (reading a body without ever pausing it).
 */

export { HttpError, type HttpFailure, OfflineError } from './failures.js';
export { type ProxySettings, proxySettings } from './proxy.js';
export { MAX_REDIRECTS } from './request.js';
export { DEFAULT_RETRY, type RetryPolicy, retryAfterMs } from './retry.js';
export { DEFAULT_TIMEOUTS, offlineSetting, type Timeouts, timeoutSetting, userAgent } from './settings.js';

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

const DEFAULT_MAX_TEXT_BYTES = 32 * 1024 * 1024;

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

  /** `send`, then turn an unexpected status into an HttpError after draining the body. */
  async function open(
    call: Call,
    url: string,
    headers: Record<string, string>,
    ok: (status: number) => boolean,
  ) {
    const opened = await sendFollowingRedirects(dispatcher!, call, url, headers, timeouts.idleMs);
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
    const delayMs = backoffDelay(failure, done, retry, clock, call.deadlineAt);
    if (delayMs === undefined) throw failure;
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
