import { type Dispatcher, request } from 'undici';
import { NEVER_FULL } from './body.js';
import { HttpError, type RequestScope } from './failures.js';

/** Building a request (credentials, redirects) and reading the headers of its response. */

/** One request in flight: the merged signals and when it must be over. */
export interface Call extends RequestScope {
  signal: AbortSignal;
  deadlineAt: number;
  headers: Record<string, string>;
}

export interface Opened {
  url: string;
  response: Dispatcher.ResponseData;
}

export const MAX_REDIRECTS = 5;

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

/**
 * `user:password@` in a URL is Basic authentication, as curl and pip read it (undici would ignore it). A
 * redirect keeps it only when it resolves to a URL that still has it: a relative one, on the same origin.
 */
export function withBasicAuth(url: string, headers: Record<string, string>) {
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

/**
 * One GET through `dispatcher`, following redirects (http and https only, no loops, at most
 * MAX_REDIRECTS); the caller owns the response body. `idleMs` bounds the wait for headers and between
 * two chunks of the body.
 */
export async function sendFollowingRedirects(
  dispatcher: Dispatcher,
  call: Call,
  url: string,
  headers: Record<string, string>,
  idleMs: number,
): Promise<Opened> {
  const visited = new Set([url]);
  let current = url;
  for (let hops = 0; ; hops++) {
    const authenticated = withBasicAuth(current, headers);
    const response = await request(authenticated.url, {
      dispatcher,
      method: 'GET',
      headers: authenticated.headers,
      signal: call.signal,
      headersTimeout: idleMs,
      bodyTimeout: idleMs,
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

export function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

export function contentLength(headers: Dispatcher.ResponseData['headers']): number | undefined {
  const value = headerValue(headers['content-length']);
  return value !== undefined && /^\d+$/.test(value) ? Number(value) : undefined;
}

/** If-Range needs a strong ETag or a Last-Modified date, so a changed file is sent whole, not spliced. */
export function resumeValidator(headers: Dispatcher.ResponseData['headers']): string | undefined {
  const etag = headerValue(headers.etag);
  if (etag && !etag.startsWith('W/')) return etag;
  return headerValue(headers['last-modified']);
}
