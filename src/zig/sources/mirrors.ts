import type { Clock } from '../../clock.js';
import { UsageError } from '../../errors.js';
import type { Env } from '../../home.js';
import { zigConfig } from '../distribution.js';
import type { HttpClient } from '../net/http.js';
import { fetchCachedText } from '../releases/text-cache.js';

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * Community mirrors are volunteer servers: a few failing in a row says more about the network than about
 * the mirrors, and each can cost a connect timeout, so only this many (of the shuffled list) are tried
 * before ziglang.org and the other sources.
 */
export const COMMUNITY_MIRRORS_TRIED = 5;

export interface MirrorPlan {
  /** Base URLs, in the order to try them; `<base>/<file>?source=xcc` is the file. */
  mirrors: string[];
  /** True when they come from XCC_ZIG_MIRROR: the user's order is kept and ziglang.org is not added. */
  user: boolean;
}

/** The user's mirrors (XCC_ZIG_MIRROR, comma-separated), or undefined when not set. */
export function userMirrors(env: Env): string[] | undefined {
  const setting = env.XCC_ZIG_MIRROR?.trim();
  if (!setting) return undefined;
  const entries = setting
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
  if (entries.length === 0) {
    throw new UsageError(
      `XCC_ZIG_MIRROR="${setting}" names no mirror; give base URLs separated by commas, like https://mirror.example/zig, or unset it`,
    );
  }
  return entries.map((entry) => {
    let url: URL;
    try {
      url = new URL(entry);
    } catch {
      throw new UsageError(
        `XCC_ZIG_MIRROR: "${entry}" is not a URL; give base URLs separated by commas, like https://mirror.example/zig`,
      );
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') {
      throw new UsageError(`XCC_ZIG_MIRROR: "${entry}" is not an http(s) URL`);
    }
    return entry.replace(/\/+$/, '');
  });
}

/**
 * ziglang.org's community mirror list (cached a day, as its page asks), else the list built into xcc;
 * shuffled so that load spreads over the mirrors ("try mirrors in a randomized order").
 */
export async function communityMirrors(options: {
  http: HttpClient;
  home: string;
  clock: Clock;
  signal?: AbortSignal;
}): Promise<string[]> {
  const config = zigConfig();
  let list: string[] = [];
  try {
    const text = await fetchCachedText(options.http, config.communityMirrorsUrl, {
      ttlMs: DAY_MS,
      home: options.home,
      clock: options.clock,
      signal: options.signal,
    });
    list = parseMirrorList(text.body);
  } catch {
    // Unreachable, offline with nothing cached: the built-in list below is the documented fallback.
  }
  if (list.length === 0) list = [...config.fallbackMirrors];
  return shuffle(list, options.clock).slice(0, COMMUNITY_MIRRORS_TRIED);
}

/**
 * One https:// URL a line (the format ziglang.org documents). Anything else is skipped: an HTML error page
 * served with status 200 must not turn into "mirrors" (mlugg/setup-zig#53).
 */
export function parseMirrorList(text: string): string[] {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => /^https:\/\/[^\s<>"]+$/.test(line))
    .map((line) => line.replace(/\/+$/, ''));
}

function shuffle<T>(items: readonly T[], clock: Clock): T[] {
  const result = [...items];
  for (let i = result.length - 1; i > 0; i--) {
    const j = Math.floor(clock.random() * (i + 1));
    [result[i], result[j]] = [result[j]!, result[i]!];
  }
  return result;
}
