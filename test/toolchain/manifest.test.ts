import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { resolveTarget } from '../../src/resolve/index.js';
import { MANIFEST, manifestText, readManifest, TOOLCHAIN_FORMAT } from '../../src/toolchain/manifest.js';
import { version as xccVersion } from '../../src/version.js';

describe('the toolchain manifest', () => {
  const dirs: string[] = [];
  afterEach(async () => {
    for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
  });

  async function withManifest(text: string): Promise<string> {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'xcc-manifest-'));
    dirs.push(dir);
    await writeFile(path.join(dir, MANIFEST), text);
    return dir;
  }

  const record = {
    zig: { version: '0.15.2', zig: '/home/zig/0.15.2/zig' },
    bin: '/t/bin-1',
    tools: { cc: '/t/bin-1/x86_64-linux-musl-cc' },
    env: { CC: 'cc' },
    envFiles: { sh: '/t/env.sh' },
  };
  const target = resolveTarget({ target: 'linux/amd64' }, { zigVersion: '0.15.2' });
  const written = JSON.parse(manifestText({ ...record, target })) as Record<string, unknown>;

  it('reads back what manifestText wrote, for this xcc version and format', async () => {
    expect(written).toMatchObject({ xcc: xccVersion(), format: TOOLCHAIN_FORMAT, target: { id: target.id } });
    expect(await readManifest(await withManifest(manifestText({ ...record, target })))).toEqual(record);
  });

  // Wrappers of an older format (such as those whose cache default ran `$(...)` in a path) must be
  // written again, even by the same xcc version; and the cache may hold anything: what is not the shape
  // written is no manifest (provisioned again), never a cast.
  it.each([
    ['no format (written before formats existed)', { ...written, format: undefined }],
    ['an older format', { ...written, format: TOOLCHAIN_FORMAT - 1 }],
    ['another xcc version', { ...written, xcc: '0.0.0-other' }],
    ['no bin', { ...written, bin: undefined }],
    ['no env files (format 2 wrote none)', { ...written, envFiles: undefined }],
    ['an env value that is no string', { ...written, env: { CC: ['$(reboot)'] } }],
    ['a tool that is no string', { ...written, tools: { cc: 1 } }],
    ['a zig without its executable', { ...written, zig: { version: '0.15.2' } }],
    ['an array', [written]],
    ['null', null],
  ])('is absent for %s', async (_, manifest) => {
    expect(await readManifest(await withManifest(JSON.stringify(manifest)))).toBeUndefined();
  });

  it('is absent when it is not JSON or not there', async () => {
    expect(await readManifest(await withManifest('{"xcc": '))).toBeUndefined();
    expect(await readManifest(path.join(os.tmpdir(), 'xcc-no-such-toolchain'))).toBeUndefined();
  });
});
