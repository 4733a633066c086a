import { realpath, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import semver from 'semver';
import { CACHE_DIRECTORY_MODE } from '../cache-safety.js';
import { type Clock, systemClock } from '../clock.js';
import { aboutOption, UsageError, XccError } from '../errors.js';
import { makeDirectory } from '../fs-atomic.js';
import { type Env, xccHome } from '../home.js';
import { minimumZigVersion } from '../resolve/zig-version.js';
import { zigConfig } from './distribution.js';
import { type InstallEvent, type InstallEventHandler, redactingHandler } from './events.js';
import { currentHostKey, zigHostKey } from './host.js';
import { type LockedArtifacts, type LockedDigest, lockPins } from './locked.js';
import { createHttpClient, type HttpClient, HttpError, offlineSetting } from './net/http.js';
import { type LoadedIndex, loadIndex } from './releases/index-source.js';
import { pinnedCatalog, zigReleases } from './releases/pinned.js';
import {
  findRelease,
  indexCatalog,
  parseVersionSpec,
  resolveVersion,
  type VersionCatalog,
  type VersionSpec,
} from './releases/releases.js';
import { isDevVersion, isZigVersion } from './releases/version.js';
import { communityMirrors, userMirrors } from './sources/mirrors.js';
import type { SourceName } from './sources/names.js';
import { parseWheelName, zigVersionOfPypi } from './sources/pypi.js';
import type { Installed, SourceContext, ZigSource } from './sources/source.js';
import {
  type ArchiveDigest,
  httpArchiveSource,
  localArchiveSource,
  missingSignature,
} from './sources/tarball.js';
import { checkLocalWheel, localWheelSource, pypiWheelSource, type WheelDigest } from './sources/wheel.js';
import {
  type InstallSource,
  isDiskFull,
  openStore,
  recordedDiskUsage,
  type Store,
  type ZigInstall,
} from './store/store.js';
import {
  changedInstallMessage,
  checkExecutable,
  unrecordedInstallMessage,
  verifyInstallFiles,
  writeFilesManifest,
} from './verify/install-manifest.js';
import type { MinisignPublicKey } from './verify/minisign.js';
import { type ExpectedDigest, expectedDigest, trustedPublicKey } from './verify/trust.js';
import { zigExecutable, zigVersionOf } from './verify/zig-binary.js';

/**
 * Provisioning: a version spec in, a verified Zig for this host out. Installed versions are found without
 * touching the network; anything else is resolved (pinned table, then index.json), fetched from the first
 * source that delivers verified bytes, and committed to the cache atomically under a cross-process lock.
 */

export interface EnsureZigOptions {
  /** `0.15.2`, `0.15`, `>=0.14 <0.16`, `latest`, `master`; none: the pinned default. */
  spec?: string;
  env?: Env;
  /** Defaults to `xccHome(env)`. */
  home?: string;
  platform?: NodeJS.Platform;
  arch?: string;
  /** Only these sources, in this order (`--source`). */
  sources?: readonly SourceName[];
  /** A release archive on disk, or a directory holding it, with its `.minisig` beside it. */
  from?: string;
  allowLegacyMinisign?: boolean;
  /**
   * The bytes a lock file pins for this host (`xcc.lock.json`): downloads must match them, and so must
   * the source of a cached install.
   */
  locked?: LockedArtifacts;
  /**
   * Check a cached install file by file against the record made when it was verified (`install --frozen`);
   * otherwise only its zig executable is checked (install-manifest.ts says why).
   */
  verifyFiles?: boolean;
  onEvent?: InstallEventHandler;
  signal?: AbortSignal;
  clock?: Clock;
}

export interface Zig {
  version: string;
  /** The install directory (holds `lib/`). */
  dir: string;
  /** The zig executable. */
  zig: string;
  /** Where it came from: a mirror's name, `ziglang.org`, `pypi`, `file`, `XCC_ZIG`. */
  source: string;
  /** True when nothing was downloaded. */
  cached: boolean;
}

export async function ensureZig(options: EnsureZigOptions = {}): Promise<Zig> {
  const env = options.env ?? process.env;
  const emit = options.onEvent ? redactingHandler(options.onEvent) : () => {};
  if (env.XCC_ZIG) return adoptExisting(env.XCC_ZIG, options.spec, emit);

  const platform = options.platform ?? process.platform;
  const host = zigHostKey(platform, options.arch ?? process.arch);
  const home = options.home ?? xccHome(env);
  const store = openStore({ home, env, platform });
  if (options.from !== undefined && options.sources !== undefined) {
    throw new UsageError(
      "an archive on disk ('from') is installed from there and takes no 'sources'; pass one or the other",
    );
  }
  // Checked before the cache: `--from` names a file to install, and a name that is no file is an error
  // even when the version it would give is installed already.
  const from = options.from === undefined ? undefined : await localFrom(options.from);
  const spec = parseVersionSpec(options.spec ?? (from ? versionInFileName(from.path) : undefined));

  // An exact version that is installed needs neither the index nor the network. With `--from`, what it
  // names is checked first (below), as if it were to be installed: a wrong file is an error either way.
  const known = from === undefined ? exactVersion(spec) : undefined;
  const hit = known === undefined ? undefined : await findInstalled(store, known, platform, emit, options);
  if (hit) return hit;

  const clock = options.clock ?? systemClock;
  const http = createHttpClient({ env, clock, onRetry: (retry) => emit(retryEvent(retry)) });
  try {
    const loaded = await indexIfNeeded(spec, { http, env, home, clock, signal: options.signal });
    const catalog = await catalogFor(loaded, store);
    const { version, warning } = resolveVersion(spec, catalog);
    emit({ type: 'resolved', spec: options.spec ?? 'default', version, ...(warning ? { warning } : {}) });
    if (from === undefined) {
      const installed = await findInstalled(store, version, platform, emit, options);
      if (installed) return installed;
    }
    refuseOffline(env, version, options.from);

    const started = clock.monotonic();
    const sources = await planSources({ version, host, loaded, options, from, http, env, home, clock });
    if (from !== undefined) {
      const installed = await findInstalled(store, version, platform, emit, options);
      if (installed) return installed;
    }
    // A setting the user must fix (a malformed XCC_ZIG_PUBKEY) is refused before anything is staged.
    const publicKey = trustedPublicKey(env);
    const context = { version, host, platform, http, env, emit, signal: options.signal, options, publicKey };
    const { install, built } = await store.ensure(
      version,
      async (stage) => recordFiles(stage, await tryInOrder(sources, stage, store, context), platform),
      {
        signal: options.signal,
        onWait: ({ owner }) => emit({ type: 'waiting', version, pid: owner?.pid, hostname: owner?.hostname }),
      },
    );
    const zig: Zig = {
      version,
      dir: install.dir,
      zig: zigExecutable(install.dir, platform),
      source: install.marker.source,
      cached: !built,
    };
    emit(
      built
        ? {
            type: 'installed',
            version,
            dir: zig.dir,
            source: zig.source,
            durationMs: clock.monotonic() - started,
          }
        : { type: 'cached', version, dir: zig.dir },
    );
    return zig;
  } finally {
    await http.close();
  }
}

function exactVersion(spec: VersionSpec): string | undefined {
  if (spec.kind === 'default') return zigConfig().defaultVersion;
  if (spec.kind === 'exact' || spec.kind === 'dev') return spec.version;
  return undefined;
}

async function findInstalled(
  store: Store,
  version: string,
  platform: NodeJS.Platform,
  emit: InstallEventHandler,
  { locked, verifyFiles }: Pick<EnsureZigOptions, 'locked' | 'verifyFiles'>,
): Promise<Zig | undefined> {
  const install = await store.find(version);
  if (install === undefined) return undefined;
  if (locked && !lockPins(locked, install.marker.sha256)) {
    throw new XccError(
      `the cached Zig ${version} was installed from bytes (sha256 ${install.marker.sha256}) that the lock file does not name; remove it with 'xcc prune --all' and install again`,
    );
  }
  await checkInstallFiles(install, verifyFiles === true);
  await store.markUsed(version);
  emit({ type: 'cached', version, dir: install.dir });
  return {
    version,
    dir: install.dir,
    zig: zigExecutable(install.dir, platform),
    source: install.marker.source,
    cached: true,
  };
}

/** A cached install is used only while it is what was verified: its executable always, every file if asked. */
async function checkInstallFiles(install: ZigInstall, full: boolean): Promise<void> {
  const { version, dir, marker } = install;
  if (!full) {
    const change = await checkExecutable(dir, marker.files);
    if (change !== undefined) throw new XccError(changedInstallMessage(version, dir, [change]));
    return;
  }
  const verdict = await verifyInstallFiles(dir, marker);
  if (verdict.kind === 'changed')
    throw new XccError(changedInstallMessage(version, dir, verdict.differences));
  if (verdict.kind === 'unrecorded')
    throw new XccError(unrecordedInstallMessage(version, dir, verdict.reason));
}

/**
 * The pinned table answers the default and exact pinned versions by itself; everything else (minor
 * versions, ranges, latest, master, unpinned releases) and any private index needs index.json.
 */
async function indexIfNeeded(
  spec: VersionSpec,
  options: { http: HttpClient; env: Env; home: string; clock: Clock; signal?: AbortSignal },
): Promise<LoadedIndex> {
  const exact = exactVersion(spec);
  const pinned = exact !== undefined && zigReleases().index[exact] !== undefined;
  if (pinned && !options.env.XCC_ZIG_INDEX)
    return { index: undefined, privateIndex: false, problem: undefined };
  if (offlineSetting(options.env) !== undefined && !options.env.XCC_ZIG_INDEX?.match(/^https?:/i)) {
    // Offline: a private index on disk can still be read; the official one comes from the text cache.
    return loadIndex(options).catch(() => ({ index: undefined, privateIndex: false, problem: 'offline' }));
  }
  return loadIndex(options);
}

/** What versions exist: the index (plus the pinned table, unless the index is private), plus what is installed. */
async function catalogFor(loaded: LoadedIndex, store: Store): Promise<VersionCatalog> {
  const installed = (await store.list()).map((install) => install.version).filter((v) => !isDevVersion(v));
  const fromIndex = loaded.index ? indexCatalog(loaded.index) : { releases: [], master: undefined };
  const releases = loaded.privateIndex
    ? fromIndex.releases
    : [...fromIndex.releases, ...pinnedCatalog(zigReleases()).releases];
  return { releases: [...new Set([...releases, ...installed])], master: fromIndex.master };
}

function refuseOffline(env: Env, version: string, from: string | undefined): void {
  const setting = offlineSetting(env);
  if (setting === undefined || from !== undefined) return;
  throw new XccError(
    `Zig ${version} is not installed and xcc is offline (${setting}): run 'xcc install ${version}' once while online, or install a downloaded archive with 'xcc install --from <file>'`,
  );
}

interface PlanInput {
  version: string;
  host: string;
  loaded: LoadedIndex;
  options: EnsureZigOptions;
  from: LocalFrom | undefined;
  http: HttpClient;
  env: Env;
  home: string;
  clock: Clock;
}

/** The sources to try, in order, each already knowing which bytes it must deliver. */
async function planSources(input: PlanInput): Promise<ZigSource[]> {
  const { version, host, loaded, options, from } = input;
  const trust = { pinned: zigReleases(), index: loaded.index, privateIndex: loaded.privateIndex };
  const archiveDigest = () =>
    withLock(expectedDigest({ version, host, source: 'tarball' }, trust), options.locked) as ArchiveDigest;
  const wheelDigest = () =>
    withLock(expectedDigest({ version, host, source: 'pypi' }, trust), options.locked?.pypi) as WheelDigest;
  if (from !== undefined) return [await localSource(from, { version, host, archiveDigest, wheelDigest })];

  const archive = archiveDigest();
  const wheel = wheelDigest();
  const explicit = options.sources !== undefined;
  const mirrors = userMirrors(input.env);
  const names = options.sources ?? (mirrors ? ['mirror', 'pypi'] : ['mirror', 'ziglang.org', 'pypi']);
  const sources: ZigSource[] = [];
  for (const name of names) {
    if (name === 'mirror') {
      const bases = mirrors ?? (await communityMirrors({ ...input, signal: options.signal }));
      sources.push(...bases.map((base) => mirrorSource(base, archive)));
    } else if (name === 'ziglang.org') {
      sources.push(officialSource(version, archive));
    } else if (wheel.kind === 'sha256' || explicit) {
      sources.push(pypiWheelSource(wheel));
    }
  }
  if (sources.length === 0) {
    const reason = wheel.kind === 'unpinned-wheel' ? wheel.reason : 'none selected';
    throw new XccError(
      (spelling) =>
        `no source can provide Zig ${version} for ${host}: ${reason}; ${spelling === undefined ? "choose the 'pypi' source alone" : `pass ${spelling} pypi`} to use an unpinned wheel`,
      { option: 'sources' },
    );
  }
  return sources;
}

/**
 * A lock file's hash is one more claim about the same bytes: it must agree with what xcc's pinned table or
 * the index says, and it vouches alone where they say nothing (an unpinned wheel, a dev build).
 */
function withLock(expected: ExpectedDigest, locked: LockedDigest | undefined): ExpectedDigest {
  if (locked === undefined) return expected;
  if (
    expected.kind === 'sha256' &&
    (expected.sha256 !== locked.sha256 || expected.size !== locked.size || expected.file !== locked.file)
  ) {
    throw new XccError(
      `the lock file pins ${locked.file} (sha256 ${locked.sha256}, ${locked.size} bytes), but ${expected.vouchedBy} says ${expected.file} (sha256 ${expected.sha256}, ${expected.size} bytes); if the lock is older than a re-release, run 'xcc lock' again`,
    );
  }
  const url = expected.kind === 'sha256' ? expected.url : undefined;
  return {
    kind: 'sha256',
    file: locked.file,
    sha256: locked.sha256,
    size: locked.size,
    url,
    vouchedBy: 'lock',
  };
}

function mirrorSource(base: string, archive: ArchiveDigest): ZigSource {
  // `?source=` tells mirror operators which tool asks (ziglang.org's mirror guidelines encourage it).
  return httpArchiveSource({
    name: new URL(base).host,
    kind: 'mirror',
    fileUrl: `${base}/${archive.file}?source=xcc`,
    signatureUrl: `${base}/${archive.file}.minisig?source=xcc`,
    expected: archive,
  });
}

function officialSource(version: string, archive: ArchiveDigest): ZigSource {
  const { release, dev } = zigConfig().downloadUrls;
  const base = isDevVersion(version) ? dev : `${release}/${version}`;
  return httpArchiveSource({
    name: 'ziglang.org',
    kind: 'ziglang.org',
    fileUrl: `${base}/${archive.file}`,
    signatureUrl: `${base}/${archive.file}.minisig`,
    expected: archive,
  });
}

/** What `--from` names: a release archive or a `ziglang` wheel, or a directory holding one. */
interface LocalFrom {
  path: string;
  isDirectory: boolean;
}

async function localFrom(from: string): Promise<LocalFrom> {
  const info = await stat(from).catch(() => {
    throw new UsageError(aboutOption(from, 'no such file or directory'), { option: 'from' });
  });
  return { path: from, isDirectory: info.isDirectory() };
}

/**
 * The source for `--from`. A wheel is checked against its pinned hash (it has no signature); an archive
 * against its hash and the `.minisig` beside it. A directory may hold either: the archive is looked for
 * first, then the pinned wheel (where `pip download ziglang==<version> --no-deps` puts it).
 */
async function localSource(
  from: LocalFrom,
  plan: { version: string; host: string; archiveDigest: () => ArchiveDigest; wheelDigest: () => WheelDigest },
): Promise<ZigSource> {
  const wheelIn = (file: string) =>
    localWheelSource(file, checkLocalWheel(file, plan.wheelDigest(), plan.version, plan.host));
  if (!from.isDirectory && from.path.endsWith('.whl')) return wheelIn(from.path);
  const archive = plan.archiveDigest();
  const file = from.isDirectory ? path.join(from.path, archive.file) : from.path;
  if (path.basename(file) !== archive.file) {
    throw new UsageError(
      aboutOption(from.path, `this host needs ${archive.file}; pass that file (with its .minisig beside it)`),
      { option: 'from' },
    );
  }
  if (await isFile(file)) {
    if (!(await isFile(`${file}.minisig`))) throw missingSignature(file);
    return localArchiveSource(file, archive);
  }
  const wheel = plan.wheelDigest();
  if (wheel.kind === 'sha256' && (await isFile(path.join(from.path, wheel.file)))) {
    return wheelIn(path.join(from.path, wheel.file));
  }
  throw new UsageError(
    aboutOption(
      from.path,
      `${archive.file} is not in that directory; download it (and its .minisig) there, or pass the file itself`,
    ),
    { option: 'from' },
  );
}

async function isFile(file: string): Promise<boolean> {
  return (await stat(file).catch(() => undefined))?.isFile() === true;
}

/**
 * The Zig version a release archive's or a `ziglang` wheel's name carries (`zig-x86_64-linux-0.15.2.tar.xz`,
 * `ziglang-0.13.0.post1-py3-none-macosx_12_0_arm64.whl`).
 */
function versionInFileName(from: string): string | undefined {
  const name = path.basename(from);
  const wheel = parseWheelName(name);
  if (wheel?.project === zigConfig().pypi.project) return zigVersionOfPypi(wheel.version);
  const match = /-(\d+\.\d+\.\d+(?:-dev\.\d+\+[0-9a-f]+)?)\.(?:tar\.xz|zip)$/.exec(name);
  return match?.[1];
}

interface TryContext {
  version: string;
  host: string;
  platform: NodeJS.Platform;
  http: HttpClient;
  env: Env;
  emit: InstallEventHandler;
  signal: AbortSignal | undefined;
  options: EnsureZigOptions;
  publicKey: MinisignPublicKey;
}

/** Each source in turn into a clean stage; the first that verifies wins. The error lists them all. */
async function tryInOrder(sources: ZigSource[], stage: string, store: Store, context: TryContext) {
  const failures: string[] = [];
  for (const source of sources) {
    const scratch = await store.stage();
    const sourceContext: SourceContext = {
      ...context,
      scratch,
      allowLegacyMinisign: context.options.allowLegacyMinisign ?? false,
    };
    try {
      return await source.install(stage, sourceContext);
    } catch (error) {
      // A local archive is the only source: its own error says what is wrong; network advice would mislead.
      if (context.signal?.aborted || !isSourceFailure(error) || context.options.from !== undefined)
        throw error;
      const reason = (error as Error).message.replace(/\s*\n\s*/g, ' ');
      failures.push(`  ${source.name}: ${reason}`);
      context.emit({
        type: 'source-failed',
        source: source.name,
        kind: source.kind,
        reason,
        unreachable: isUnreachable(error),
      });
      await rm(stage, { recursive: true, force: true });
      await makeDirectory(stage, CACHE_DIRECTORY_MODE);
    } finally {
      await store.discard(scratch);
    }
  }
  throw new XccError(
    `could not install Zig ${context.version} for ${context.host}; every source failed:\n${failures.join('\n')}\nCheck the network and proxy settings (HTTPS_PROXY), point XCC_ZIG_MIRROR at a mirror you can reach, or install a downloaded archive with 'xcc install --from <file>'`,
  );
}

/** The last step before the commit: the files as they were verified, for later checks (install-manifest.ts). */
async function recordFiles(
  stage: string,
  { source, files }: Installed,
  platform: NodeJS.Platform,
): Promise<InstallSource> {
  const executable = path.basename(zigExecutable(stage, platform));
  const summary = await writeFilesManifest(stage, {
    archiveSha256: source.sha256,
    executable,
    entries: files,
  });
  return { ...source, files: summary, bytes: await recordedDiskUsage(stage, files) };
}

/**
 * A source's own failure (network, verification, a broken archive), as opposed to a bug in xcc, a bad
 * setting (exit code 2: every source would meet it again) or a full disk (no other source fits either).
 */
function isSourceFailure(error: unknown): boolean {
  if (error instanceof XccError) return error.exitCode !== 2;
  return (
    error instanceof Error && typeof (error as NodeJS.ErrnoException).code === 'string' && !isDiskFull(error)
  );
}

/** No connection or no answer in time: what every source meets offline or behind a firewall. */
function isUnreachable(error: unknown): boolean {
  return error instanceof HttpError && (error.failure === 'network' || error.failure === 'timeout');
}

function retryEvent(retry: { url: string; attempt: number; delayMs: number; error: Error }): InstallEvent {
  return {
    type: 'retry',
    source: new URL(retry.url).host,
    url: retry.url,
    attempt: retry.attempt,
    delayMs: retry.delayMs,
    reason: retry.error.message,
  };
}

/**
 * XCC_ZIG: a Zig the user already has (a distro package, a CI image). It is used as is, once
 * `zig version` shows it is a supported version that satisfies the spec.
 */
async function adoptExisting(
  zigPath: string,
  specText: string | undefined,
  emit: InstallEventHandler,
): Promise<Zig> {
  const zig = await realpath(zigPath).catch(() => {
    throw new UsageError(`XCC_ZIG=${zigPath}: no such file; point it at a zig executable or unset it`);
  });
  const notZig = (what: string, cause?: unknown) =>
    new UsageError(`XCC_ZIG=${zigPath} ${what}; point it at a zig executable or unset it`, { cause });
  const version = await zigVersionOf(zig).catch((error: unknown) => {
    throw notZig(`does not run as zig (${(error as Error).message})`, error);
  });
  if (!isZigVersion(version)) throw notZig(`printed ${JSON.stringify(version)} for 'zig version'`);
  const minimumVersion = minimumZigVersion();
  const plain = semver.coerce(version)?.version;
  if (plain === undefined || semver.lt(plain, minimumVersion)) {
    throw new XccError(`XCC_ZIG=${zigPath} is Zig ${version}; xcc needs ${minimumVersion} or newer`);
  }
  if (specText !== undefined && !satisfies(version, parseVersionSpec(specText))) {
    throw new XccError(
      `XCC_ZIG=${zigPath} is Zig ${version}, which does not match "${specText}"; unset XCC_ZIG or ask for ${version}`,
    );
  }
  emit({ type: 'cached', version, dir: path.dirname(zig) });
  return { version, dir: path.dirname(zig), zig, source: 'XCC_ZIG', cached: true };
}

function satisfies(version: string, spec: VersionSpec): boolean {
  switch (spec.kind) {
    case 'default':
    case 'latest':
      return true;
    case 'exact':
    case 'dev':
      return version === spec.version;
    case 'minor':
      return version.startsWith(`${spec.minor}.`);
    case 'range':
      return semver.satisfies(version, spec.range, { includePrerelease: true });
    case 'master':
      return isDevVersion(version);
  }
}

/**
 * What `xcc lock` records: the version a spec resolves to and, for every host it has a build for, the
 * archive and the PyPI wheel with their sizes and hashes (from the pinned table or the index).
 */
export async function releaseArtifacts(
  options: Pick<EnsureZigOptions, 'spec' | 'env' | 'home' | 'signal' | 'clock'>,
): Promise<{ version: string; hosts: Record<string, LockedArtifacts> }> {
  const env = options.env ?? process.env;
  const home = options.home ?? xccHome(env);
  const clock = options.clock ?? systemClock;
  const http = createHttpClient({ env, clock });
  try {
    const spec = parseVersionSpec(options.spec);
    const loaded = await indexIfNeeded(spec, { http, env, home, clock, signal: options.signal });
    const { version } = resolveVersion(spec, await catalogFor(loaded, openStore({ home, env })));
    const trust = { pinned: zigReleases(), index: loaded.index, privateIndex: loaded.privateIndex };
    const indexHosts = Object.keys((loaded.index && findRelease(loaded.index, version))?.hosts ?? {});
    const pinnedHosts = loaded.privateIndex ? [] : Object.keys(trust.pinned.index[version] ?? {});
    const hosts: Record<string, LockedArtifacts> = {};
    for (const host of new Set([...indexHosts, ...pinnedHosts].map((key) => currentHostKey(key)))) {
      const archive = expectedDigest({ version, host, source: 'tarball' }, trust);
      if (archive.kind !== 'sha256') continue;
      const wheel = expectedDigest({ version, host, source: 'pypi' }, trust);
      hosts[host] = {
        file: archive.file,
        size: archive.size,
        sha256: archive.sha256,
        ...(wheel.kind === 'sha256'
          ? { pypi: { file: wheel.file, size: wheel.size, sha256: wheel.sha256 } }
          : {}),
      };
    }
    return { version, hosts };
  } finally {
    await http.close();
  }
}
