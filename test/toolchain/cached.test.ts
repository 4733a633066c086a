import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { cachedToolchain, MANIFEST, TOOLCHAIN_FORMAT } from '../../src/toolchain/cached.js';
import { version as xccVersion } from '../../src/version.js';

describe('cachedToolchain', () => {
  const dirs: string[] = [];
  afterEach(async () => {
    for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
  });

  async function withManifest(manifest: object): Promise<string> {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'xcc-cached-'));
    dirs.push(dir);
    await writeFile(path.join(dir, MANIFEST), JSON.stringify(manifest));
    return dir;
  }

  const written = { xcc: xccVersion(), format: TOOLCHAIN_FORMAT, env: { CC: 'cc' }, bin: '/bin' };

  it('serves what this xcc version and format wrote', async () => {
    expect(await cachedToolchain(await withManifest(written))).toEqual({ env: { CC: 'cc' }, bin: '/bin' });
  });

  // Wrappers of an older format (such as those whose cache default ran `$(...)` in a path) must be
  // written again, even by the same xcc version.
  it.each([
    ['no format (written before formats existed)', { ...written, format: undefined }],
    ['an older format', { ...written, format: TOOLCHAIN_FORMAT - 1 }],
    ['another xcc version', { ...written, xcc: '0.0.0-other' }],
    ['no bin', { ...written, bin: undefined }],
  ])('provisions again for %s', async (_, manifest) => {
    expect(await cachedToolchain(await withManifest(manifest))).toBeUndefined();
  });
});
