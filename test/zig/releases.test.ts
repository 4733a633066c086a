import { readFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { UsageError, XccError } from '../../src/errors.js';
import { minimumZigVersion, parseZigVersion } from '../../src/resolve/zig-version.js';
import {
  findArtifact,
  indexCatalog,
  parseIndex,
  parseVersionSpec,
  resolveVersion,
  type VersionCatalog,
  type VersionSpec,
} from '../../src/zig/releases/releases.js';
import { fixturesDir } from '../support/paths.js';

const indexText = readFileSync(path.join(fixturesDir, 'zig', 'index.json'), 'utf8');
const index = parseIndex(indexText);
const catalog = indexCatalog(index);
const options = { defaultVersion: '0.15.2', minimumVersion: '0.12.0' };

describe('parseIndex on the real index.json', () => {
  it('lists every release and the master entry', () => {
    expect(Object.keys(index.releases)).toEqual([
      '0.15.2',
      '0.15.1',
      '0.14.1',
      '0.14.0',
      '0.13.0',
      '0.12.1',
      '0.12.0',
      '0.11.0',
      '0.10.1',
      '0.10.0',
      '0.9.1',
      '0.9.0',
      '0.8.1',
      '0.8.0',
      '0.7.1',
      '0.7.0',
      '0.6.0',
      '0.5.0',
      '0.4.0',
      '0.3.0',
      '0.2.0',
      '0.1.1',
    ]);
    expect(index.master?.version).toBe('0.15.1');
  });

  it('reads sizes written as decimal strings', () => {
    expect(index.releases['0.14.1']?.hosts['x86_64-linux']).toEqual({
      file: 'zig-x86_64-linux-0.14.1.tar.xz',
      url: 'https://ziglang.org/download/0.14.1/zig-x86_64-linux-0.14.1.tar.xz',
      sha256: '24aeeec8af16c381934a6cd7d95c807a8cb2cf7df9fa40d359aa884195c4716c',
      size: 49086504,
    });
  });

  it('takes the version from the key when the entry has none, and notes only where present', () => {
    expect(index.releases['0.15.2']).toMatchObject({
      version: '0.15.2',
      date: '2025-10-11',
      notes: undefined,
    });
    expect(index.releases['0.15.1']).toMatchObject({
      version: '0.15.1',
      notes: 'https://ziglang.org/download/0.15.1/release-notes.html',
    });
    expect(index.releases['0.14.1']?.notes).toBeUndefined();
    expect(index.releases['0.12.1']?.notes).toBeUndefined();
  });

  it('does not take src and bootstrap for hosts', () => {
    const hosts = Object.keys(index.releases['0.15.2']!.hosts);
    expect(hosts).toHaveLength(23);
    expect(hosts).not.toContain('src');
    expect(hosts).not.toContain('bootstrap');
    expect(Object.keys(index.releases['0.5.0']!.hosts)).toEqual([
      'x86_64-freebsd',
      'x86_64-macos',
      'x86_64-windows',
      'x86_64-linux',
    ]);
  });

  it.each([
    ['0.15.2', 'arm-linux', 'zig-arm-linux-0.15.2.tar.xz'],
    ['0.14.1', 'arm-linux', 'zig-armv7a-linux-0.14.1.tar.xz'],
    ['0.13.0', 'arm-linux', 'zig-linux-armv7a-0.13.0.tar.xz'],
    ['0.13.0', 'x86_64-windows', 'zig-windows-x86_64-0.13.0.zip'],
    ['0.10.1', 'x86-linux', 'zig-linux-i386-0.10.1.tar.xz'],
    ['0.11.0', 'x86-windows', 'zig-windows-x86-0.11.0.zip'],
  ])('finds %s for the current host key %s under its old key: %s', (version, host, file) => {
    expect(findArtifact(index, version, host)?.file).toBe(file);
  });

  it('finds nothing for a host a release has no build for', () => {
    expect(findArtifact(index, '0.14.0', 's390x-linux')).toBeUndefined();
    expect(findArtifact(index, '0.14.1', 'x86_64-freebsd')).toBeUndefined();
    expect(findArtifact(index, '0.99.0', 'x86_64-linux')).toBeUndefined();
  });

  it('finds the master build by its version', () => {
    const master = JSON.parse(indexText) as Record<string, Record<string, unknown>>;
    master.master!.version = '0.16.0-dev.1+0123abcde';
    const withDev = parseIndex(JSON.stringify(master));
    expect(findArtifact(withDev, '0.16.0-dev.1+0123abcde', 'x86_64-linux')?.url).toBe(
      'https://ziglang.org/builds/zig-x86_64-linux-0.15.1.tar.xz',
    );
  });
});

describe('parseIndex on malformed documents', () => {
  const broken = (change: (doc: Record<string, Record<string, Record<string, unknown>>>) => void) => {
    const doc = JSON.parse(indexText);
    change(doc);
    return JSON.stringify(doc);
  };
  const linux = '"0.15.2"."x86_64-linux"';
  it.each<[string, string, string]>([
    ['text that is not JSON', '{"master": ', 'index.json: the document is not valid JSON'],
    ['an array', '[]', 'index.json: the document is not an object'],
    [
      'a key that is not a version',
      broken((d) => (d['0.15'] = {})),
      'index.json: "0.15" is neither "master" nor a release version',
    ],
    [
      'a version that is not an object',
      broken((d) => (d['0.15.2'] = 'x' as never)),
      'index.json: "0.15.2" is not an object',
    ],
    [
      'a bad sha256',
      broken((d) => (d['0.15.2']!['x86_64-linux']!.shasum = 'abc')),
      `index.json: ${linux}.shasum is not a sha256: "abc"`,
    ],
    [
      'a missing sha256',
      broken((d) => delete d['0.15.2']!['x86_64-linux']!.shasum),
      `index.json: ${linux}.shasum is not a string`,
    ],
    [
      'a size with a unit',
      broken((d) => (d['0.15.2']!['x86_64-linux']!.size = '49 MB')),
      `index.json: ${linux}.size is not a size in bytes: "49 MB"`,
    ],
    [
      'a negative size',
      broken((d) => (d['0.15.2']!['x86_64-linux']!.size = -1)),
      `index.json: ${linux}.size is not a size in bytes: -1`,
    ],
    [
      'a fractional size',
      broken((d) => (d['0.15.2']!['x86_64-linux']!.size = '1.5')),
      `index.json: ${linux}.size is not a size in bytes: "1.5"`,
    ],
    [
      'a missing tarball',
      broken((d) => delete d['0.15.2']!['x86_64-linux']!.tarball),
      `index.json: ${linux}.tarball is not a string`,
    ],
    [
      'a relative tarball',
      broken((d) => (d['0.15.2']!['x86_64-linux']!.tarball = 'zig.tar.xz')),
      `index.json: ${linux}.tarball is not an http(s) URL of a file: "zig.tar.xz"`,
    ],
    [
      'a tarball URL of a directory',
      broken((d) => (d['0.15.2']!['x86_64-linux']!.tarball = 'https://a.example/zig/')),
      `${linux}.tarball is not an http(s) URL of a file`,
    ],
    [
      'an ftp tarball',
      broken((d) => (d['0.15.2']!['x86_64-linux']!.tarball = 'ftp://a.example/zig.tar.xz')),
      `${linux}.tarball is not an http(s) URL of a file`,
    ],
    [
      'an artifact that is null',
      broken((d) => (d['0.15.2']!['x86_64-linux'] = null as never)),
      `index.json: ${linux} is not an object`,
    ],
    [
      'an artifact that is an array',
      broken((d) => (d['0.15.2']!['x86_64-linux'] = [] as never)),
      `index.json: ${linux} is not an object`,
    ],
    [
      'a host key that is not <arch>-<os>',
      broken((d) => (d['0.15.2']!['x86_64 linux'] = {})),
      'index.json: "0.15.2"."x86_64 linux" is not a host key (<arch>-<os>)',
    ],
    [
      'master without a version',
      broken((d) => delete d.master!.version),
      'index.json: master.version is not a string',
    ],
    [
      'master with a bad version',
      broken((d) => (d.master!.version = 'tip' as never)),
      'index.json: master.version is not a Zig version: "tip"',
    ],
    [
      'notes that are not text',
      broken((d) => (d['0.15.1']!.notes = 1 as never)),
      'index.json: "0.15.1".notes is not a string',
    ],
  ])('rejects %s, naming the place', (_, text, message) => {
    expect(() => parseIndex(text)).toThrow(XccError);
    expect(() => parseIndex(text)).toThrow(message);
  });

  it('names the document by its source', () => {
    expect(() => parseIndex('[]', 'https://zig.example/index.json')).toThrow(
      'https://zig.example/index.json: the document is not an object',
    );
  });

  it('accepts sizes written as numbers (private indexes) and upper-case hashes', () => {
    const text = broken((d) => {
      d['0.15.2']!['x86_64-linux']!.size = 5;
      d['0.15.2']!['x86_64-linux']!.shasum = 'AB'.repeat(32);
    });
    expect(parseIndex(text).releases['0.15.2']?.hosts['x86_64-linux']).toMatchObject({
      size: 5,
      sha256: 'ab'.repeat(32),
    });
  });

  it('fails with an XccError, never a TypeError, whatever value replaces any part of the real index', () => {
    // A few entries with every quirk keep the runs fast: master, a release with `version`, armv7a, src only.
    const full = JSON.parse(indexText) as Record<string, unknown>;
    const doc = Object.fromEntries(['master', '0.15.2', '0.14.1', '0.1.1'].map((key) => [key, full[key]]));
    const paths = [[], ...allPaths(doc)];
    fc.assert(
      fc.property(fc.constantFrom(...paths), fc.jsonValue(), (at, value) => {
        try {
          parseIndex(JSON.stringify(replaceAt(structuredClone(doc), at, value)));
        } catch (error) {
          expect(error).toBeInstanceOf(XccError);
        }
      }),
      { numRuns: 1000 },
    );
  });
});

function allPaths(value: unknown, prefix: string[] = []): string[][] {
  if (typeof value !== 'object' || value === null) return [];
  return Object.entries(value).flatMap(([key, child]) => [
    [...prefix, key],
    ...allPaths(child, [...prefix, key]),
  ]);
}

function replaceAt(doc: unknown, at: string[], value: unknown): unknown {
  if (at.length === 0) return value;
  let parent = doc as Record<string, unknown>;
  for (const key of at.slice(0, -1)) parent = parent[key] as Record<string, unknown>;
  parent[at.at(-1)!] = value;
  return doc;
}

describe('parseVersionSpec', () => {
  it.each<[string | undefined, VersionSpec]>([
    [undefined, { kind: 'default' }],
    ['', { kind: 'default' }],
    ['  ', { kind: 'default' }],
    ['0.15.2', { kind: 'exact', version: '0.15.2' }],
    [' 0.15.2\n', { kind: 'exact', version: '0.15.2' }],
    ['0.15', { kind: 'minor', minor: '0.15' }],
    ['>=0.14 <0.16', { kind: 'range', range: '>=0.14 <0.16' }],
    ['^0.13', { kind: 'range', range: '^0.13' }],
    ['0.14.x', { kind: 'range', range: '0.14.x' }],
    ['*', { kind: 'range', range: '*' }],
    ['latest', { kind: 'latest' }],
    ['master', { kind: 'master' }],
    ['0.16.0-dev.1234+abcdef012', { kind: 'dev', version: '0.16.0-dev.1234+abcdef012' }],
  ])('reads %j', (input, spec) => {
    expect(parseVersionSpec(input)).toEqual(spec);
  });

  it.each(['foo', 'Latest', '0.15.2.1', '>=banana', '0.15.2 || x y', 'v'])(
    'refuses %j with examples of valid specs',
    (input) => {
      expect(() => parseVersionSpec(input)).toThrow(UsageError);
      expect(() => parseVersionSpec(input)).toThrow(
        `invalid Zig version spec "${input}": use a release (0.15.2), a minor version (0.15: its newest patch), a semver range (">=0.14 <0.16"), latest, master, or a dev build (0.16.0-dev.1234+abcdef012)`,
      );
    },
  );

  it('says a dev build needs its commit', () => {
    expect(() => parseVersionSpec('0.15.0-dev.631')).toThrow(
      'invalid Zig version "0.15.0-dev.631": a dev build needs its commit, as in 0.15.0-dev.631+9a3540d61',
    );
  });
});

describe('resolveVersion against the real index', () => {
  const resolve = (input: string | undefined, on: VersionCatalog = catalog) =>
    resolveVersion(parseVersionSpec(input), on, options);

  it.each([
    [undefined, '0.15.2'],
    ['0.15.2', '0.15.2'],
    ['0.12.0', '0.12.0'],
    ['0.15', '0.15.2'],
    ['0.14', '0.14.1'],
    ['0.12', '0.12.1'],
    ['>=0.14 <0.16', '0.15.2'],
    ['>=0.14 <0.15.2', '0.15.1'],
    ['^0.13', '0.13.0'],
    ['~0.14.0', '0.14.1'],
    ['0.14.x', '0.14.1'],
    ['*', '0.15.2'],
    ['latest', '0.15.2'],
    // The stored index's master entry lags behind and names a release.
    ['master', '0.15.1'],
  ])('%j is %s', (input, version) => {
    expect(resolve(input)).toEqual({ version, dev: false, warning: undefined });
  });

  it('takes the newest release for latest, whatever the order of the index', () => {
    expect(
      resolve('latest', { releases: ['0.13.0', '0.15.1', '0.14.1', '0.9.0'], master: undefined }).version,
    ).toBe('0.15.1');
  });

  it('warns that dev builds disappear, for master and for a dev version', () => {
    const warning =
      'Zig 0.16.0-dev.1234+abcdef012 is a dev build: ziglang.org deletes dev builds after about 30 days, so builds that depend on it will stop working; pin a release (e.g. 0.15.2) for reproducible builds';
    const withDev = { ...catalog, master: '0.16.0-dev.1234+abcdef012' };
    expect(resolve('master', withDev)).toEqual({ version: '0.16.0-dev.1234+abcdef012', dev: true, warning });
    expect(resolve('0.16.0-dev.1234+abcdef012')).toEqual({
      version: '0.16.0-dev.1234+abcdef012',
      dev: true,
      warning,
    });
  });

  it.each([
    ['0.15.3', 'no Zig release matches "0.15.3"; nearest available: 0.15.1, 0.15.2 (newest: 0.15.2)'],
    ['0.16', 'no Zig release matches "0.16"; nearest available: 0.15.1, 0.15.2 (newest: 0.15.2)'],
    ['>=0.17', 'no Zig release matches ">=0.17"; nearest available: 0.15.1, 0.15.2 (newest: 0.15.2)'],
    [
      '0.13.1',
      'no Zig release matches "0.13.1"; nearest available: 0.12.1, 0.13.0, 0.14.0, 0.14.1 (newest: 0.15.2)',
    ],
    [
      '0.11',
      'no Zig release matches "0.11"; nearest available: 0.12.0, 0.12.1 (newest: 0.15.2); xcc supports Zig 0.12.0 and newer',
    ],
    [
      '<0.12',
      'no Zig release matches "<0.12"; nearest available: 0.12.0, 0.12.1 (newest: 0.15.2); xcc supports Zig 0.12.0 and newer',
    ],
  ])('lists the nearest versions when nothing matches %j', (input, message) => {
    expect(() => resolve(input)).toThrow(XccError);
    expect(() => resolve(input)).toThrow(message);
  });

  it.each(['0.11.0', '0.10.1', '0.11.0-dev.3000+0123abcde'])(
    'refuses %s, older than the oldest supported',
    (input) => {
      expect(() => resolve(input)).toThrow(UsageError);
      expect(() => resolve(input)).toThrow(
        `Zig ${input} is older than the oldest version xcc supports (0.12.0); pick 0.12.0 or newer`,
      );
    },
  );

  it('by default refuses what target resolution refuses: one minimum, from targets.json', () => {
    expect(minimumZigVersion()).toBe('0.11.0');
    expect(() => resolveVersion(parseVersionSpec('0.10.1'), catalog)).toThrow(
      'Zig 0.10.1 is older than the oldest version xcc supports (0.11.0); pick 0.11.0 or newer',
    );
    expect(() => parseZigVersion('0.10.1')).toThrow('zig 0.10.1 is older than 0.11.0');
    expect(resolveVersion(parseVersionSpec('0.11.0'), catalog).version).toBe('0.11.0');
  });

  it('says when master cannot be resolved without the live index', () => {
    expect(() => resolve('master', { releases: catalog.releases, master: undefined })).toThrow(
      'Zig master needs the live index.json, which is not available (offline, or the index has no master entry); connect to the network or pick a release',
    );
  });

  it('says when a private index lacks the default version', () => {
    expect(() => resolve(undefined, { releases: ['0.14.1', '0.13.0'], master: undefined })).toThrow(
      'no Zig release matches "0.15.2 (the default)"; nearest available: 0.13.0, 0.14.1 (newest: 0.14.1)',
    );
  });

  it('uses toolchains/zig.json when no options are given', () => {
    expect(resolveVersion({ kind: 'default' }, catalog).version).toBe('0.15.2');
  });
});
