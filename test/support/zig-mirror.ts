import { readFileSync } from 'node:fs';
import path from 'node:path';
import semver from 'semver';
import { type MirrorServer, startMirrorServer, type TlsOptions } from './mirror-server.js';
import { fixturesDir } from './paths.js';
import type { TestZig, ZigArtifact } from './test-zig.js';

/**
 * The test Zig served like the real thing. Two layouts (ziglang/www.ziglang.org MIRRORS.md):
 * - `ziglang.org`: `/download/index.json`, `/download/community-mirrors.txt`,
 *   `/download/<version>/<file>` and `<file>.minisig`;
 * - `mirror`: a community mirror, flat: `<prefix>/<file>` and `<prefix>/<file>.minisig`.
 * Routes on the loopback file server (mirror-server.ts), so its faults and request log apply.
 */
export type ZigLayout = 'ziglang.org' | 'mirror';

export interface ZigMirrorOptions {
  layout?: ZigLayout;
  /** What to publish; default: the release and every variant. */
  artifacts?: ZigArtifact[];
  /** Mirror layout only: path before the file names, e.g. `/zig` (many community mirrors have one). */
  prefix?: string;
  /** ziglang.org layout only: the lines of community-mirrors.txt, read per request (mirrors start later). */
  mirrors?: () => string[];
  tls?: TlsOptions;
}

export interface ZigMirror extends MirrorServer {
  layout: ZigLayout;
  /** Mirror layout: `url + prefix`, what a client is given as the mirror. ziglang.org: `url`. */
  base: string;
  /** URL path of an artifact (and, with `.minisig` appended, of its signature). */
  pathOf(artifact: ZigArtifact): string;
}

export async function startZigMirror(zig: TestZig, options: ZigMirrorOptions = {}): Promise<ZigMirror> {
  const layout = options.layout ?? 'mirror';
  const prefix = options.prefix ?? '';
  const artifacts = options.artifacts ?? allArtifacts(zig);
  const server = await startMirrorServer({ tls: options.tls });
  const pathOf = (artifact: ZigArtifact) =>
    layout === 'mirror'
      ? `${prefix}/${artifact.fileName}`
      : `/download/${artifact.version}/${artifact.fileName}`;
  for (const artifact of artifacts) {
    server.setFile(pathOf(artifact), { file: artifact.path });
    server.setFile(`${pathOf(artifact)}.minisig`, { file: artifact.signaturePath });
  }
  if (layout === 'ziglang.org') {
    const mirrors = options.mirrors ?? (() => []);
    server.setFile(
      '/download/index.json',
      ({ baseUrl }) => `${JSON.stringify(zigIndex(baseUrl, artifacts), null, 2)}\n`,
    );
    server.setFile('/download/community-mirrors.txt', () => communityMirrorsText(mirrors()));
  }
  return { ...server, layout, base: layout === 'mirror' ? `${server.url}${prefix}` : server.url, pathOf };
}

export function allArtifacts(zig: TestZig): ZigArtifact[] {
  return [zig.release, ...Object.values(zig.variants)];
}

/**
 * index.json as ziglang.org serves it: the real index (shared fixture) with every `https://ziglang.org`
 * URL moved to `origin`, and each artifact's host entry replaced by the test tarball. Keeping the real
 * entries keeps the real shape (sizes as strings, `master` first, missing `notes`...).
 */
export function zigIndex(origin: string, artifacts: ZigArtifact[]): Record<string, Record<string, unknown>> {
  const text = readFileSync(path.join(fixturesDir, 'zig', 'index.json'), 'utf8');
  const index = JSON.parse(text.replaceAll('"https://ziglang.org/', `"${origin}/`)) as Record<
    string,
    Record<string, unknown>
  >;
  for (const artifact of artifacts) {
    index[artifact.version] ??= {
      date: '2025-10-11',
      docs: `${origin}/documentation/${artifact.version}/`,
      stdDocs: `${origin}/documentation/${artifact.version}/std/`,
    };
    index[artifact.version]![artifact.hostKey] = {
      tarball: `${origin}/download/${artifact.version}/${artifact.fileName}`,
      shasum: artifact.sha256,
      size: String(artifact.size),
    };
  }
  // The official order: master, then releases newest first.
  const versions = Object.keys(index).filter((key) => key !== 'master');
  const ordered = ['master', ...versions.sort(semver.rcompare)].filter((key) => key in index);
  return Object.fromEntries(ordered.map((key) => [key, index[key]!]));
}

/** community-mirrors.txt: one URL per line, LF-terminated, nothing else (the ziglang.org page's rules). */
export function communityMirrorsText(urls: string[]): string {
  return urls.map((url) => `${url}\n`).join('');
}

/** A community mirror and ziglang.org's layout (no mirror list) serving the test Zig, as a user's machine sees them. */
export interface ZigSources {
  mirror: ZigMirror;
  origin: ZigMirror;
  /** What a user's shell holds to install from them: XCC_HOME, the index, the mirror, the test key, zig's shared cache. */
  userEnv(home: string): Record<string, string>;
  close(): Promise<void>;
}

export async function startZigSources(zig: TestZig, zigCache: string): Promise<ZigSources> {
  const mirror = await startZigMirror(zig);
  const origin = await startZigMirror(zig, { layout: 'ziglang.org', mirrors: () => [] });
  return {
    mirror,
    origin,
    userEnv: (home) => ({
      XCC_HOME: home,
      XCC_ZIG_INDEX: `${origin.url}/download/index.json`,
      XCC_ZIG_MIRROR: mirror.base,
      XCC_ZIG_PUBKEY: zig.key.publicKey,
      XCC_ZIG_CACHE_DIR: zigCache,
    }),
    close: async () => {
      await Promise.all([mirror.close(), origin.close()]);
    },
  };
}
