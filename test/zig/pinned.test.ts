import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { pinIndex, renderTable } from '../../scripts/gen-zig-releases.js';
import { selectWheel } from '../../scripts/pypi-wheels.js';
import { minimumZigVersion } from '../../src/resolve/zig-version.js';
import { zigConfig } from '../../src/zig/distribution.js';
import { currentHostKey } from '../../src/zig/host.js';
import {
  loadZigReleases,
  pinnedCatalog,
  zigReleases,
  zigReleasesPath,
} from '../../src/zig/releases/pinned.js';
import { parseIndex, resolveVersion } from '../../src/zig/releases/releases.js';
import { pypiVersionsFor } from '../../src/zig/sources/pypi.js';
import { fixturesDir } from '../support/paths.js';

const index = parseIndex(readFileSync(path.join(fixturesDir, 'zig', 'index.json'), 'utf8'));
const table = zigReleases();

describe('toolchains/zig-releases.json', () => {
  it('is what scripts/gen-zig-releases.ts makes from the real index.json (index part)', () => {
    const regenerated = { index: pinIndex(index, minimumZigVersion()), pypi: table.pypi };
    expect(renderTable(regenerated)).toBe(readFileSync(zigReleasesPath, 'utf8'));
  });

  it('pins every release from the minimum supported version on', () => {
    expect(Object.keys(table.index)).toEqual([
      '0.15.2',
      '0.15.1',
      '0.14.1',
      '0.14.0',
      '0.13.0',
      '0.12.1',
      '0.12.0',
      '0.11.0',
    ]);
    expect(table.index['0.15.2']?.['x86_64-linux']).toEqual({
      file: 'zig-x86_64-linux-0.15.2.tar.xz',
      size: 53733924,
      sha256: '02aa270f183da276e5b5920b1dac44a63f1a49e55050ebde3aecc9eb82f93239',
    });
    expect(table.index['0.14.1']?.['armv7a-linux']?.file).toBe('zig-armv7a-linux-0.14.1.tar.xz');
  });

  it('has the default version, offline', () => {
    expect(resolveVersion({ kind: 'default' }, pinnedCatalog(table)).version).toBe(
      zigConfig().defaultVersion,
    );
    expect(table.index[zigConfig().defaultVersion]?.['x86_64-linux']).toBeDefined();
  });

  it('pins, for each wheel, a build of the same Zig, and the wheel is the one selectWheel takes for its host', () => {
    const config = zigConfig().pypi;
    const wheels = Object.entries(table.pypi).flatMap(([version, hosts]) =>
      Object.entries(hosts).map(([host, wheel]) => ({ version, host, wheel })),
    );
    expect(wheels.length).toBeGreaterThan(60);
    for (const { version, host, wheel } of wheels) {
      expect(table.index[version]?.[host]).toBeDefined();
      expect(pypiVersionsFor(version, [wheel.version])).toEqual([wheel.version]);
      const blake2b256 = wheel.url.slice(config.filesUrl.length).replaceAll('/', '').replace(wheel.file, '');
      const file = {
        filename: wheel.file,
        size: wheel.size,
        sha256: wheel.sha256,
        blake2b256,
        yanked: false,
      };
      expect(selectWheel(currentHostKey(host), [{ version: wheel.version, files: [file] }], config)).toEqual(
        wheel,
      );
    }
  });

  it('says which key is wrong when the file is damaged', () => {
    expect(() => loadZigReleases(path.join(fixturesDir, 'zig', 'index.json'))).toThrow(
      /index\.json: index is not an object$/,
    );
  });
});
