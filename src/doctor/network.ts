import type { Clock } from '../clock.js';
import type { Env } from '../home.js';
import { redactUrls } from '../redact.js';
import { zigConfig } from '../zig/distribution.js';
import { releaseFileName, zigHostKey } from '../zig/host.js';
import {
  createHttpClient,
  type HttpClient,
  HttpError,
  offlineSetting,
  proxySettings,
} from '../zig/net/http.js';
import { parseVersionSpec } from '../zig/releases/releases.js';
import { fetchCachedText } from '../zig/releases/text-cache.js';
import { isDevVersion } from '../zig/releases/version.js';
import { parseMirrorList, userMirrors } from '../zig/sources/mirrors.js';
import { pypiIndexUrl } from '../zig/sources/pypi-index.js';
import type { CheckResult } from './check.js';

/**
 * Can each place xcc downloads Zig from be reached, through the proxy xcc would use? One short GET each,
 * for a small file the source must have (the signature of the Zig xcc would install), no retries: this
 * says what the network is like now, it does not fight it.
 */

/** Connect and first-byte timeout for each probe; a source slower than this is reported unreachable. */
export const PROBE_TIMEOUT_MS = 5_000;

export interface NetworkCheckOptions {
  env: Env;
  home: string;
  spec: string | undefined;
  platform: NodeJS.Platform;
  arch: string;
  clock: Clock;
  timeoutMs?: number;
}

interface Probe {
  /** Credentials hidden: it is shown. */
  url: string;
  /** Undefined when it answered 200; else what went wrong, in a few words. */
  problem: string | undefined;
  durationMs: number;
}

export async function checkNetwork(options: NetworkCheckOptions): Promise<CheckResult[]> {
  const { env } = options;
  const offline = offlineSetting(env);
  if (offline !== undefined) {
    return ['net:mirrors', 'net:ziglang.org', 'net:index', 'net:pypi'].map((id) => ({
      id,
      title: titleOf(id),
      status: 'skip',
      detail: `offline (${offline}): only installed Zig versions are used`,
    }));
  }
  const timeoutMs = options.timeoutMs ?? PROBE_TIMEOUT_MS;
  const http = createHttpClient({
    env,
    clock: options.clock,
    timeouts: { connectMs: timeoutMs, idleMs: timeoutMs },
    retry: { retries: 0 },
  });
  try {
    const probe = (url: string) => probeUrl(http, url, timeoutMs, options.clock);
    const file = `${releaseFileName(probeVersion(options.spec), zigHostKey(options.platform, options.arch))}.minisig`;
    const via = proxyNote(env);
    return await Promise.all([
      mirrorsCheck(options, file, probe, http, via),
      ziglangCheck(options, file, probe, via),
      indexCheck(env, probe, via),
      pypiCheck(options, probe, via),
    ]);
  } finally {
    await http.close();
  }
}

const TITLES: Record<string, string> = {
  'net:mirrors': 'Zig mirrors',
  'net:ziglang.org': 'ziglang.org',
  'net:index': 'Zig index',
  'net:pypi': 'PyPI',
};

function titleOf(id: string): string {
  return TITLES[id] ?? id;
}

/** The version whose files are probed: the one asked for when it is exact, else xcc's default. */
function probeVersion(spec: string | undefined): string {
  const parsed = parseVersionSpec(spec);
  return parsed.kind === 'exact' || parsed.kind === 'dev' ? parsed.version : zigConfig().defaultVersion;
}

async function probeUrl(http: HttpClient, url: string, timeoutMs: number, clock: Clock): Promise<Probe> {
  const started = clock.monotonic();
  let problem: string | undefined;
  try {
    await http.getText(url, { deadlineMs: timeoutMs * 2, maxBytes: 64 * 1024 * 1024 });
  } catch (error) {
    if (!(error instanceof HttpError)) throw error;
    // The detail's advice (after the first ';') is the check's fix; the cause is enough here.
    problem = error.status === undefined ? error.detail.split(';')[0]! : `HTTP ${error.status}`;
  }
  return { url: redactUrls(url), problem, durationMs: Math.round(clock.monotonic() - started) };
}

/** `through proxy http://proxy:3128` (credentials left out), or nothing when connecting directly. */
function proxyNote(env: Env): string {
  const { httpsProxy } = proxySettings(env);
  if (httpsProxy === undefined) return '';
  const url = new URL(httpsProxy);
  url.username = '';
  url.password = '';
  return ` through proxy ${url.origin}`;
}

/** Failed mirrors named in the detail; the rest are counted. */
const MIRRORS_NAMED = 3;

type ProbeFn = (url: string) => Promise<Probe>;

async function mirrorsCheck(
  options: NetworkCheckOptions,
  file: string,
  probe: ProbeFn,
  http: HttpClient,
  via: string,
): Promise<CheckResult> {
  const user = userMirrors(options.env);
  const bases = user ?? (await communityList(http, options));
  const probes = await Promise.all(bases.map((base) => probe(`${base}/${file}?source=xcc`)));
  const reachable = probes.filter((result) => result.problem === undefined);
  const which = user ? 'XCC_ZIG_MIRROR' : 'community mirrors';
  const failures = probes
    .filter((result) => result.problem !== undefined)
    .slice(0, MIRRORS_NAMED)
    .map(
      (result) =>
        `${new URL(result.url).origin}${new URL(result.url).pathname.replace(`/${file}`, '')} (${result.problem})`,
    );
  const more = probes.length - reachable.length - failures.length;
  const failed =
    failures.length === 0 ? '' : `; failed: ${failures.join(', ')}${more > 0 ? ` and ${more} more` : ''}`;
  const detail = `${reachable.length} of ${probes.length} ${which} serve ${file}${via}${failed}`;
  const durationMs = Math.max(0, ...probes.map((result) => result.durationMs));
  if (reachable.length > 0)
    return { id: 'net:mirrors', title: titleOf('net:mirrors'), status: 'pass', detail, durationMs };
  return {
    id: 'net:mirrors',
    title: titleOf('net:mirrors'),
    status: 'warn',
    detail,
    fix: user
      ? 'check XCC_ZIG_MIRROR (base URLs that hold the release files) and the proxy settings'
      : 'check the proxy settings (HTTPS_PROXY, npm config proxy), or set XCC_ZIG_MIRROR to a mirror you can reach',
    durationMs,
  };
}

/** ziglang.org's list (cached for a day, as xcc's installer keeps it), else the list built into xcc. */
async function communityList(http: HttpClient, options: NetworkCheckOptions): Promise<string[]> {
  const config = zigConfig();
  const list = await fetchCachedText(http, config.communityMirrorsUrl, {
    ttlMs: 24 * 60 * 60 * 1000,
    home: options.home,
    clock: options.clock,
  }).then(
    (text) => parseMirrorList(text.body),
    () => [],
  );
  return list.length > 0 ? list : [...config.fallbackMirrors];
}

async function ziglangCheck(
  options: NetworkCheckOptions,
  file: string,
  probe: ProbeFn,
  via: string,
): Promise<CheckResult> {
  const id = 'net:ziglang.org';
  if (userMirrors(options.env)) {
    return {
      id,
      title: titleOf(id),
      status: 'skip',
      detail: 'not used: XCC_ZIG_MIRROR replaces the community mirrors and ziglang.org',
    };
  }
  const version = probeVersion(options.spec);
  const { release, dev } = zigConfig().downloadUrls;
  const base = isDevVersion(version) ? dev : `${release}/${version}`;
  return sourceCheck(
    id,
    await probe(`${base}/${file}`),
    via,
    'the community mirrors and PyPI can still provide Zig',
  );
}

/** index.json: needed for versions xcc does not pin (latest, master, ranges) and for a private index. */
async function indexCheck(env: Env, probe: ProbeFn, via: string): Promise<CheckResult> {
  const id = 'net:index';
  const location = env.XCC_ZIG_INDEX?.trim();
  if (location && !/^https?:\/\//i.test(location)) {
    return { id, title: titleOf(id), status: 'skip', detail: `XCC_ZIG_INDEX=${location} is a local file` };
  }
  return sourceCheck(
    id,
    await probe(location || zigConfig().indexUrl),
    via,
    'pinned versions (the default) do not need it',
  );
}

async function pypiCheck(options: NetworkCheckOptions, probe: ProbeFn, via: string): Promise<CheckResult> {
  const { url, from } = await pypiIndexUrl(options.env, options.platform);
  const project = zigConfig().pypi.project;
  const source = from === 'default' ? '' : ` (index from ${from})`;
  const check = sourceCheck(
    'net:pypi',
    await probe(`${url}/${project}/`),
    `${via}${source}`,
    'the Zig mirrors can still provide Zig',
  );
  return check;
}

function sourceCheck(id: string, probe: Probe, via: string, otherwise: string): CheckResult {
  const title = titleOf(id);
  if (probe.problem === undefined) {
    return { id, title, status: 'pass', detail: `${probe.url} answers${via}`, durationMs: probe.durationMs };
  }
  return {
    id,
    title,
    status: 'warn',
    detail: `${probe.url}${via}: ${probe.problem}; ${otherwise}`,
    fix: 'check the proxy settings (HTTPS_PROXY, npm config proxy) and firewall, or set XCC_OFFLINE=1 to work from installed Zig versions only',
    durationMs: probe.durationMs,
  };
}

/**
 * When no source can provide the Zig that is not installed yet, the first build will fail: that is a
 * failure, not a warning. Installed Zig or offline use need no network.
 */
export function escalateUnreachable(checks: CheckResult[], zigMissing: boolean): CheckResult[] {
  const downloads = checks.filter((check) =>
    ['net:mirrors', 'net:ziglang.org', 'net:pypi'].includes(check.id),
  );
  const noSource = downloads.every((check) => check.status === 'warn' || check.status === 'skip');
  const probed = downloads.some((check) => check.status === 'warn');
  if (!zigMissing || !noSource || !probed) return checks;
  return checks.map((check) =>
    downloads.includes(check) && check.status === 'warn'
      ? {
          ...check,
          status: 'fail',
          detail: `${check.detail}; no source can provide the Zig that is not installed`,
        }
      : check,
  );
}
