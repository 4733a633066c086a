import { statSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { releaseFileName } from '../../src/zig/host.js';
import { type TarMember, tarHeader, xz, type ZipMember, zipArchive } from '../support/archives.js';
import { runXcc } from '../support/cli.js';
import type { MinisignKey } from '../support/minisign.js';
import { type MirrorServer, startMirrorServer } from '../support/mirror-server.js';
import { needTestZig, providedTestZig } from '../support/provided-zig.js';
import { type PypiServer, startPypiServer } from '../support/pypi-server.js';
import { cacheState, lines, recordCategory, treeOf } from '../support/reliability.js';
import {
  defaultZigVersion,
  sha256Hex,
  type TestZig,
  testZigHost,
  testZigKey,
  type ZigArtifact,
} from '../support/test-zig.js';
import { fakeZigMembers, writeZigArchive, zigScript } from '../support/zig-archives.js';
import { zigIndex } from '../support/zig-mirror.js';

/**
 * Malicious archives that every earlier check lets through: signed with the trusted (test) key, listed
 * with their sha256 in the trusted index, installed through the real CLI. Only extraction stands in the
 * way. Each case runs in a sandbox holding the cache (`home/`) and a directory beside it (`outside/`,
 * with a canary file) that the archive aims at with `..`, absolute paths, symlinks and hard links; after
 * the run nothing in the sandbox may have changed but the cache's own bookkeeping. Every archive also
 * holds a working `zig`, so an extractor that skipped the bad member instead of refusing would install.
 */

recordCategory(
  'archive-attacks',
  'Archive attacks',
  'Signed, indexed tar.xz and wheel (zip) archives with `..` members, absolute paths, symlinks and hard links pointing outside, a file written through a symlink, a symlink chain, device files and FIFOs, xz and zip bombs, a 3 GiB size claim, a PAX path override, backslashes, duplicates: refused through the installer with nothing written outside the target; setuid and world-writable modes are normalised.',
);

/** Stage depth below the sandbox: `<sandbox>/home/v1/tmp/stage-*`; four `..` from the stage reach the sandbox. */
const UP = '../../../..';

interface Sandbox {
  dir: string;
  home: string;
  outside: string;
}

interface Attack {
  name: string;
  /** Members with names as written (use `root` for the archive's top-level directory). */
  members(root: string, sandbox: Sandbox): TarMember[];
  /** The refusal, or `installed` for an archive that must install (with normalised modes). */
  expect: RegExp | 'installed';
}

const file = (name: string, data = 'x', mode?: number): TarMember => ({ name, data, mode });
const working = (root: string) => [
  { name: `${root}/`, type: 'directory' as const },
  ...fakeZigMembers(defaultZigVersion()).map((member) => ({ ...member, name: `${root}/${member.name}` })),
];

const TAR_ATTACKS: Attack[] = [
  {
    name: "a member whose path climbs out with '..'",
    members: (root) => [...working(root), file(`${root}/${UP}/outside/evil-dotdot`)],
    expect: /Refused archive entry ".*evil-dotdot": the path contains '\.\.'/,
  },
  {
    name: 'a member with an absolute path',
    members: (root, { outside }) => [...working(root), file(`${outside}/evil-absolute`)],
    expect: /Refused archive entry ".*evil-absolute": absolute path/,
  },
  {
    name: 'a symlink to an absolute path outside',
    members: (root, { outside }) => [
      ...working(root),
      { name: `${root}/lib/out`, type: 'symlink', linkname: outside },
    ],
    expect: /Refused archive entry ".*lib\/out": the symlink points to the absolute path/,
  },
  {
    name: 'a symlink that climbs out of the install',
    members: (root) => [...working(root), { name: `${root}/up`, type: 'symlink', linkname: `${UP}/outside` }],
    expect: /Refused archive entry ".*\/up": the symlink target ".*" leaves the install directory/,
  },
  {
    name: 'a symlink to outside, then a file written through it',
    members: (root, { outside }) => [
      ...working(root),
      { name: `${root}/link`, type: 'symlink', linkname: outside },
      file(`${root}/link/evil-through-symlink`),
    ],
    expect: /Refused archive entry ".*\/link": the symlink points to the absolute path/,
  },
  {
    name: 'a harmless symlink, then a file written through it',
    members: (root) => [
      ...working(root),
      { name: `${root}/lib-link`, type: 'symlink', linkname: 'lib' },
      file(`${root}/lib-link/evil-through-symlink`),
    ],
    expect:
      /Refused archive entry ".*lib-link\/evil-through-symlink": it would be written through the symlink "lib-link"/,
  },
  {
    name: 'a symlink chain that escapes only once both links exist (a/s -> .., t -> a/s/../..)',
    members: (root) => [
      ...working(root),
      { name: `${root}/a/s`, type: 'symlink', linkname: '..' },
      { name: `${root}/t`, type: 'symlink', linkname: 'a/s/../..' },
    ],
    expect:
      /Refused archive entry ".*\/t": the symlink target "a\/s\/\.\.\/\.\." goes through the symlink "a\/s"/,
  },
  {
    name: 'a symlink to a Windows drive path',
    members: (root) => [...working(root), { name: `${root}/win`, type: 'symlink', linkname: 'C:\\Windows' }],
    expect: /Refused archive entry ".*\/win": the symlink points to the absolute path/,
  },
  {
    name: 'a hard link to an absolute path outside',
    members: (root, { outside }) => [
      ...working(root),
      { name: `${root}/hl`, type: 'hardlink', linkname: `${outside}/canary.txt` },
    ],
    expect: /Refused archive entry ".*\/hl": absolute hard link target/,
  },
  {
    name: "a hard link that climbs out with '..'",
    members: (root) => [
      ...working(root),
      { name: `${root}/hl`, type: 'hardlink', linkname: `${root}/${UP}/outside/canary.txt` },
    ],
    expect: /Refused archive entry ".*\/hl": the hard link target contains '\.\.'/,
  },
  {
    name: 'a hard link to a symlink of the archive',
    members: (root) => [
      ...working(root),
      { name: `${root}/s`, type: 'symlink', linkname: 'zig' },
      { name: `${root}/h`, type: 'hardlink', linkname: `${root}/s` },
    ],
    expect: /Refused archive entry ".*\/h": the hard link target "s" is not a file of this archive/,
  },
  {
    name: 'a character device',
    members: (root) => [...working(root), { name: `${root}/null`, type: 'char-device' }],
    expect: /Refused archive entry ".*\/null": it is a CharacterDevice entry/,
  },
  {
    name: 'a block device',
    members: (root) => [...working(root), { name: `${root}/disk`, type: 'block-device' }],
    expect: /Refused archive entry ".*\/disk": it is a BlockDevice entry/,
  },
  {
    name: 'a FIFO',
    members: (root) => [...working(root), { name: `${root}/pipe`, type: 'fifo' }],
    expect: /Refused archive entry ".*\/pipe": it is a FIFO entry/,
  },
  {
    name: 'an xz bomb (40 MiB of zeros)',
    members: (root) => [...working(root), { name: `${root}/zeros`, data: Buffer.alloc(40 * 1024 ** 2) }],
    expect: /The xz data expands more than 100:1 \(\d+ bytes from \d+\); refusing a decompression bomb/,
  },
  {
    name: 'a member outside the top-level directory',
    members: (root) => [...working(root), file('other/evil-sibling')],
    expect: /Refused archive entry "other\/evil-sibling": it is outside the expected top-level directory/,
  },
  {
    name: 'the same member twice (a file, then a symlink out)',
    members: (root) => [
      ...working(root),
      { name: `${root}/zig`, type: 'symlink', linkname: `${UP}/outside/canary.txt` },
    ],
    expect: /Refused archive entry ".*\/zig": it appears twice in the archive/,
  },
  {
    name: "a member that climbs out with backslashes ('..\\..')",
    members: (root) => [...working(root), file(`${root}\\..\\..\\..\\..\\..\\outside\\evil-backslash`)],
    expect: /Refused archive entry ".*evil-backslash": the path contains '\.\.'/,
  },
  {
    name: "a PAX header whose long path climbs out with '..'",
    members: (root) => [...working(root), file(`${root}/${'d'.repeat(120)}/../${UP}/../outside/evil-pax`)],
    expect: /Refused archive entry ".*evil-pax": the path contains '\.\.'/,
  },
  {
    name: 'setuid and world-writable modes (installed, normalised to 0755/0644)',
    members: (root) => [
      { name: `${root}/`, type: 'directory' },
      { ...zigScript(defaultZigVersion(), 0o4777), name: `${root}/zig` },
      file(`${root}/lib/std/std.zig`, 'pub const fake = true;\n', 0o666),
    ],
    expect: 'installed',
  },
];

/** Attacks whose bytes cannot be described as members: written by hand. */
const RAW_TAR_ATTACKS: Array<{ name: string; bytes(root: string): Buffer; expect: RegExp }> = [
  {
    name: 'a member that claims 3 GiB (more than the 2 GiB limit)',
    bytes: (root) =>
      xz(
        Buffer.concat([
          tarHeader({ name: `${root}/`, typeflag: '5', mode: 0o755, size: 0 }),
          tarHeader({ name: `${root}/huge`, typeflag: '0', mode: 0o644, size: 3 * 1024 ** 3 }),
          Buffer.alloc(1024),
        ]),
      ),
    expect: /Refused archive entry ".*\/huge": the archive would unpack to more than 2147483648 bytes/,
  },
];

const ZIP_ATTACKS: Array<{ name: string; members(sandbox: Sandbox): ZipMember[]; expect: RegExp }> = [
  {
    name: "a wheel member that climbs out with '..'",
    members: () => [{ name: `ziglang/${UP}/outside/evil-zip` }],
    expect: /Refused archive entry ".*evil-zip": the path contains '\.\.'/,
  },
  {
    name: 'a wheel member with an absolute path',
    members: ({ outside }) => [{ name: `${outside}/evil-zip-absolute` }],
    expect: /Refused archive entry ".*evil-zip-absolute": absolute path/,
  },
  {
    name: 'a wheel symlink to an absolute path outside',
    members: ({ outside }) => [{ name: 'ziglang/lib', data: outside, mode: 0o120777 }],
    expect: /Refused archive entry "ziglang\/lib": the symlink points to the absolute path/,
  },
  {
    name: 'a wheel zip bomb (40 MiB of deflated zeros)',
    members: () => [{ name: 'ziglang/zeros', data: Buffer.alloc(40 * 1024 ** 2), deflate: true }],
    expect: /Refused archive entry "ziglang\/zeros": it expands \d+:1, more than 100:1/,
  },
  {
    name: 'a wheel FIFO',
    members: () => [{ name: 'ziglang/pipe', mode: 0o010644 }],
    expect: /Refused archive entry "ziglang\/pipe": it is a special file/,
  },
];

let zig: TestZig | undefined;
let key: MinisignKey;
let mirror: MirrorServer;
let scratch: string;
const servers: Array<{ close(): Promise<void> }> = [];

beforeAll(async () => {
  zig = providedTestZig();
  if (!zig) return;
  key = await testZigKey(zig);
  scratch = await mkdtemp(path.join(os.tmpdir(), 'xcc-reliability-attacks-'));
  mirror = await startMirrorServer();
  servers.push(mirror);
});

afterAll(async () => {
  await Promise.all(servers.map((server) => server.close()));
});

async function sandbox(name: string): Promise<Sandbox> {
  const dir = path.join(scratch, name);
  const outside = path.join(dir, 'outside');
  await mkdir(outside, { recursive: true });
  await writeFile(path.join(outside, 'canary.txt'), 'canary\n');
  return { dir, home: path.join(dir, 'home'), outside };
}

/** What the cache may hold after a refused install: its directories and the cached index, nothing else. */
const BOOKKEEPING = /^home(\/v1(\/(tmp|locks|zig|meta)(\/index\.json-[0-9a-f]{12}\.json)?)?)?$/;

/** Nothing in the sandbox changed except the cache's bookkeeping: no escaped file, the canary intact. */
async function expectNothingEscaped(box: Sandbox, before: string[]) {
  const after = treeOf(box.dir).filter((entry) => !BOOKKEEPING.test(entry));
  expect(after).toEqual(before);
  expect(await readFile(path.join(box.outside, 'canary.txt'), 'utf8')).toBe('canary\n');
  expect(cacheState(box.home)).toMatchObject({ tmp: [], zig: [] });
}

function refusal(stderr: string): string {
  const all = lines(stderr);
  expect(stderr).not.toMatch(/internal error|^ {4}at /m);
  expect(all.at(-3), stderr).toMatch(/^xcc: could not install Zig .*; every source failed:$/);
  return all.at(-2)!;
}

/** Serves `archive` under `prefix`, with an index there that lists it: the settings that trust it. */
async function publish(test: TestZig, prefix: string, archive: ZigArtifact) {
  mirror.setFile(`${prefix}/${archive.fileName}`, { file: archive.path });
  mirror.setFile(`${prefix}/${archive.fileName}.minisig`, { file: archive.signaturePath });
  mirror.setFile(`${prefix}/index.json`, ({ baseUrl }) => JSON.stringify(zigIndex(baseUrl, [archive])));
  return {
    XCC_ZIG_INDEX: `${mirror.url}${prefix}/index.json`,
    XCC_ZIG_MIRROR: `${mirror.url}${prefix}`,
    XCC_ZIG_PUBKEY: test.key.publicKey,
  };
}

describe.concurrent('malicious release archives through the installer', { timeout: 120_000 }, () => {
  const tarCases = [
    ...TAR_ATTACKS.map((attack) => ({ ...attack, bytes: undefined })),
    ...RAW_TAR_ATTACKS.map((attack) => ({ ...attack, members: undefined })),
  ];
  it.for(tarCases.map((attack, index) => ({ ...attack, index })))('$name', async (attack, context) => {
    const test = needTestZig(context);
    const box = await sandbox(`tar${attack.index}`);
    const fileName = releaseFileName(test.version, test.hostKey);
    const root = fileName.replace(/\.tar\.xz$/, '');
    const archive = await writeZigArchive({
      dir: path.join(box.dir, 'published'),
      version: test.version,
      hostKey: test.hostKey,
      key,
      raw: true,
      members: attack.members?.(root, box) ?? [],
      bytes: attack.bytes?.(root),
    });
    const env = await publish(test, `/tar${attack.index}`, archive);
    const before = treeOf(box.dir);

    const result = await runXcc(['install', test.version, '--source', 'mirror'], {
      env: { XCC_HOME: box.home, ...env },
    });

    if (attack.expect === 'installed') {
      expect(result.exitCode, result.stderr).toBe(0);
      const dir = path.join(box.home, 'v1', 'zig', test.version);
      expect(statSync(path.join(dir, 'zig')).mode & 0o7777).toBe(0o755);
      expect(statSync(path.join(dir, 'lib', 'std', 'std.zig')).mode & 0o7777).toBe(0o644);
      expect(cacheState(box.home).tmp).toEqual([]);
      return;
    }
    expect(result.exitCode, result.stderr).toBe(1);
    expect(refusal(result.stderr)).toMatch(attack.expect);
    await expectNothingEscaped(box, before);
  });

  it.for(ZIP_ATTACKS.map((attack, index) => ({ ...attack, index })))('$name', async (attack, context) => {
    const test = needTestZig(context);
    const box = await sandbox(`zip${attack.index}`);
    // An unpinned release (0.16.0), so the wheel is trusted on the index's sha256 alone, as with
    // `--source pypi` for a Zig newer than this xcc. The index must still list a tarball for the host.
    const version = '0.16.0';
    const wheelName = `ziglang-${version}-py3-none-${testZigHost().wheelPlatform}.whl`;
    const wheelPath = path.join(box.dir, 'published', wheelName);
    await mkdir(path.dirname(wheelPath), { recursive: true });
    await writeFile(
      wheelPath,
      zipArchive([
        { name: 'ziglang/zig', data: zigScript(version).data, mode: 0o100755 },
        ...attack.members(box),
      ]),
    );
    const pypi: PypiServer = await startPypiServer({ projects: { ziglang: [{ path: wheelPath }] } });
    servers.push(pypi);
    const tarballName = releaseFileName(version, test.hostKey);
    const unused: ZigArtifact = {
      ...test.release,
      version,
      fileName: tarballName,
      sha256: sha256Hex(tarballName),
    };
    mirror.setFile(`/zip${attack.index}/index.json`, ({ baseUrl }) =>
      JSON.stringify(zigIndex(baseUrl, [unused])),
    );
    const before = treeOf(box.dir);

    const result = await runXcc(['install', version, '--source', 'pypi'], {
      env: {
        XCC_HOME: box.home,
        XCC_ZIG_INDEX: `${mirror.url}/zip${attack.index}/index.json`,
        XCC_PYPI_INDEX_URL: pypi.indexUrl,
        // The loopback index is plain http: what is attacked here is the extractor, not the transport.
        XCC_PYPI_ALLOW_HTTP: '1',
      },
    });

    expect(result.exitCode, result.stderr).toBe(1);
    expect(result.stderr).toContain(`xcc pins no hash for ${wheelName}`);
    expect(refusal(result.stderr)).toMatch(attack.expect);
    await expectNothingEscaped(box, before);
  });
});
