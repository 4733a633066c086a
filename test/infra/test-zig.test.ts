import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { signFile, verifyMinisign } from '../support/minisign.js';
import { startMirrorServer } from '../support/mirror-server.js';
import {
  needTestZig,
  type ProvidedTestZig,
  providedTestZig,
  testZigOrSkip,
} from '../support/provided-zig.js';
import { type PypiServer, startZigPypi } from '../support/pypi-server.js';
import {
  ensureWheel,
  fileSha256,
  prepareTestZig,
  repack,
  type TestZig,
  TestZigUnavailableError,
  testZigHost,
  testZigKey,
  zigTarballName,
} from '../support/test-zig.js';
import { needCommand } from '../support/tools.js';
import { allArtifacts, startZigMirror, type ZigMirror, zigIndex } from '../support/zig-mirror.js';

const scratch = mkdtempSync(path.join(os.tmpdir(), 'xcc-test-zig-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** Member names of a .tar.xz, in archive order; `limit` stops early (tar dies of SIGPIPE). */
function members(tarball: string, limit?: number): string[] {
  const command = `tar -tJf '${tarball}'${limit ? ` | head -n ${limit}` : ''}`;
  return execFileSync('sh', ['-c', command], { encoding: 'utf8', maxBuffer: 64 << 20 })
    .trim()
    .split('\n');
}

/**
 * Extracts a release with system tar, leaving out the 18,000 files below lib/ (writing them takes
 * minutes on a busy 2-core machine; `zig version` does not read them). Returns the members extracted.
 */
async function extractTopLevel(tarball: string, dest: string) {
  mkdirSync(dest);
  const root = path.basename(tarball).replace(/\.tar\.xz$/, '');
  const args = ['-xvJf', tarball, '-C', dest, `--exclude=${root}/lib/*`];
  const { stdout } = await promisify(execFile)('tar', args);
  return { extracted: stdout.trim().split('\n'), zigExe: path.join(dest, root, 'zig') };
}

describe('the test Zig release', () => {
  it('is listed with the sha256 and size of the file on disk', async (context) => {
    const zig = needTestZig(context);
    for (const artifact of allArtifacts(zig)) {
      expect(statSync(artifact.path).size).toBe(artifact.size);
      expect(await fileSha256(artifact.path)).toBe(artifact.sha256);
    }
  });

  it('has the official layout, extracts with system tar, and its zig prints the version', async (context) => {
    const zig = needTestZig(context);
    const root = zig.release.fileName.replace(/\.tar\.xz$/, '');
    expect(zig.release.fileName).toBe(zigTarballName(zig.version, testZigHost().hostKey));
    const { extracted, zigExe } = await extractTopLevel(zig.release.path, path.join(scratch, 'release'));
    expect(extracted).toEqual([
      `${root}/`,
      `${root}/LICENSE`,
      `${root}/README.md`,
      `${root}/lib/`,
      `${root}/zig`,
    ]);
    expect(statSync(zigExe).mode & 0o777).toBe(0o755);
    const { stdout } = await promisify(execFile)(zigExe, ['version']);
    expect(stdout.trim()).toBe(zig.version);
  });

  it('records root as owner and one mtime for every member', (context) => {
    const zig = needTestZig(context);
    const listing = execFileSync('sh', ['-c', `tar -tvJf '${zig.release.path}' | head -n 50`], {
      encoding: 'utf8',
    });
    const lines = listing.trim().split('\n');
    expect(lines.every((line) => / 0\/0 .* 1980-01-01 00:00 /.test(line))).toBe(true);
  });

  it('keeps the extracted install for tests that need a real zig', async (context) => {
    const zig = needTestZig(context);
    const { stdout } = await promisify(execFile)(zig.install.zig, ['version']);
    expect(stdout.trim()).toBe(zig.version);
  });

  it.for(['release', 'misnamed', 'escaping'] as const)(
    'signs %s like Zig signs its tarballs',
    (name, context) => {
      const zig = needTestZig(context);
      const artifact = name === 'release' ? zig.release : zig.variants[name];
      const result = verifyMinisign(
        zig.key.publicKey,
        readFileSync(artifact.signaturePath, 'utf8'),
        readFileSync(artifact.path),
      );
      expect(result).toMatchObject({
        algorithm: 'ED',
        keyIdMatches: true,
        signatureValid: true,
        globalValid: true,
      });
      expect(result.fileName).toBe(artifact.fileName);
      expect(readFileSync(zig.key.publicKeyFile, 'utf8')).toBe(
        `untrusted comment: minisign public key ${zig.key.keyId}\n${zig.key.publicKey}\n`,
      );
    },
  );

  it('lends its key to tests that sign something else', async (context) => {
    const zig = needTestZig(context);
    const key = await testZigKey(zig);
    expect(key.publicKey).toBe(zig.key.publicKey);
    const fileName = zig.variants.misnamed.fileName;
    const signature = await signFile(zig.variants.escaping.path, { key, fileName });
    const result = verifyMinisign(zig.key.publicKey, signature, readFileSync(zig.variants.escaping.path));
    expect(result).toMatchObject({ signatureValid: true, globalValid: true, fileName });
  });

  it('passes the reference minisign', (context) => {
    const zig = needTestZig(context);
    needCommand(context, 'minisign');
    const result = spawnSync('minisign', ['-V', '-H', '-p', zig.key.publicKeyFile, '-m', zig.release.path], {
      encoding: 'utf8',
    });
    expect(result.status).toBe(0);
    expect(result.stdout).toContain(`file:${zig.release.fileName}\thashed`);
  });
});

describe('the attack variants', () => {
  it('misnamed: another version’s name and top directory around the same zig', async (context) => {
    const zig = needTestZig(context);
    const { misnamed } = zig.variants;
    const root = misnamed.fileName.replace(/\.tar\.xz$/, '');
    expect(misnamed.version).not.toBe(zig.version);
    expect(misnamed.zigVersion).toBe(zig.version);
    expect(members(misnamed.path, 2)).toEqual([`${root}/`, `${root}/LICENSE`]);
    const { zigExe } = await extractTopLevel(misnamed.path, path.join(scratch, 'misnamed'));
    expect(zigExe).toBe(path.join(scratch, 'misnamed', root, 'zig'));
    const { stdout } = await promisify(execFile)(zigExe, ['version']);
    expect(stdout.trim()).toBe(zig.version);
  });

  it('escaping: a member that climbs out of the extraction directory', (context) => {
    const zig = needTestZig(context);
    const { escaping } = zig.variants;
    const root = escaping.fileName.replace(/\.tar\.xz$/, '');
    // Before 0.14.1 release names were os-arch: this variant also covers the old naming.
    expect(escaping.fileName).toMatch(/^zig-(linux|macos)-(x86_64|aarch64)-\d+\.\d+\.0\.tar\.xz$/);
    expect(members(escaping.path)).toEqual([
      `${root}/`,
      `${root}/README.md`,
      `${root}/../../xcc-escaped.txt`,
    ]);
  });
});

describe('preparation', () => {
  it('is a no-op the second time', async (context) => {
    const zig = needTestZig(context);
    const before = statSync(zig.release.path).mtimeMs;
    expect(await prepareTestZig({ version: zig.version })).toEqual(zig);
    expect(statSync(zig.release.path).mtimeMs).toBe(before);
  });

  it('reports a package index it cannot reach as unavailability, not as a bug', async () => {
    const closed = await startMirrorServer();
    await closed.close();
    const attempt = ensureWheel({
      cacheDir: path.join(scratch, 'offline'),
      version: '0.15.2',
      host: testZigHost(),
      indexUrl: `${closed.url}/simple/`,
    });
    await expect(attempt).rejects.toBeInstanceOf(TestZigUnavailableError);
    await expect(attempt).rejects.toThrow(
      `cannot read ${closed.url}/simple/ziglang/: fetch failed (ECONNREFUSED)`,
    );
  });

  it('repacks deterministically, whatever the files’ times and the umask', async () => {
    const hashes = [];
    for (const [mtime, mode] of [
      [1_000_000, 0o600],
      [2_000_000, 0o664],
    ] as const) {
      const tree = path.join(scratch, `tree-${mtime}`, 'zig-x');
      mkdirSync(path.join(tree, 'lib'), { recursive: true });
      for (const name of ['b.txt', 'a.txt', 'lib/c.zig']) {
        writeFileSync(path.join(tree, name), name, { mode });
        utimesSync(path.join(tree, name), mtime, mtime);
      }
      const out = path.join(scratch, `tree-${mtime}.tar.xz`);
      await repack(path.dirname(tree), 'zig-x', ['s,^zig-x,zig-y,'], out);
      hashes.push(await fileSha256(out));
      expect(members(out)).toEqual(['zig-y/', 'zig-y/a.txt', 'zig-y/b.txt', 'zig-y/lib/', 'zig-y/lib/c.zig']);
    }
    expect(hashes[0]).toBe(hashes[1]);
  });

  it.each([
    ['0.15.2', 'x86_64-linux', 'zig-x86_64-linux-0.15.2.tar.xz'],
    ['0.14.1', 'aarch64-macos', 'zig-aarch64-macos-0.14.1.tar.xz'],
    ['0.14.0', 'x86_64-linux', 'zig-linux-x86_64-0.14.0.tar.xz'],
    ['0.13.0', 'aarch64-linux', 'zig-linux-aarch64-0.13.0.tar.xz'],
  ])('names %s for %s like ziglang.org: %s', (version, hostKey, fileName) => {
    expect(zigTarballName(version, hostKey)).toBe(fileName);
  });
});

describe('needTestZig', () => {
  const unavailable: ProvidedTestZig = { ok: false, reason: 'cannot read https://pypi.org/simple/ziglang/' };
  const context = {
    skip: (note?: string): never => {
      throw new Error(`skipped: ${note}`);
    },
  };
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it('fails under XCC_E2E=require, saying what to do', () => {
    vi.stubEnv('XCC_E2E', 'require');
    expect(() => testZigOrSkip(unavailable, context)).toThrow(
      /^the test Zig is not available \(cannot read https:\/\/pypi\.org\/simple\/ziglang\/\): let the tests reach PyPI once .* \(required because XCC_E2E=require\)$/,
    );
  });

  it.each([undefined, '1', 'skip'])('skips with the reason when XCC_E2E=%s', (e2e) => {
    vi.stubEnv('XCC_E2E', e2e);
    expect(() => testZigOrSkip(unavailable, context)).toThrow(
      /^skipped: the test Zig is not available \(cannot read https:\/\/pypi\.org\/simple\/ziglang\/\): .*; XCC_E2E=require makes this a failure$/,
    );
  });

  it('returns the test Zig when there is one', () => {
    vi.stubEnv('XCC_E2E', 'require');
    const zig = { version: '0.15.2' } as TestZig;
    expect(testZigOrSkip({ ok: true, zig }, context)).toBe(zig);
  });
});

describe('served by loopback mirrors', () => {
  const zig = providedTestZig();
  let origin: ZigMirror;
  let mirror: ZigMirror;
  beforeAll(async () => {
    if (!zig) return;
    mirror = await startZigMirror(zig, { prefix: '/zig' });
    origin = await startZigMirror(zig, {
      layout: 'ziglang.org',
      mirrors: () => [mirror.base, 'https://127.0.0.2/zig'],
    });
  });
  afterAll(async () => {
    await Promise.all([origin?.close(), mirror?.close()]);
  });
  afterEach(() => {
    origin?.clearFaults();
    mirror?.clearFaults();
  });

  it('serves the index with the official shape, pointing at itself', async (context) => {
    const zig = needTestZig(context);
    const response = await fetch(`${origin.url}/download/index.json`);
    const index = (await response.json()) as Record<string, Record<string, Record<string, string>>>;
    expect(Object.keys(index).slice(0, 4)).toEqual(['master', '0.15.2', '0.15.1', '0.14.1']);
    expect(index[zig.version]![zig.hostKey]).toEqual({
      tarball: `${origin.url}/download/${zig.version}/${zig.release.fileName}`,
      shasum: zig.release.sha256,
      size: String(zig.release.size),
    });
    expect(index[zig.variants.misnamed.version]![zig.hostKey]!.shasum).toBe(zig.variants.misnamed.sha256);
    expect(index['0.15.2']!.date).toBe('2025-10-11');
    expect(JSON.stringify(index)).not.toContain('https://ziglang.org');
  });

  it('serves the community mirror list, one URL a line', async (context) => {
    needTestZig(context);
    const text = await (await fetch(`${origin.url}/download/community-mirrors.txt`)).text();
    expect(text).toBe(`${mirror.base}\nhttps://127.0.0.2/zig\n`);
  });

  it.for(['ziglang.org', 'mirror'] as const)(
    'serves tarball and signature in the %s layout',
    async (layout, context) => {
      const zig = needTestZig(context);
      const server = layout === 'mirror' ? mirror : origin;
      const url = server.urlOf(`${server.pathOf(zig.release)}?source=xcc`);
      expect(url).toBe(
        layout === 'mirror'
          ? `${mirror.url}/zig/${zig.release.fileName}?source=xcc`
          : `${origin.url}/download/${zig.version}/${zig.release.fileName}?source=xcc`,
      );
      const tarball = Buffer.from(await (await fetch(url)).arrayBuffer());
      const signature = await (await fetch(server.urlOf(`${server.pathOf(zig.release)}.minisig`))).text();
      expect(verifyMinisign(zig.key.publicKey, signature, tarball)).toMatchObject({
        signatureValid: true,
        fileName: zig.release.fileName,
      });
      expect(server.count(server.pathOf(zig.release))).toBe(1);
    },
  );

  it('builds the index from the real one', (context) => {
    const zig = needTestZig(context);
    const index = zigIndex('http://127.0.0.1:1', [zig.release]);
    expect(index['0.13.0']!['x86_64-linux']).toEqual({
      tarball: 'http://127.0.0.1:1/download/0.13.0/zig-linux-x86_64-0.13.0.tar.xz',
      shasum: 'd45312e61ebcc48032b77bc4cf7fd6915c11fa16e4aad116b66c9468211230ea',
      size: '47082308',
    });
  });
});

describe('served by a loopback package index', () => {
  const zig = providedTestZig();
  let pypi: PypiServer;
  beforeAll(async () => {
    if (zig) pypi = await startZigPypi(zig);
  });
  afterAll(async () => {
    await pypi?.close();
  });

  it('gives pip the wheel, checked against the sha256 it lists', async (context) => {
    const zig = needTestZig(context);
    const wheel = await ensureWheel({
      cacheDir: path.join(scratch, 'pip'),
      version: zig.version,
      host: testZigHost(),
      indexUrl: pypi.indexUrl,
    });
    expect(wheel).toMatchObject({
      fileName: zig.wheel.fileName,
      sha256: zig.wheel.sha256,
      size: zig.wheel.size,
    });
    expect(pypi.count(`/packages/${zig.wheel.fileName}`)).toBe(1);
    // pip asks for PEP 691 JSON first; our own lookup reads the HTML page.
    const accepts = pypi.requests.filter((r) => r.path === '/simple/ziglang/').map((r) => r.headers.accept);
    expect(accepts.some((accept) => accept?.startsWith('application/vnd.pypi.simple.v1+json'))).toBe(true);
    rmSync(path.join(scratch, 'pip'), { recursive: true });
  });
});
