import { existsSync } from 'node:fs';
import { chmod, cp, mkdtemp, readFile, rm, stat, symlink, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cacheLayout } from '../../src/home.js';
import { zigConfig } from '../../src/zig/distribution.js';
import { releaseFileName } from '../../src/zig/host.js';
import { zigReleases } from '../../src/zig/releases/pinned.js';
import { formatKeyId, parsePublicKey } from '../../src/zig/verify/minisign.js';
import { runXcc } from '../support/cli.js';
import {
  generateMinisignKey,
  type MinisignKey,
  parseMinisignKey,
  serializeMinisignKey,
  signFile,
} from '../support/minisign.js';
import { type Body, type Fault, type MirrorServer, startMirrorServer } from '../support/mirror-server.js';
import { fixturesDir } from '../support/paths.js';
import { needTestZig, providedTestZig } from '../support/provided-zig.js';
import { type PypiServer, startPypiServer } from '../support/pypi-server.js';
import { cacheState, lines, recordCategory } from '../support/reliability.js';
import { type TestZig, testZigKey, type ZigArtifact } from '../support/test-zig.js';
import { fakeZigMembers, writeZigArchive, zigScript } from '../support/zig-archives.js';
import { zigIndex } from '../support/zig-mirror.js';

/**
 * Bytes that are not what the trusted index and key vouch for, served by the only mirror xcc may use.
 * Each case must be refused with its own message (asserted), before anything reaches the cache: the
 * signature and hashes are checked before extraction, `zig version` before the commit.
 */

recordCategory(
  'tampering',
  'Tampering',
  "A flipped byte (caught by sha256, and by minisign alone for a dev build), a valid signature of an older Zig, the older Zig itself, another key, a forged key id, malformed and edited .minisig files, legacy and file-less signatures, a wrong sha256 or size in the index, a Zig whose `zig version` differs or does not run, and PyPI wheels that differ from the pinned hash: each refused with its own message; the same through the pinned table with Zig's real key (other bytes under Zig's real signature, a real signature of another version, another key, a trusted key override without the pinned bytes); and an installed Zig changed afterwards (zig swapped, padded to its size, files added, edited, removed, re-moded, symlinked, its file record replaced): refused by env, exec, install --frozen, verify and doctor as each checks.",
);

interface Served {
  /** What the case asks for; default: the test Zig's version. */
  version?: string;
  /** The index entries; default: the honest release. */
  artifacts?: ZigArtifact[];
  /** Default: the release's bytes. */
  tarball?: Body;
  /** Default: the release's signature. */
  signature?: Body;
  tarballFault?: Fault;
}

interface Setup {
  test: TestZig;
  key: MinisignKey;
  scratch: string;
}

interface TamperCase {
  name: string;
  serve(setup: Setup): Promise<Served>;
  /** The source's line in the final error, after `  <host>: `. */
  reason: (test: TestZig) => RegExp;
}

const quote = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

const CASES: TamperCase[] = [
  {
    name: 'one flipped byte in the tarball',
    serve: async () => ({ tarballFault: { kind: 'flip-byte' } }),
    reason: (test) =>
      new RegExp(
        `has sha256 [0-9a-f]{64}, expected ${test.release.sha256} \\(private-index\\): the file was altered$`,
      ),
  },
  {
    name: 'one flipped byte in a dev build that only its signature vouches for',
    serve: async ({ test, key }) => {
      const version = '0.16.0-dev.1+0123abcde';
      const fileName = releaseFileName(version, test.hostKey);
      return {
        version,
        signature: await signFile(test.release.path, { key, fileName }),
        tarballFault: { kind: 'flip-byte' },
      };
    },
    reason: () => /: minisign signature does not match the file \(the file was altered/,
  },
  {
    name: "a valid signature of an older Zig (its trusted comment's file: names 0.15.1)",
    serve: async ({ test }) => ({ signature: { file: test.variants.misnamed.signaturePath } }),
    reason: (test) =>
      new RegExp(
        `: the signature is for ${quote(test.variants.misnamed.fileName)}, not ${quote(test.release.fileName)}: possible downgrade`,
      ),
  },
  {
    name: 'the older Zig itself, with its own valid signature, under the asked-for name',
    serve: async ({ test }) => ({
      tarball: { file: test.variants.misnamed.path },
      signature: { file: test.variants.misnamed.signaturePath },
    }),
    reason: (test) => new RegExp(`: the signature is for ${quote(test.variants.misnamed.fileName)}, not `),
  },
  {
    name: 'signed by another key',
    serve: async ({ test }) => ({
      signature: await signFile(test.release.path, { key: generateMinisignKey() }),
    }),
    reason: (test) =>
      new RegExp(
        `: signed by minisign key [0-9A-F]{16}, but the trusted key is ${test.key.keyId}; .*XCC_ZIG_PUBKEY`,
      ),
  },
  {
    name: 'signed by another key that claims the trusted key id',
    serve: async ({ test, key }) => {
      const other = generateMinisignKey();
      const forged = parseMinisignKey(
        serializeMinisignKey(other).replace(other.keyId.toString('hex'), key.keyId.toString('hex')),
      );
      return { signature: await signFile(test.release.path, { key: forged }) };
    },
    reason: () =>
      /: the \.minisig was altered \(its global signature, over the signature and the trusted comment, does not verify\)/,
  },
  {
    name: 'an HTML error page served as the .minisig (status 200)',
    serve: async () => ({ signature: '<html><body>Not Found</body></html>\n' }),
    reason: () =>
      /\.minisig: malformed minisign signature: expected 4 lines, got 1; the mirror served a broken \.minisig/,
  },
  {
    name: 'a .minisig whose signature line is not base64',
    serve: async ({ test }) => {
      const honest = (await readFile(test.release.signaturePath, 'utf8')).split('\n');
      honest[1] = `${honest[1]!.slice(0, 20)}!!!${honest[1]!.slice(23)}`;
      return { signature: honest.join('\n') };
    },
    reason: () => /malformed minisign signature: line 2 \(signature\) is not valid base64/,
  },
  {
    name: 'a .minisig whose trusted comment was edited',
    serve: async ({ test }) => {
      const honest = await readFile(test.release.signaturePath, 'utf8');
      return { signature: honest.replace(/timestamp:\d+/, 'timestamp:1') };
    },
    reason: () => /: the \.minisig was altered/,
  },
  {
    name: 'a legacy signature (algorithm Ed, over the raw file)',
    serve: async ({ test, key }) => ({ signature: await signFile(test.release.path, { key, legacy: true }) }),
    reason: () => /: legacy minisign signature \(algorithm "Ed", over the raw file\) refused/,
  },
  {
    name: 'a signature whose trusted comment names no file',
    serve: async ({ test, key }) => ({
      signature: await signFile(test.release.path, { key, trustedComment: 'timestamp:1760000000' }),
    }),
    reason: () => /: the signature's trusted comment must name exactly one file \("file:<name>"\)/,
  },
  {
    name: 'a wrong sha256 in the index',
    serve: async ({ test }) => ({ artifacts: [{ ...test.release, sha256: 'ab'.repeat(32) }] }),
    reason: () =>
      new RegExp(
        `has sha256 [0-9a-f]{64}, expected ${'ab'.repeat(32)} \\(private-index\\): the file was altered$`,
      ),
  },
  {
    name: 'a wrong size in the index',
    serve: async ({ test }) => ({ artifacts: [{ ...test.release, size: test.release.size + 1 }] }),
    reason: (test) =>
      new RegExp(
        `: \\S+ announced ${test.release.size} bytes for ${quote(test.release.fileName)}, which has ${test.release.size + 1}: it serves another file`,
      ),
  },
  {
    name: 'a validly signed archive of another Zig version (zig version says 0.15.1)',
    serve: async ({ test, key, scratch }) => {
      const archive = await writeZigArchive({
        dir: path.join(scratch, 'other-version'),
        version: test.version,
        hostKey: test.hostKey,
        key,
        members: fakeZigMembers('0.15.1'),
      });
      return {
        artifacts: [archive],
        tarball: { file: archive.path },
        signature: { file: archive.signaturePath },
      };
    },
    reason: (test) =>
      new RegExp(
        `: the archive holds Zig 0\\.15\\.1, not ${quote(test.version)} as asked: the source served the wrong version$`,
      ),
  },
  {
    name: 'a validly signed archive whose zig does not run',
    serve: async ({ test, key, scratch }) => {
      const archive = await writeZigArchive({
        dir: path.join(scratch, 'broken-zig'),
        version: test.version,
        hostKey: test.hostKey,
        key,
        members: [{ ...zigScript(test.version), data: '\u007fELF\u0002\u0001\u0001 truncated' }],
      });
      return {
        artifacts: [archive],
        tarball: { file: archive.path },
        signature: { file: archive.signaturePath },
      };
    },
    reason: () => /\/zig does not run \(/,
  },
];

/**
 * The default path: no index override, so the hashes come from xcc's pinned table
 * (toolchains/zig-releases.json) and signatures must verify with Zig's own key (or XCC_ZIG_PUBKEY). The
 * only mirror is a loopback one (XCC_ZIG_MIRROR). Zig's real signature of 0.15.1 for x86_64-linux is a
 * fixture, so these cases run on that host.
 */
interface PinnedCase {
  name: string;
  version: string;
  /** Trust the test key (XCC_ZIG_PUBKEY) instead of Zig's. */
  testKey?: boolean;
  serve(test: TestZig): Promise<{ tarball: Body; signature: Body }>;
  reason: (test: TestZig) => RegExp;
}

const REAL_SIGNATURE_0_15_1 = path.join(fixturesDir, 'minisign', 'zig-x86_64-linux-0.15.1.tar.xz.minisig');
/** As xcc prints it: Zig's key from toolchains/zig.json, the one on ziglang.org/download. */
const ZIG_KEY_ID = formatKeyId(parsePublicKey(zigConfig().publicKey).keyId);

const PINNED_CASES: PinnedCase[] = [
  {
    name: "pinned path: other bytes of the pinned size under Zig's real signature of 0.15.1",
    version: '0.15.1',
    serve: async (test) => {
      const pinned = zigReleases().index['0.15.1']!['x86_64-linux']!;
      const bytes = Buffer.alloc(pinned.size);
      (await readFile(test.release.path)).copy(bytes);
      return { tarball: bytes, signature: { file: REAL_SIGNATURE_0_15_1 } };
    },
    reason: () =>
      new RegExp(
        `: zig-x86_64-linux-0\\.15\\.1\\.tar\\.xz from \\S+ has sha256 [0-9a-f]{64}, expected ${zigReleases().index['0.15.1']!['x86_64-linux']!.sha256} \\(pinned\\): the file was altered$`,
      ),
  },
  {
    name: "pinned path: Zig's real signature of 0.15.1 served for 0.15.2",
    version: '0.15.2',
    serve: async (test) => ({
      tarball: { file: test.release.path },
      signature: { file: REAL_SIGNATURE_0_15_1 },
    }),
    reason: () =>
      /: the signature is for zig-x86_64-linux-0\.15\.1\.tar\.xz, not zig-x86_64-linux-0\.15\.2\.tar\.xz: possible downgrade/,
  },
  {
    name: "pinned path: a build signed by another key than Zig's",
    version: '0.15.2',
    serve: async (test) => ({
      tarball: { file: test.release.path },
      signature: { file: test.release.signaturePath },
    }),
    reason: () =>
      new RegExp(
        `: signed by minisign key [0-9A-F]{16}, but the trusted key is ${ZIG_KEY_ID}; .*XCC_ZIG_PUBKEY`,
      ),
  },
  {
    name: 'pinned path: a build signed by a key trusted through XCC_ZIG_PUBKEY, but not the pinned bytes',
    version: '0.15.2',
    testKey: true,
    serve: async (test) => ({
      tarball: { file: test.release.path },
      signature: { file: test.release.signaturePath },
    }),
    reason: (test) =>
      new RegExp(
        `: \\S+ announced ${test.release.size} bytes for zig-x86_64-linux-0\\.15\\.2\\.tar\\.xz, which has ${zigReleases().index['0.15.2']!['x86_64-linux']!.size}: it serves another file`,
      ),
  },
];

let zig: TestZig | undefined;
let key: MinisignKey;
let mirror: MirrorServer;
let indexes: MirrorServer;
let scratch: string;
const servers: Array<{ close(): Promise<void> }> = [];

beforeAll(async () => {
  zig = providedTestZig();
  if (!zig) return;
  key = await testZigKey(zig);
  scratch = await mkdtemp(path.join(os.tmpdir(), 'xcc-reliability-tamper-'));
  mirror = await startMirrorServer();
  indexes = await startMirrorServer();
  servers.push(mirror, indexes);
});

afterAll(async () => {
  await Promise.all(servers.map((server) => server.close()));
});

async function freshHome(): Promise<string> {
  return mkdtemp(path.join(os.tmpdir(), 'xcc-reliability-tamper-home-'));
}

/** The source's line of the final error (one source only: the tampering mirror or PyPI). */
function sourceLine(stderr: string, version: string, test: TestZig): string {
  const all = lines(stderr);
  const header = all.findIndex((line) =>
    line.startsWith(`xcc: could not install Zig ${version} for ${test.hostKey}; every source failed:`),
  );
  expect(header, stderr).toBeGreaterThanOrEqual(0);
  expect(all).toHaveLength(header + 3);
  expect(stderr).not.toMatch(/internal error|^ {4}at /m);
  return all[header + 1]!;
}

describe.concurrent('a mirror that serves other bytes than the trusted ones', { timeout: 120_000 }, () => {
  it.for(CASES.map((tamper, index) => ({ ...tamper, index })))('$name', async (tamper, context) => {
    const test = needTestZig(context);
    const served = await tamper.serve({ test, key, scratch });
    const version = served.version ?? test.version;
    const prefix = `/case${tamper.index}`;
    const file = `${prefix}/${releaseFileName(version, test.hostKey)}`;
    mirror.setFile(file, served.tarball ?? { file: test.release.path });
    mirror.setFile(`${file}.minisig`, served.signature ?? { file: test.release.signaturePath });
    if (served.tarballFault) mirror.fault(file, served.tarballFault);
    indexes.setFile(`${prefix}/index.json`, ({ baseUrl }) =>
      JSON.stringify(zigIndex(baseUrl, served.artifacts ?? [test.release])),
    );
    const home = await freshHome();

    const result = await runXcc(['install', version, '--source', 'mirror'], {
      env: {
        XCC_HOME: home,
        XCC_ZIG_INDEX: `${indexes.url}${prefix}/index.json`,
        XCC_ZIG_MIRROR: `${mirror.url}${prefix}`,
        XCC_ZIG_PUBKEY: test.key.publicKey,
      },
    });

    expect(result.exitCode, result.stderr).toBe(1);
    const line = sourceLine(result.stderr, version, test);
    expect(line.startsWith(`  ${new URL(mirror.url).host}: `), line).toBe(true);
    expect(line).toMatch(tamper.reason(test));
    expect(cacheState(home)).toMatchObject({ tmp: [], zig: [] });
  });

  it.for(PINNED_CASES.map((tamper, index) => ({ ...tamper, index })))('$name', async (tamper, context) => {
    const test = needTestZig(context);
    if (test.hostKey !== 'x86_64-linux') context.skip('the real Zig signature fixture is for x86_64-linux');
    const prefix = `/pinned${tamper.index}`;
    const file = `${prefix}/${releaseFileName(tamper.version, test.hostKey)}`;
    const served = await tamper.serve(test);
    mirror.setFile(file, served.tarball);
    mirror.setFile(`${file}.minisig`, served.signature);
    const home = await freshHome();
    const result = await runXcc(['install', tamper.version, '--source', 'mirror'], {
      env: {
        XCC_HOME: home,
        XCC_ZIG_MIRROR: `${mirror.url}${prefix}`,
        ...(tamper.testKey ? { XCC_ZIG_PUBKEY: test.key.publicKey } : {}),
      },
    });
    expect(result.exitCode, result.stderr).toBe(1);
    const line = sourceLine(result.stderr, tamper.version, test);
    expect(line.startsWith(`  ${new URL(mirror.url).host}: `), line).toBe(true);
    expect(line).toMatch(tamper.reason(test));
    expect(cacheState(home)).toMatchObject({ tmp: [], zig: [] });
  });

  it.for([
    {
      name: 'PyPI lists the pinned wheel name with another sha256',
      listedSha256: undefined,
      reason:
        /^ {2}pypi: \S+ lists ziglang-\S+\.whl with sha256 [0-9a-f]{64}, but xcc pins [0-9a-f]{64}: the index serves other bytes under this name$/,
    },
    {
      name: 'PyPI lists the pinned sha256 but serves other bytes',
      listedSha256: 'pinned',
      reason:
        /^ {2}pypi: pypi \(127\.0\.0\.1:\d+\) announced \d+ bytes for ziglang-\S+\.whl, which has \d+: it serves another file/,
    },
  ])('$name', async ({ listedSha256, reason }, context) => {
    const test = needTestZig(context);
    const pypi: PypiServer = await startPypiServer({
      projects: {
        ziglang: [
          {
            path: test.release.signaturePath,
            fileName: test.wheel.fileName,
            sha256: listedSha256 === 'pinned' ? test.wheel.sha256 : undefined,
          },
        ],
      },
    });
    servers.push(pypi);
    const home = await freshHome();
    const result = await runXcc(['install', test.version, '--source', 'pypi'], {
      env: { XCC_HOME: home, XCC_PYPI_INDEX_URL: pypi.indexUrl },
    });
    expect(result.exitCode, result.stderr).toBe(1);
    expect(sourceLine(result.stderr, test.version, test)).toMatch(reason);
    expect(cacheState(home)).toMatchObject({ tmp: [], zig: [] });
  });
});

/**
 * An install that changed after it was verified: a small signed Zig (a script as `zig`, a header, a
 * source file) is installed once through a private index; each case copies that cache, changes it the way
 * a disk error, a careless script or another process could, and runs what must notice. The `zig` of
 * every copy is a canary: it records that it ran, and a changed one must never run.
 */
interface AfterInstall {
  name: string;
  change(install: string): Promise<void>;
  /** The commands that must refuse, each with what its message names. */
  refusedBy: Array<'env' | 'exec' | 'frozen' | 'verify' | 'doctor'>;
  /** What `xcc verify` (and the others) name as the difference. */
  difference: RegExp;
}

const CANARY_SCRIPT = (version: string) =>
  `#!/bin/sh\necho ran >> "$(dirname "$0")/../canary"\n[ "$1" = version ] && echo ${version}\n`;

const AFTER_INSTALL: AfterInstall[] = [
  {
    name: 'zig replaced by another script',
    change: async (install) => {
      await writeFile(path.join(install, 'zig'), CANARY_SCRIPT('pwned'), { mode: 0o755 });
    },
    refusedBy: ['env', 'exec', 'frozen', 'verify', 'doctor'],
    difference: /zig: \d+ bytes, recorded \d+/,
  },
  {
    name: 'zig replaced by a script of the same size, its mtime set back',
    change: async (install) => {
      const zig = path.join(install, 'zig');
      const before = await stat(zig);
      const original = await readFile(zig, 'utf8');
      await writeFile(zig, original.replace('version', 'VERSION'));
      await utimes(zig, before.atime, before.mtime);
    },
    // The cheap check on every use compares size and mtime only (see install-manifest.ts): the full
    // checks catch it.
    refusedBy: ['frozen', 'verify', 'doctor'],
    difference: /zig: content differs/,
  },
  {
    name: 'a header added to the libc headers',
    change: async (install) => {
      await writeFile(path.join(install, 'lib', 'libc', 'stdio.h'), '#define printf evil_printf\n');
    },
    refusedBy: ['frozen', 'verify', 'doctor'],
    difference: /lib\/libc\/stdio\.h: added/,
  },
  {
    name: 'a standard library file edited',
    change: async (install) => {
      await writeFile(path.join(install, 'lib', 'std', 'std.zig'), 'pub const evil = true;\n');
    },
    refusedBy: ['frozen', 'verify', 'doctor'],
    difference: /lib\/std\/std\.zig: content differs/,
  },
  {
    name: 'a directory made world-writable',
    change: async (install) => {
      await chmod(path.join(install, 'lib', 'std'), 0o777);
    },
    refusedBy: ['frozen', 'verify', 'doctor'],
    difference: /lib\/std: mode 40777, recorded 40755/,
  },
  {
    name: 'a file replaced by a symlink out of the cache',
    change: async (install) => {
      const file = path.join(install, 'lib', 'std', 'std.zig');
      await rm(file);
      await symlink('/etc/passwd', file);
    },
    refusedBy: ['frozen', 'verify', 'doctor'],
    difference: /lib\/std\/std\.zig: mode 120777, recorded 100644/,
  },
  {
    name: 'a file removed',
    change: async (install) => {
      await rm(path.join(install, 'lib', 'std', 'std.zig'));
    },
    refusedBy: ['frozen', 'verify', 'doctor'],
    difference: /lib\/std\/std\.zig: missing/,
  },
  {
    name: 'zig and the file record both replaced (the record no longer matches the marker)',
    change: async (install) => {
      await writeFile(path.join(install, 'zig'), CANARY_SCRIPT('pwned'), { mode: 0o755 });
      await writeFile(
        path.join(install, '.xcc-files.json'),
        '{"format":1,"archiveSha256":"","entries":[]}\n',
      );
    },
    refusedBy: ['env', 'exec', 'frozen', 'verify', 'doctor'],
    difference: /zig: \d+ bytes, recorded \d+|\.xcc-files\.json: not the record written at install/,
  },
];

describe('an install changed after it was verified', { timeout: 300_000 }, () => {
  let test: TestZig;
  let pristine: string;
  let project: string;
  let env: Record<string, string>;
  const prefix = '/after';

  beforeAll(async () => {
    if (!zig) return;
    test = zig;
    const archive = await writeZigArchive({
      dir: path.join(scratch, 'after-install'),
      version: test.version,
      hostKey: test.hostKey,
      key,
      members: [
        { ...zigScript(test.version), data: CANARY_SCRIPT(test.version) },
        { name: 'lib/std/std.zig', data: 'pub const fake = true;\n' },
        { name: 'lib/libc/include/stdio.h', data: 'int printf(const char *, ...);\n' },
      ],
    });
    mirror.setFile(`${prefix}/${archive.fileName}`, { file: archive.path });
    mirror.setFile(`${prefix}/${archive.fileName}.minisig`, { file: archive.signaturePath });
    indexes.setFile(`${prefix}/index.json`, ({ baseUrl }) => JSON.stringify(zigIndex(baseUrl, [archive])));
    pristine = await freshHome();
    env = {
      XCC_ZIG_INDEX: `${indexes.url}${prefix}/index.json`,
      XCC_ZIG_MIRROR: `${mirror.url}${prefix}`,
      XCC_ZIG_PUBKEY: test.key.publicKey,
    };
    project = await mkdtemp(path.join(os.tmpdir(), 'xcc-reliability-tamper-project-'));
    await writeFile(
      path.join(project, 'xcc.json'),
      JSON.stringify({ zig: test.version, targets: [{ target: 'linux/amd64', glibc: '2.28' }] }),
    );
    const installed = await runXcc(['install', '--quiet'], {
      env: { ...env, XCC_HOME: pristine },
      cwd: project,
    });
    expect(installed.exitCode, installed.stderr).toBe(0);
    const locked = await runXcc(['lock'], { env: { ...env, XCC_HOME: pristine }, cwd: project });
    expect(locked.exitCode, locked.stderr).toBe(0);
  });

  /** A copy of the installed cache, with its mtimes, so that each case changes only its own. */
  async function copyOfCache(): Promise<{ home: string; install: string }> {
    const home = await freshHome();
    await cp(pristine, home, { recursive: true, preserveTimestamps: true, verbatimSymlinks: true });
    return { home, install: path.join(cacheLayout(home).zig, test.version) };
  }

  const run = (args: string[], home: string) =>
    runXcc(args, { env: { ...env, XCC_HOME: home }, cwd: project });

  it.for(AFTER_INSTALL)('$name', async (tamper, context) => {
    needTestZig(context);
    const { home, install } = await copyOfCache();
    await tamper.change(install);
    const refusal = new RegExp(
      `^xcc: the cached Zig ${quote(test.version)} \\(${quote(install)}\\) changed after xcc verified it: .*; remove it and install again: xcc prune --all && xcc install ${quote(test.version)}$`,
    );
    const commands: Record<AfterInstall['refusedBy'][number], string[]> = {
      env: ['env', 'linux/amd64', '--glibc=2.28', '--quiet'],
      exec: ['exec', 'linux/amd64', '--glibc=2.28', '--quiet', '--', 'true'],
      frozen: ['install', '--frozen', '--quiet'],
      verify: ['verify'],
      doctor: ['doctor', '--json', '--quiet'],
    };
    for (const [name, args] of Object.entries(commands)) {
      const result = await run(args, home);
      const refused = tamper.refusedBy.includes(name as AfterInstall['refusedBy'][number]);
      if (name === 'doctor') {
        const report = JSON.parse(result.stdout) as {
          checks: Array<{ id: string; status: string; detail: string; fix?: string }>;
        };
        const files = report.checks.find((check) => check.id === `zig-files:${test.version}`);
        expect(files, result.stdout).toBeDefined();
        expect(files!.status, `doctor: ${files!.detail}`).toBe('fail');
        expect(files!.detail).toMatch(tamper.difference);
        expect(files!.fix).toBe(`xcc prune --all && xcc install ${test.version}`);
        continue;
      }
      if (!refused) {
        expect(result.exitCode, `${name}: ${result.stderr}`).toBe(0);
        continue;
      }
      expect(result.exitCode, `${name}: ${result.stderr}`).toBe(1);
      const [line, ...rest] = lines(result.stderr);
      expect(rest, `${name}: ${result.stderr}`).toEqual([]);
      expect(line, name).toMatch(refusal);
      expect(line, name).toMatch(tamper.difference);
    }
    // No command ran the zig of a changed install (doctor used to run 'zig version' on each install).
    expect(existsSync(path.join(install, '..', 'canary')), 'a changed install ran its zig').toBe(false);
  });

  it('an install from an older xcc (no file record) still works for env, and verify and doctor say it is unchecked', async (context) => {
    needTestZig(context);
    const { home, install } = await copyOfCache();
    const markerFile = path.join(install, '.xcc-install.json');
    const { files: _files, ...older } = JSON.parse(await readFile(markerFile, 'utf8')) as Record<
      string,
      unknown
    >;
    await writeFile(markerFile, JSON.stringify(older));
    await rm(path.join(install, '.xcc-files.json'));

    expect((await run(['env', 'linux/amd64', '--glibc=2.28', '--quiet'], home)).exitCode).toBe(0);
    const unchecked = new RegExp(
      `^xcc: the cached Zig ${quote(test.version)} \\(${quote(install)}\\) cannot be checked: it was installed by an xcc that did not record the files it verified; install it again to record them: xcc prune --all && xcc install ${quote(test.version)}$`,
    );
    for (const args of [['verify'], ['install', '--frozen', '--quiet']]) {
      const result = await run(args, home);
      expect(result.exitCode, result.stderr).toBe(1);
      expect(lines(result.stderr)).toEqual([expect.stringMatching(unchecked)]);
    }
    const doctor = await run(['doctor', '--json', '--quiet'], home);
    const report = JSON.parse(doctor.stdout) as {
      checks: Array<{ id: string; status: string; detail: string; fix?: string }>;
    };
    expect(report.checks.find((check) => check.id === `zig-files:${test.version}`)).toMatchObject({
      status: 'warn',
      fix: `xcc prune --all && xcc install ${test.version}`,
    });
  });
});
