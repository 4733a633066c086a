import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadZigConfig, zigConfig, zigConfigPath } from '../../src/zig/distribution.js';
import { parsePublicKey } from '../../src/zig/verify/minisign.js';
import { projectRoot } from '../support/paths.js';

const shipped = JSON.parse(readFileSync(zigConfigPath, 'utf8')) as Record<string, unknown>;
const dir = mkdtempSync(path.join(os.tmpdir(), 'xcc-zig-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function loadVariant(change: (config: Record<string, unknown>) => void) {
  const config = structuredClone(shipped);
  change(config);
  const file = path.join(dir, 'zig.json');
  writeFileSync(file, JSON.stringify(config));
  return () => loadZigConfig(file);
}

describe('toolchains/zig.json', () => {
  it('is the file shipped with the package', () => {
    expect(zigConfigPath).toBe(path.join(projectRoot, 'toolchains', 'zig.json'));
  });

  it('pins 0.15.2 and the Zig Software Foundation key', () => {
    const config = zigConfig();
    expect(config.defaultVersion).toBe('0.15.2');
    expect(config.publicKey).toBe('RWSGOq2NVecA2UPNdBUZykf1CCb147pkmdtYxgb3Ti+JO/wCYvhbAb/U');
    expect(() => parsePublicKey(config.publicKey)).not.toThrow();
    expect(config.indexUrl).toBe('https://ziglang.org/download/index.json');
    expect(config.downloadUrls).toEqual({
      release: 'https://ziglang.org/download',
      dev: 'https://ziglang.org/builds',
    });
    expect(config.fallbackMirrors.every((mirror) => mirror.startsWith('https://'))).toBe(true);
  });

  it('ignores keys it does not know, so the file can grow', () => {
    const load = loadVariant((config) => {
      config.somethingNew = { nested: true };
    });
    expect(load()).toEqual(zigConfig());
  });

  it.each<[string, (config: Record<string, unknown>) => void, string]>([
    ['a missing default', (c) => delete c.defaultVersion, 'defaultVersion is not a string'],
    [
      'a default that is a range',
      (c) => (c.defaultVersion = '0.15'),
      'defaultVersion is not a Zig version: "0.15"',
    ],
    [
      'a mirror that is not a URL',
      (c) => ((c.fallbackMirrors as string[])[2] = 'zig.linus.dev'),
      'fallbackMirrors[2] is not a URL',
    ],
    [
      'a mirror with a final /',
      (c) => ((c.fallbackMirrors as string[])[0] = 'https://a.example/'),
      'fallbackMirrors[0] is not a URL',
    ],
    [
      'a threshold that is not a version',
      (c) => ((c.naming as { archBeforeOs: { dev: string } }).archBeforeOs.dev = 'soon'),
      'naming.archBeforeOs.dev is not a Zig version: "soon"',
    ],
    [
      'a rename without its old name',
      (c) => delete (c.naming as { archRenames: { was?: string }[] }).archRenames[1]!.was,
      'naming.archRenames[1].was is not a string',
    ],
    [
      'a platform tag that is not a string',
      (c) => ((c.pypi as { platformTags: Record<string, unknown> }).platformTags['x86-linux'] = 1),
      'pypi.platformTags."x86-linux" is not a string',
    ],
  ])('names the key when it has %s', (_, change, message) => {
    expect(loadVariant(change)).toThrow(`${path.join(dir, 'zig.json')}: ${message}`);
  });

  it('says when the file is not JSON', () => {
    const file = path.join(dir, 'broken.json');
    writeFileSync(file, '{"defaultVersion": ');
    expect(() => loadZigConfig(file)).toThrow(`${file}: the document is not valid JSON`);
  });
});
