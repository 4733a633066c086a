import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { Clock } from '../../clock.js';
import { UsageError, XccError } from '../../errors.js';
import type { Env } from '../../home.js';
import { redactUrls } from '../../redact.js';
import { zigConfig } from '../distribution.js';
import type { HttpClient } from '../net/http.js';
import { parseIndex, type ZigIndex } from './releases.js';
import { fetchCachedText } from './text-cache.js';

/**
 * index.json changes whenever master moves (several times a day) and rarely otherwise: an hour keeps
 * `master` and `latest` fresh enough without asking ziglang.org on every run.
 */
export const INDEX_TTL_MS = 60 * 60 * 1000;

export interface LoadedIndex {
  index: ZigIndex | undefined;
  /** XCC_ZIG_INDEX replaced the official index: its hashes are the only ones checked. */
  privateIndex: boolean;
  /** Why the official index could not be had (xcc then works from its pinned table). */
  problem: string | undefined;
}

export async function loadIndex(options: {
  http: HttpClient;
  env: Env;
  home: string;
  clock: Clock;
  signal?: AbortSignal;
}): Promise<LoadedIndex> {
  const { env } = options;
  const privateLocation = env.XCC_ZIG_INDEX?.trim();
  if (privateLocation) {
    // The user's own index replaces the official one; failing to read it is an error, not a fallback.
    const parse = (text: string) => parseIndex(text, `XCC_ZIG_INDEX (${redactUrls(privateLocation)})`);
    return {
      index: parse(await readLocation(privateLocation, { ...options, accept: parse })),
      privateIndex: true,
      problem: undefined,
    };
  }
  const url = zigConfig().indexUrl;
  try {
    const parse = (text: string) => parseIndex(text, url);
    const cached = await fetchCachedText(options.http, url, {
      ...options,
      ttlMs: INDEX_TTL_MS,
      accept: parse,
    });
    return { index: parse(cached.body), privateIndex: false, problem: cached.error?.message };
  } catch (error) {
    if (options.signal?.aborted || !(error instanceof XccError)) throw error;
    return { index: undefined, privateIndex: false, problem: error.message };
  }
}

async function readLocation(
  location: string,
  options: {
    http: HttpClient;
    home: string;
    clock: Clock;
    signal?: AbortSignal;
    accept: (body: string) => void;
  },
): Promise<string> {
  if (/^https?:\/\//i.test(location)) {
    const cached = await fetchCachedText(options.http, location, { ...options, ttlMs: INDEX_TTL_MS });
    return cached.body;
  }
  const fix = 'set it to an index.json file or an http(s) URL';
  let file = location;
  if (location.startsWith('file:')) {
    try {
      file = fileURLToPath(location);
    } catch (error) {
      throw new UsageError(
        `XCC_ZIG_INDEX=${location} is not a local file URL (${(error as Error).message}); ${fix}`,
        {
          cause: error,
        },
      );
    }
  }
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    // The setting names something that cannot be read as a file: a usage error, like a bad --from.
    const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw new UsageError(`XCC_ZIG_INDEX: cannot read ${file} (${reason}); ${fix}`, { cause: error });
  }
}
