import { execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync, readFileSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { finished } from 'node:stream/promises';
import { promisify } from 'node:util';
import semver from 'semver';
import { withDirLock } from './dir-lock.js';
import {
  generateMinisignKey,
  keyIdDisplay,
  type MinisignKey,
  parseMinisignKey,
  publicKeyFileText,
  serializeMinisignKey,
  signFile,
} from './minisign.js';
import { projectRoot } from './paths.js';

/**
 * The test Zig: a real Zig for this host, taken from the PyPI `ziglang` wheel (ziglang.org is not
 * reachable from tests or CI), repacked into the official release layout and signed with a throwaway
 * minisign key. Loopback servers (mirror-server.ts) serve it the way ziglang.org and its community
 * mirrors do, and tests give xcc the throwaway public key through its public-key override.
 *
 * Everything is cached under `test/.cache/` (or `$XCC_TEST_CACHE`), keyed by the wheel's sha256 and
 * the repack recipe, so only the first run pays for the download and the xz compression.
 *
 * `prepareTestZig` is called by the suite's global setup (global-setup.ts), which hands the result to
 * every test (tests read it through provided-zig.ts, never by preparing it themselves), and by the scripts
 * that run outside vitest (bench, prepare-test-zig, python-mirror-installs).
 */

/** One signed tarball as a mirror serves it. */
export interface ZigArtifact {
  /** The version the file name claims: what the index lists and what a client asks for. */
  version: string;
  /** What `zig version` in the tarball prints: differs from `version` for `misnamed`, null without a zig. */
  zigVersion: string | null;
  /** index.json host key, `<arch>-<os>`. */
  hostKey: string;
  /** `zig-x86_64-linux-0.15.2.tar.xz`; the archive's single top-level directory is this minus `.tar.xz`. */
  fileName: string;
  path: string;
  sha256: string;
  size: number;
  /** `<path>.minisig`, signed by the test key with the trusted comment Zig uses. */
  signaturePath: string;
}

export interface TestZig {
  version: string;
  hostKey: string;
  /** Directory holding everything below; never modify anything in it from a test. */
  dir: string;
  /** The extracted official layout (what an install of `release` contains), usable as a real Zig. */
  install: { dir: string; zig: string };
  wheel: { path: string; fileName: string; sha256: string; size: number };
  /** The throwaway minisign key: `publicKey` is what tests pass to xcc (`XCC_ZIG_PUBKEY`). */
  key: { publicKey: string; keyId: string; publicKeyFile: string; secretKeyFile: string };
  /** The honest tarball of `version`. */
  release: ZigArtifact;
  /** Attack variants, validly signed by the test key (so only later checks can catch them). */
  variants: {
    /** The `version` tarball repacked under the previous patch version's name (0.15.2 sold as 0.15.1). */
    misnamed: ZigArtifact;
    /** A small tarball named as the previous minor's .0 (old file naming before 0.14.1) whose
     * second member is `<root>/../../xcc-escaped.txt`. */
    escaping: ZigArtifact;
  };
}

/** Raised when the wheel cannot be fetched (no network): tests that need the test Zig skip or fail. */
export class TestZigUnavailableError extends Error {
  override name = 'TestZigUnavailableError';
}

export interface PrepareOptions {
  version?: string;
  cacheDir?: string;
  /** PEP 503 index to take the wheel from (and its sha256); default: `$PIP_INDEX_URL`, else PyPI. */
  indexUrl?: string;
  /** Progress lines for the CLI; silent by default. */
  log?: (line: string) => void;
}

const PYPI_SIMPLE = 'https://pypi.org/simple/';

/**
 * Part of the cache key: any change to the repack's output must change this. xz `-0 -T2`, measured on
 * the 358 MB tar of 0.15.2 (xz 5.4): 72.7 MB for 22 s of CPU, against 67.0 MB / 35 s at `-1` (the
 * official tarball, 53.7 MB, costs several times more). A fixed `-T2` (not `-T0`) keeps xz in its
 * multi-threaded block format on any machine, so the bytes never depend on the core count.
 */
const RECIPE = { revision: 1, xz: ['-0', '-T2'], mtime: 315532800 } as const;

export function testCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return path.resolve(env.XCC_TEST_CACHE || path.join(projectRoot, 'test', '.cache'));
}

/** Zig's build cache for every test that compiles (kept with the test cache: a cold libc build takes minutes). */
export function testZigBuildCache(): string {
  return path.join(testCacheDir(), 'zig-cache');
}

/** The version xcc pins (toolchains/zig.json `defaultVersion`) once that file exists; 0.15.2 until then. */
export function defaultZigVersion(): string {
  const file = path.join(projectRoot, 'toolchains', 'zig.json');
  if (!existsSync(file)) return '0.15.2';
  return (JSON.parse(readFileSync(file, 'utf8')) as { defaultVersion: string }).defaultVersion;
}

export interface Host {
  hostKey: string;
  /** One platform tag of the wheel zig-pypi builds for this host (its `ZIG_PYTHON_PLATFORMS`). */
  wheelPlatform: string;
}

const HOSTS: Record<string, Host> = {
  'linux-x64': { hostKey: 'x86_64-linux', wheelPlatform: 'manylinux_2_12_x86_64' },
  'linux-arm64': { hostKey: 'aarch64-linux', wheelPlatform: 'manylinux_2_17_aarch64' },
  'darwin-x64': { hostKey: 'x86_64-macos', wheelPlatform: 'macosx_12_0_x86_64' },
  'darwin-arm64': { hostKey: 'aarch64-macos', wheelPlatform: 'macosx_12_0_arm64' },
};

export function testZigHost(platform: string = process.platform, arch: string = process.arch): Host {
  const host = HOSTS[`${platform}-${arch}`];
  // Windows releases are .zip archives; the repack below only produces the .tar.xz layout.
  if (!host)
    throw new Error(`the test Zig can be built on ${Object.keys(HOSTS).join(', ')}, not ${platform}-${arch}`);
  return host;
}

/** Official tarball name: `zig-<arch>-<os>-<v>` since 0.14.1, `zig-<os>-<arch>-<v>` before. */
export function zigTarballName(version: string, hostKey: string): string {
  const [arch, os] = hostKey.split('-');
  const parts = semver.lt(version, '0.14.1') ? [os, arch] : [arch, os];
  return `zig-${parts.join('-')}-${version}.tar.xz`;
}

export async function prepareTestZig(options: PrepareOptions = {}): Promise<TestZig> {
  const version = options.version ?? defaultZigVersion();
  const cacheDir = options.cacheDir ?? testCacheDir();
  const log = options.log ?? (() => {});
  const host = testZigHost();
  const wheel = await ensureWheel({
    cacheDir,
    version,
    host,
    indexUrl: options.indexUrl ?? (process.env.PIP_INDEX_URL || PYPI_SIMPLE),
    log,
  });
  const digest = sha256Hex(JSON.stringify({ wheel: wheel.sha256, RECIPE })).slice(0, 12);
  const dir = path.join(cacheDir, 'test-zig', `${version}-${host.hostKey}-${digest}`);
  const cached = await readManifest(dir, cacheDir);
  if (cached) return cached;
  return withDirLock(`${dir}.lock`, async () => {
    const again = await readManifest(dir, cacheDir);
    if (again) return again;
    await removeLeftovers(dir);
    const partial = await mkdtemp(`${dir}.partial-`);
    await chmod(partial, 0o755);
    try {
      const zig = await buildTestZig({ dir, partial, version, host, wheel, log });
      const manifest = relocate(zig, cacheDir, CACHE_TOKEN);
      await writeFile(path.join(partial, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
      await rename(partial, dir);
      return zig;
    } finally {
      await rm(partial, { recursive: true, force: true });
    }
  });
}

/** The key that signed the test Zig, for tests that sign something else with it (`signFile`). */
export async function testZigKey(zig: TestZig): Promise<MinisignKey> {
  return parseMinisignKey(await readFile(zig.key.secretKeyFile, 'utf8'));
}

/** Partial builds of a killed run; only called with the lock held, so none of them is in progress. */
async function removeLeftovers(dir: string): Promise<void> {
  const parent = path.dirname(dir);
  const prefix = `${path.basename(dir)}.partial-`;
  const names = await readdir(parent).catch(() => []);
  await Promise.all(
    names
      .filter((name) => name.startsWith(prefix))
      .map((name) => rm(path.join(parent, name), { recursive: true })),
  );
}

/**
 * The manifest is written last, inside the directory before its rename: a manifest means complete. Its
 * paths are stored relative to the cache directory, so a cache that CI restores elsewhere still works.
 */
async function readManifest(dir: string, cacheDir: string): Promise<TestZig | undefined> {
  try {
    const manifest = JSON.parse(await readFile(path.join(dir, 'manifest.json'), 'utf8')) as TestZig;
    return relocate(manifest, CACHE_TOKEN, cacheDir);
  } catch {
    return undefined;
  }
}

const CACHE_TOKEN = '$XCC_TEST_CACHE';

/** Every string of `value` that starts with `from` gets `to` instead. */
function relocate<T>(value: T, from: string, to: string): T {
  return JSON.parse(
    JSON.stringify(value, (_key, item) =>
      typeof item === 'string' && item.startsWith(from) ? to + item.slice(from.length) : item,
    ),
  ) as T;
}

export interface Wheel {
  path: string;
  fileName: string;
  sha256: string;
  size: number;
}

export interface WheelRequest {
  cacheDir: string;
  version: string;
  host: Host;
  indexUrl: string;
  log?: (line: string) => void;
}

/** The wheel, downloaded once with pip and checked against the sha256 the package index publishes. */
export async function ensureWheel(request: WheelRequest): Promise<Wheel> {
  const { cacheDir, version, host, log = () => {} } = request;
  const wheelsDir = path.join(cacheDir, 'wheels');
  const recordFile = path.join(wheelsDir, `ziglang-${version}-${host.wheelPlatform}.json`);
  const recorded = await readWheelRecord(recordFile);
  if (recorded) return recorded;
  return withDirLock(`${recordFile}.lock`, async () => {
    const again = await readWheelRecord(recordFile);
    if (again) return again;
    const listed = await findWheel(request);
    await mkdir(wheelsDir, { recursive: true });
    const scratch = await mkdtemp(path.join(wheelsDir, '.pip-'));
    try {
      log(`pip download ${listed.fileName}`);
      await pipDownload(request, scratch);
      const downloaded = path.join(scratch, listed.fileName);
      const sha256 = await fileSha256(downloaded);
      if (sha256 !== listed.sha256) {
        throw new Error(`${listed.fileName}: sha256 ${sha256} differs from the index's ${listed.sha256}`);
      }
      const wheel = {
        ...listed,
        path: path.join(wheelsDir, listed.fileName),
        size: (await stat(downloaded)).size,
      };
      await rename(downloaded, wheel.path);
      await writeFile(recordFile, `${JSON.stringify(wheel, null, 2)}\n`);
      return wheel;
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
  });
}

async function readWheelRecord(recordFile: string): Promise<Wheel | undefined> {
  try {
    const wheel = JSON.parse(await readFile(recordFile, 'utf8')) as Wheel;
    return (await stat(wheel.path)).size === wheel.size ? wheel : undefined;
  } catch {
    return undefined;
  }
}

/** Reads the PEP 503 page of `ziglang` for the wheel's name and `#sha256=` (pip checks it too). */
async function findWheel({ indexUrl, version, host }: WheelRequest): Promise<Omit<Wheel, 'path' | 'size'>> {
  const pageUrl = new URL('ziglang/', indexUrl.endsWith('/') ? indexUrl : `${indexUrl}/`);
  let html: string;
  try {
    const response = await fetch(pageUrl, { signal: AbortSignal.timeout(30_000) });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    html = await response.text();
  } catch (error) {
    const cause = (error as Error).cause as NodeJS.ErrnoException | undefined;
    const detail = `${(error as Error).message}${cause ? ` (${cause.code ?? cause.message})` : ''}`;
    throw new TestZigUnavailableError(`cannot read ${pageUrl}: ${detail}`, { cause: error });
  }
  const wheel = parseSimpleIndex(html).find(
    (link) =>
      link.fileName.startsWith(`ziglang-${version}-`) &&
      link.fileName.endsWith('.whl') &&
      link.fileName.split('-').at(-1)?.split('.').includes(host.wheelPlatform),
  );
  if (!wheel?.sha256)
    throw new Error(`${pageUrl} lists no ziglang ${version} wheel for ${host.wheelPlatform}`);
  return { fileName: wheel.fileName, sha256: wheel.sha256 };
}

export interface SimpleIndexLink {
  fileName: string;
  url: string;
  sha256: string | undefined;
}

/** The anchors of a PEP 503 project page: file name, URL without fragment, `#sha256=` when present. */
export function parseSimpleIndex(html: string): SimpleIndexLink[] {
  return [...html.matchAll(/<a\s[^>]*href="([^"]+)"[^>]*>([^<]+)<\/a>/g)].map(([, href = '', text = '']) => {
    const [url = '', fragment = ''] = decodeEntities(href).split('#');
    return { fileName: text.trim(), url, sha256: /^sha256=([0-9a-f]{64})$/.exec(fragment)?.[1] };
  });
}

function decodeEntities(text: string): string {
  return text.replaceAll('&amp;', '&').replaceAll('&quot;', '"').replaceAll('&#x27;', "'");
}

async function pipDownload({ version, host, indexUrl }: WheelRequest, dest: string): Promise<void> {
  const args = ['-m', 'pip', 'download', `ziglang==${version}`, '--no-deps', '--only-binary=:all:'];
  args.push('--platform', host.wheelPlatform, '--index-url', indexUrl, '--retries', '1', '--timeout', '60');
  args.push('--disable-pip-version-check', '-d', dest);
  try {
    await promisify(execFile)('python3', args, { maxBuffer: 16 << 20 });
  } catch (error) {
    const stderr = String((error as { stderr?: string }).stderr ?? '').trim();
    const last = stderr.split('\n').at(-1) || (error as Error).message;
    throw new TestZigUnavailableError(`pip download ziglang==${version} failed: ${last}`, { cause: error });
  }
}

interface BuildRequest {
  dir: string;
  partial: string;
  version: string;
  host: Host;
  wheel: Wheel;
  log: (line: string) => void;
}

/** Everything is written under `partial` but records paths under `dir`, its name after the rename. */
async function buildTestZig({ dir, partial, version, host, wheel, log }: BuildRequest): Promise<TestZig> {
  const key = generateMinisignKey();
  await writeFile(path.join(partial, 'minisign.pub'), publicKeyFileText(key));
  await writeFile(path.join(partial, 'minisign-key.json'), serializeMinisignKey(key), { mode: 0o600 });
  const rootName = archiveRoot(zigTarballName(version, host.hostKey));
  log(`unzip ${wheel.fileName}`);
  await unpackWheel(wheel.path, path.join(partial, rootName));
  await mkdir(path.join(partial, 'release'));
  const artifact = async (
    claimed: string,
    zigVersion: string | null,
    source: string,
    transforms: string[],
  ) => {
    const fileName = zigTarballName(claimed, host.hostKey);
    log(`tar | xz ${RECIPE.xz.join(' ')} > ${fileName}`);
    const file = path.join(partial, 'release', fileName);
    await repack(partial, source, transforms, file);
    await writeFile(`${file}.minisig`, await signFile(file, { key }));
    const finalPath = path.join(dir, 'release', fileName);
    const [{ size }, sha256] = await Promise.all([stat(file), fileSha256(file)]);
    const signaturePath = `${finalPath}.minisig`;
    return {
      version: claimed,
      zigVersion,
      hostKey: host.hostKey,
      fileName,
      path: finalPath,
      sha256,
      size,
      signaturePath,
    };
  };
  const misnamedVersion = previousPatch(version);
  const misnamedRoot = archiveRoot(zigTarballName(misnamedVersion, host.hostKey));
  const escapingVersion = previousMinor(version);
  const escapingRoot = archiveRoot(zigTarballName(escapingVersion, host.hostKey));
  await writeEscapingTree(path.join(partial, 'escaping'));
  const release = await artifact(version, version, rootName, []);
  const misnamed = await artifact(misnamedVersion, version, rootName, [`s,^${rootName},${misnamedRoot},`]);
  const escaping = await artifact(escapingVersion, null, 'escaping', [
    `s,^escaping/escape\\.txt$,${escapingRoot}/../../xcc-escaped.txt,`,
    `s,^escaping,${escapingRoot},`,
  ]);
  await rm(path.join(partial, 'escaping'), { recursive: true });
  return {
    version,
    hostKey: host.hostKey,
    dir,
    install: { dir: path.join(dir, rootName), zig: path.join(dir, rootName, 'zig') },
    wheel,
    key: {
      publicKey: key.publicKey,
      keyId: keyIdDisplay(key.keyId),
      publicKeyFile: path.join(dir, 'minisign.pub'),
      secretKeyFile: path.join(dir, 'minisign-key.json'),
    },
    release,
    variants: { misnamed, escaping },
  };
}

/** 0.15.2 → 0.15.1; a .0 release borrows the previous minor's .9 (the name only has to be plausible). */
function previousPatch(version: string): string {
  const { major, minor, patch } = semver.parse(version)!;
  return patch > 0 ? `${major}.${minor}.${patch - 1}` : `${major}.${minor - 1}.9`;
}

function previousMinor(version: string): string {
  const { major, minor } = semver.parse(version)!;
  return `${major}.${minor - 1}.0`;
}

/**
 * The wheel's `ziglang/` folder is the release archive minus its top directory and `doc/`, plus
 * `__init__.py`/`__main__.py` (ziglang/zig-pypi make_wheels.py). System `unzip` keeps the modes the
 * wheel records (measured: 15 s against 50 s for a streaming unzip in Node).
 */
async function unpackWheel(wheelPath: string, dest: string): Promise<void> {
  const scratch = `${dest}.unzip`;
  await run('unzip', [
    '-q',
    wheelPath,
    'ziglang/*',
    '-x',
    'ziglang/__init__.py',
    'ziglang/__main__.py',
    '-d',
    scratch,
  ]);
  await rename(path.join(scratch, 'ziglang'), dest);
  await rm(scratch, { recursive: true });
  // zig-pypi stores the binary's mode (0755) in the wheel; make sure, in case an unzip ignored it.
  await chmod(path.join(dest, 'zig'), 0o755);
}

function archiveRoot(fileName: string): string {
  return fileName.replace(/\.tar\.xz$/, '');
}

/**
 * `tar | xz` with GNU tar's reproducibility options: sorted names, one mtime, root owner, normalised
 * modes, so the same wheel always gives the same bytes. `transforms` rename members (sed syntax);
 * `--absolute-names` keeps a `..` that a transform puts in a name instead of stripping it.
 */
export async function repack(
  parent: string,
  source: string,
  transforms: string[],
  outFile: string,
): Promise<void> {
  const tarArgs = ['-C', parent, '--sort=name', `--mtime=@${RECIPE.mtime}`, '--owner=0', '--group=0'];
  tarArgs.push('--numeric-owner', '--mode=u=rwX,go=rX', '--format=gnu', '--absolute-names');
  tarArgs.push(...transforms.map((expression) => `--transform=${expression}`), '-cf', '-', source);
  const tar = spawn('tar', tarArgs, { stdio: ['ignore', 'pipe', 'pipe'] });
  const xz = spawn('xz', [...RECIPE.xz, '-c'], { stdio: ['pipe', 'pipe', 'pipe'] });
  const out = createWriteStream(outFile);
  tar.stdout.pipe(xz.stdin);
  xz.stdout.pipe(out);
  await Promise.all([exited(tar, 'tar'), exited(xz, 'xz'), finished(out)]);
}

/** Two members: a README, then `escape.txt`, which repack() renames to `<root>/../../xcc-escaped.txt`. */
async function writeEscapingTree(tree: string): Promise<void> {
  await mkdir(tree);
  await writeFile(path.join(tree, 'README.md'), 'This archive tries to write outside its directory.\n');
  await writeFile(path.join(tree, 'escape.txt'), 'written outside the extraction directory\n');
}

function exited(child: ReturnType<typeof spawn>, name: string): Promise<void> {
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve();
      else reject(new Error(`${name} exited with ${code}: ${stderr.trim()}`));
    });
  });
}

async function run(command: string, args: string[]): Promise<void> {
  await exited(spawn(command, args, { stdio: ['ignore', 'ignore', 'pipe'] }), command);
}

export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

export async function fileSha256(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}
