import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { CACHE_FILE_MODE, checkCachePath, ensureCacheDir, UnsafeCacheError } from '../../cache-safety.js';
import { type Clock, systemClock } from '../../clock.js';
import { isXccError, type XccError } from '../../errors.js';
import { writeFileAtomic } from '../../fs-atomic.js';
import { cacheLayout, xccHome } from '../../home.js';
import { redactUrls } from '../../redact.js';
import type { HttpClient } from '../net/http.js';

/**
 * Small text resources (index.json, community-mirrors.txt) kept under `<root>/meta/` with their HTTP
 * validators: fresh copies are used without asking, older ones are revalidated with a conditional GET,
 * and when the network fails (or is switched off) a stale copy is better than nothing.
 */

export interface CachedText {
  body: string;
  /** When the body was last confirmed by the server (ms since the epoch). */
  fetchedAt: number;
  /** `cache`: used without a request; `revalidated`: the server answered 304; `network`: a new body. */
  origin: 'cache' | 'revalidated' | 'network';
  /** True when the copy is older than the TTL because the server could not be asked. */
  stale: boolean;
  /** Why the server could not be asked, when `stale`. */
  error?: XccError;
}

export interface CachedTextOptions {
  /** How long a copy is used without asking the server. */
  ttlMs: number;
  home?: string;
  clock?: Clock;
  signal?: AbortSignal;
  /**
   * Throws when a new body is not what the caller can use (an HTML page served with status 200 where an
   * index belongs): such a body is never cached, so the next run asks the server again instead of
   * failing on the same garbage until the TTL runs out.
   */
  accept?: (body: string) => void;
}

interface Entry {
  /** Credentials hidden (redactUrls): the file name's hash tells URLs that differ only in them apart. */
  url: string;
  body: string;
  etag: string | undefined;
  lastModified: string | undefined;
  fetchedAt: number;
}

export async function fetchCachedText(
  http: HttpClient,
  url: string,
  options: CachedTextOptions,
): Promise<CachedText> {
  const clock = options.clock ?? systemClock;
  const home = options.home ?? xccHome();
  const file = entryFile(home, url);
  // A cache that others could write is refused; one that cannot be read is only a cache miss.
  const readable = await checkCachePath(home, file).catch((error: unknown) => {
    if (error instanceof UnsafeCacheError) throw error;
    return false;
  });
  const cached = readable ? await readEntry(file, url) : undefined;
  if (cached && clock.now() - cached.fetchedAt < options.ttlMs) {
    return { body: cached.body, fetchedAt: cached.fetchedAt, origin: 'cache', stale: false };
  }
  let response: Awaited<ReturnType<HttpClient['getText']>>;
  try {
    response = await http.getText(url, {
      signal: options.signal,
      etag: cached?.etag,
      lastModified: cached?.lastModified,
    });
  } catch (error) {
    // Offline, or the server is unreachable: an old copy still beats failing. Without one, say why.
    if (!cached || options.signal?.aborted || !isXccError(error)) throw error;
    return { body: cached.body, fetchedAt: cached.fetchedAt, origin: 'cache', stale: true, error };
  }
  if (response.status !== 304) options.accept?.(response.body);
  const fetchedAt = clock.now();
  const entry: Entry =
    response.status === 304
      ? // getText accepts a 304 only when it sent the cached copy's validators, so `cached` exists.
        { ...cached!, fetchedAt }
      : {
          url: redactUrls(url),
          body: response.body,
          etag: response.etag,
          lastModified: response.lastModified,
          fetchedAt,
        };
  await ensureCacheDir(home, path.dirname(file));
  await writeFileAtomic(file, JSON.stringify(entry), { mode: CACHE_FILE_MODE });
  return {
    body: entry.body,
    fetchedAt,
    origin: response.status === 304 ? 'revalidated' : 'network',
    stale: false,
  };
}

/** `<meta>/<last path segment>-<hash of the URL>.json`: readable, and distinct for each URL. */
function entryFile(home: string, url: string): string {
  const name =
    new URL(url).pathname
      .split('/')
      .pop()
      ?.replace(/[^\w.-]/g, '_') || 'index';
  const digest = createHash('sha256').update(url).digest('hex').slice(0, 12);
  return path.join(cacheLayout(home).meta, `${name}-${digest}.json`);
}

async function readEntry(file: string, url: string): Promise<Entry | undefined> {
  try {
    const entry = JSON.parse(await readFile(file, 'utf8')) as Entry;
    return entry.url === redactUrls(url) &&
      typeof entry.body === 'string' &&
      typeof entry.fetchedAt === 'number'
      ? entry
      : undefined;
  } catch {
    // Missing or damaged (a crash cannot half-write it, but a user can edit it): fetch it again.
    return undefined;
  }
}
