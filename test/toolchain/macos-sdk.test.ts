import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import { needTestZig } from '../support/provided-zig.js';
import { provisionForTest } from '../support/toolchains.js';

/**
 * A macOS SDK given for a darwin target must be a directory holding SDKSettings.json (or, before macOS
 * 10.14's SDK, SDKSettings.plist); without one, xcc links against stubs (darwin-sdkless.test.ts). Anything
 * else is input the user must fix (a UsageError: exit 2), refused before the
 * wrappers are written. The CLI's cases (flag, SDKROOT, warm and empty cache) are in
 * test/reliability/bad-input.test.ts.
 */

async function sdk(files: string[]): Promise<string> {
  const dir = path.join(await mkdtemp(path.join(os.tmpdir(), 'xcc-sdk-')), 'MacOSX15.sdk');
  await mkdir(dir);
  for (const file of files) await writeFile(path.join(dir, file), '{}\n');
  return dir;
}

describe('the macOS SDK of a darwin target', () => {
  it.for(['SDKSettings.json', 'SDKSettings.plist'])('is taken when it holds %s', async (file, context) => {
    const test = needTestZig(context);
    const home = await mkdtemp(path.join(os.tmpdir(), 'xcc-sdk-home-'));
    const macosSdk = await sdk([file]);
    const toolchain = await provisionForTest(test, { target: 'darwin/arm64', macosSdk }, { home });
    expect(toolchain.env.SDKROOT).toBe(macosSdk);
  });

  it.for<[string, string | undefined, RegExp]>([
    [
      'a directory without SDKSettings',
      'empty',
      /^the macOS SDK \S+ is not one: it has no SDKSettings\.json;/,
    ],
    ['a path that does not exist', 'gone', /^the macOS SDK \S+ does not exist;/],
  ])('is refused when %s, as bad input', async ([, kind, message], context) => {
    const test = needTestZig(context);
    const home = await mkdtemp(path.join(os.tmpdir(), 'xcc-sdk-home-'));
    const macosSdk =
      kind === undefined ? undefined : kind === 'empty' ? await sdk([]) : path.join(home, 'no.sdk');
    const provisioned = provisionForTest(test, { target: 'darwin/arm64', macosSdk }, { home });
    await expect(provisioned).rejects.toBeInstanceOf(UsageError);
    await expect(provisioned).rejects.toThrow(message);
  });
});
