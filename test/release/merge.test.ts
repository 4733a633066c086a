import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CHECKSUMS_FILE, formatChecksums, hashFile, parseChecksums } from '../../src/release/checksums.js';
import {
  formatManifest,
  MANIFEST_FILE,
  type ManifestArtifact,
  parseManifest,
} from '../../src/release/manifest.js';
import { mergeReleases } from '../../src/release/merge.js';
import { runXcc } from '../support/cli.js';
import { needCommand } from '../support/tools.js';

/**
 * The pieces of a sharded release (directories as xcc build writes them) merged by `xcc checksums`. The
 * artifacts here are plain files: what a merge reads of them is their bytes, never their format.
 */
let root: string;
beforeEach(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'xcc-merge-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

/** A shard's directory with these files (name → content), its checksums.txt and manifest.json. */
async function shard(name: string, files: Record<string, string>): Promise<string> {
  const dir = path.join(root, name);
  mkdirSync(dir, { recursive: true });
  const artifacts: ManifestArtifact[] = [];
  for (const [file, content] of Object.entries(files)) {
    writeFileSync(path.join(dir, file), content);
    const { sha256, size } = await hashFile(path.join(dir, file));
    artifacts.push({
      target: file,
      port: 'linux/amd64',
      file,
      sha256,
      size,
      go: 'go1.26.8',
      zig: '0.15.2',
      linkage: 'static',
      libc: 'musl',
      glibc: null,
    });
  }
  writeFileSync(path.join(dir, CHECKSUMS_FILE), formatChecksums(artifacts));
  writeFileSync(path.join(dir, MANIFEST_FILE), formatManifest(artifacts));
  return dir;
}

describe('checksums.txt', () => {
  it('is what sha256sum writes, and reads back', async () => {
    const dir = await shard('one', { 'b-linux-arm64': 'arm', 'a-linux-amd64': 'amd' });
    const text = readFileSync(path.join(dir, CHECKSUMS_FILE), 'utf8');
    const sha = spawnSync('sha256sum', ['a-linux-amd64', 'b-linux-arm64'], { cwd: dir, encoding: 'utf8' });
    expect(text).toBe(sha.stdout);
    expect(parseChecksums(text, 'x').map((entry) => entry.file)).toEqual(['a-linux-amd64', 'b-linux-arm64']);
    expect(() => parseChecksums('abc  ../etc/passwd\n', 'f')).toThrow(/f:1 is not a sha256sum line/);
    expect(() => parseChecksums(`${'a'.repeat(64)}  ../x\n`, 'f')).toThrow(/f:1/);
  });

  it('and the manifest are refused when malformed, in one line', () => {
    expect(() => parseManifest('{', 'm.json')).toThrow(/m.json is not valid JSON/);
    expect(() => parseManifest('{"version":2,"artifacts":[]}', 'm.json')).toThrow(
      /not an xcc release manifest/,
    );
    const entry = {
      target: 't',
      port: 'p',
      file: '../x',
      sha256: 'a'.repeat(64),
      size: 1,
      go: null,
      zig: 'z',
      linkage: 'static',
      libc: 'musl',
      glibc: null,
    };
    expect(() => parseManifest(JSON.stringify({ version: 1, artifacts: [entry] }), 'm.json')).toThrow(
      /artifacts\[0\].file '..\/x' is not a plain file name/,
    );
  });
});

describe('xcc checksums', () => {
  it('merges shards into one release that sha256sum -c accepts', async (context) => {
    needCommand(context, 'sha256sum');
    const first = await shard('s1', { 'app-linux-amd64': 'amd64', 'app-windows-amd64.exe': 'exe' });
    const second = await shard('s2', { 'app-linux-arm64': 'arm64' });
    const third = await shard('s3', { 'app-linux-arm64': 'arm64', 'app-linux-riscv64': 'riscv' });
    const result = await runXcc(['checksums', first, second, third]);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/merged 4 artifacts from 3 directories/);
    const check = spawnSync('sha256sum', ['-c', CHECKSUMS_FILE], { cwd: first, encoding: 'utf8' });
    expect(check.status, check.stderr).toBe(0);
    expect(check.stdout.trim().split('\n')).toHaveLength(4);
    expect(result.stdout).toBe(readFileSync(path.join(first, CHECKSUMS_FILE), 'utf8'));
    const manifest = parseManifest(readFileSync(path.join(first, MANIFEST_FILE), 'utf8'), 'm');
    expect(manifest.artifacts.map((artifact) => artifact.file)).toEqual([
      'app-linux-amd64',
      'app-linux-arm64',
      'app-linux-riscv64',
      'app-windows-amd64.exe',
    ]);
  });

  it('writes to --out, leaving the shards as they were', async () => {
    const first = await shard('s1', { 'app-linux-amd64': 'amd64' });
    const second = await shard('s2', { 'app-linux-arm64': 'arm64' });
    const before = readFileSync(path.join(first, CHECKSUMS_FILE), 'utf8');
    const out = path.join(root, 'release');
    const merged = await mergeReleases([first, second], out);
    expect(merged.artifacts).toHaveLength(2);
    expect(readFileSync(path.join(first, CHECKSUMS_FILE), 'utf8')).toBe(before);
    expect(spawnSync('sha256sum', ['-c', CHECKSUMS_FILE], { cwd: out }).status).toBe(0);
  });

  it('refuses two different files under one name, and a file that changed since its checksum', async () => {
    const first = await shard('s1', { 'app-linux-amd64': 'one build' });
    const second = await shard('s2', { 'app-linux-amd64': 'another build' });
    const conflict = await runXcc(['checksums', first, second]);
    expect(conflict.exitCode).toBe(1);
    expect(conflict.stderr).toMatch(/app-linux-amd64 is in both .*s1 and .*s2 with different contents/);
    expect(conflict.stderr.trim().split('\n')).toHaveLength(1);

    writeFileSync(path.join(second, 'app-linux-amd64'), 'tampered');
    await expect(mergeReleases([second])).rejects.toThrow(/does not match its checksum/);
    await expect(mergeReleases([path.join(root, 'nothing')])).rejects.toThrow(
      /cannot read .*checksums.txt \(ENOENT\)/,
    );
  });

  it('refuses a shard whose checksums.txt and manifest disagree', async () => {
    const dir = await shard('s1', { 'app-linux-amd64': 'x', 'app-linux-arm64': 'y' });
    const lines = readFileSync(path.join(dir, CHECKSUMS_FILE), 'utf8').split('\n');
    writeFileSync(path.join(dir, CHECKSUMS_FILE), `${lines[0]}\n`);
    await expect(mergeReleases([dir])).rejects.toThrow(/disagree about app-linux-arm64/);
  });
});
