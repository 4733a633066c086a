import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { findProjectConfig, parseProjectConfig } from '../../src/toolchain/project-config.js';
import { usageError } from '../support/errors.js';

/**
 * xcc.json and package.json's "xcc" field: a project file anyone can check in, so every mistake in it is
 * the user's to fix: one line naming the file, the place in it and what would be right, exit code 2.
 */

const root = mkdtempSync(path.join(os.tmpdir(), 'xcc-project-config-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

let dirs = 0;
/** A fresh directory holding `files` (name -> JSON value, or raw text). */
function project(files: Record<string, unknown>): string {
  const dir = path.join(root, `p${dirs++}`);
  mkdirSync(dir, { recursive: true });
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), typeof content === 'string' ? content : JSON.stringify(content));
  }
  return dir;
}

const F = '/p/xcc.json';

describe('every mistake in a config is one usage line naming where it is', () => {
  const cases: [string, unknown, string][] = [
    [
      'not an object',
      ['linux/arm64'],
      `${F} must be an object like {"targets": ["linux/arm64"]}, got a list ["linux/arm64"]`,
    ],
    ['null', null, `${F} must be an object like {"targets": ["linux/arm64"]}, got null null`],
    [
      'an unknown setting',
      { zig: '0.15', target: 'linux/arm64' },
      `${F}: target is not a setting xcc knows; use "zig" and "targets"`,
    ],
    [
      'zig not a string',
      { zig: 0.15 },
      `${F}: zig must be a version spec string like "0.15.2" or "0.15", got number 0.15`,
    ],
    [
      'zig blank',
      { zig: '  ' },
      `${F}: zig must be a version spec string like "0.15.2" or "0.15", got string "  "`,
    ],
    [
      'targets not a list',
      { targets: 'linux/arm64' },
      `${F}: targets must be a list like ["linux/arm64", "windows/amd64"], got string "linux/arm64"`,
    ],
    [
      'a target neither string nor object',
      { targets: ['linux/arm64', 7] },
      `${F}: targets[1] must be a target string like "linux/arm64" or an object like {"target": "linux/amd64", "glibc": "2.28"}, got number 7`,
    ],
    [
      'an unknown target setting',
      { targets: [{ target: 'linux/arm64', arch: 'x' }] },
      `${F}: targets[0].arch is not a target setting; use target, libc, glibc, macosSdk, sysroot, goarm, goarm64, goamd64, go386, gomips, gomips64, goppc64, goriscv64`,
    ],
    [
      'a target object without target',
      { targets: [{ libc: 'musl' }] },
      `${F}: targets[0].target must be "linux/arm64", got nothing`,
    ],
    [
      'an unknown libc',
      { targets: [{ target: 'linux/arm64', libc: 'uclibc' }] },
      `${F}: targets[0].libc must be one of "musl", "glibc", "mingw", got string "uclibc"`,
    ],
    [
      'glibc as a number',
      { targets: [{ target: 'linux/arm64', glibc: 2.3 }] },
      `${F}: targets[0].glibc must be "2.28" (a string: 2.30 as a number would read as 2.3), got number 2.3`,
    ],
    [
      'macosSdk not a string',
      { targets: [{ target: 'darwin/arm64', macosSdk: true }] },
      `${F}: targets[0].macosSdk must be "/path/to/MacOSX.sdk", got boolean true`,
    ],
    [
      'a GO* setting not a string',
      { targets: [{ target: 'linux/arm', goarm: 7 }] },
      `${F}: targets[0].goarm must be a string such as "7" or "v3", got number 7`,
    ],
    [
      'a long value is shortened',
      { zig: { a: 'x'.repeat(60) } },
      `${F}: zig must be a version spec string like "0.15.2" or "0.15", got object {"a":"${'x'.repeat(31)}...`,
    ],
  ];
  for (const [label, document, message] of cases) {
    it(label, () => {
      expect(() => parseProjectConfig(document, F)).toThrow(usageError(message));
    });
  }

  it('in package.json, the place is under "xcc"', () => {
    expect(() => parseProjectConfig('linux/arm64', '/p/package.json', 'xcc')).toThrow(
      usageError(
        '/p/package.json: "xcc" must be an object like {"targets": ["linux/arm64"]}, got string "linux/arm64"',
      ),
    );
    expect(() => parseProjectConfig({ targets: [{ target: '' }] }, '/p/package.json', 'xcc')).toThrow(
      usageError('/p/package.json: xcc.targets[0].target must be "linux/arm64", got string ""'),
    );
  });

  it('xcc.json that is not JSON', () => {
    const dir = project({ 'xcc.json': '{"zig": "0.15",}' });
    expect(() => findProjectConfig(dir)).toThrow(
      usageError(new RegExp(`^${path.join(dir, 'xcc.json')} is not valid JSON \\(.+\\); fix the file$`)),
    );
  });

  it('package.json that is not JSON, even without an "xcc" field in view', () => {
    const dir = project({ 'package.json': '{"name": ' });
    expect(() => findProjectConfig(dir)).toThrow(
      usageError(/package\.json is not valid JSON \(.+\); fix the file$/),
    );
  });

  it('both xcc.json and an "xcc" field in one directory', () => {
    const dir = project({ 'xcc.json': { zig: '0.15' }, 'package.json': { name: 'p', xcc: { zig: '0.14' } } });
    expect(() => findProjectConfig(dir)).toThrow(
      usageError(`${dir} has both xcc.json and an "xcc" field in package.json; keep one of them`),
    );
  });
});

describe('reading a project config', () => {
  it('takes every field, strings as targets and objects with their settings', () => {
    expect(
      parseProjectConfig(
        {
          zig: '0.15',
          targets: [
            'linux/arm64',
            { target: 'linux/amd64', glibc: '2.28', goamd64: 'v3' },
            { target: 'linux/arm', libc: 'musl', goarm: '7' },
            { target: 'darwin/arm64', macosSdk: '/sdk/MacOSX.sdk' },
          ],
        },
        '/p/q/xcc.json',
      ),
    ).toEqual({
      file: '/p/q/xcc.json',
      dir: '/p/q',
      zig: '0.15',
      targets: [
        { target: 'linux/arm64' },
        { target: 'linux/amd64', glibcVersion: '2.28', libc: 'glibc', goamd64: 'v3' },
        { target: 'linux/arm', libc: 'musl', goarm: '7' },
        { target: 'darwin/arm64', macosSdk: '/sdk/MacOSX.sdk' },
      ],
    });
  });

  it("takes a target's sysroot from the file's directory, wherever xcc runs", () => {
    const targets = [
      { target: 'linux/arm64', sysroot: 'sysroots/arm64' },
      { target: 'linux/amd64', sysroot: '/srv/amd64' },
    ];
    expect(parseProjectConfig({ targets }, '/p/q/xcc.json').targets).toEqual([
      { target: 'linux/arm64', sysroot: '/p/q/sysroots/arm64' },
      { target: 'linux/amd64', sysroot: '/srv/amd64' },
    ]);
    expect(() => parseProjectConfig({ targets: [{ target: 'linux/arm64', sysroot: 7 }] }, F)).toThrow(
      usageError(`${F}: targets[0].sysroot must be "path/to/sysroot", got number 7`),
    );
  });

  it('an empty object is no Zig spec (the pinned default) and no targets', () => {
    expect(parseProjectConfig({}, '/p/xcc.json')).toEqual({
      file: '/p/xcc.json',
      dir: '/p',
      zig: undefined,
      targets: [],
    });
  });

  it('the nearest directory with a config wins, looking up from the working directory', () => {
    const top = project({ 'xcc.json': { zig: '0.14' }, 'a/xcc.json': { zig: '0.15' }, 'a/b/c/readme': 'x' });
    expect(findProjectConfig(path.join(top, 'a', 'b', 'c'))).toMatchObject({
      file: path.join(top, 'a', 'xcc.json'),
      dir: path.join(top, 'a'),
      zig: '0.15',
    });
    expect(findProjectConfig(top)?.zig).toBe('0.14');
  });

  it('reads the "xcc" field of package.json, and skips a package.json without one', () => {
    const top = project({
      'package.json': { name: 'outer', xcc: { targets: ['windows/amd64'] } },
      'inner/package.json': { name: 'inner' },
    });
    expect(findProjectConfig(path.join(top, 'inner'))).toEqual({
      file: path.join(top, 'package.json'),
      dir: top,
      zig: undefined,
      targets: [{ target: 'windows/amd64' }],
    });
  });

  it('a nearer package.json field wins over an xcc.json further up', () => {
    const top = project({ 'xcc.json': { zig: '0.14' }, 'sub/package.json': { xcc: { zig: '0.15' } } });
    expect(findProjectConfig(path.join(top, 'sub'))?.file).toBe(path.join(top, 'sub', 'package.json'));
  });

  it('no config anywhere up to the root is undefined', () => {
    const dir = project({ 'package.json': { name: 'no-xcc' } });
    // Nothing above the temporary directory is in our hands: only assert when the machine has no config there.
    if (findProjectConfig(path.dirname(root)) !== undefined) return;
    expect(findProjectConfig(dir)).toBeUndefined();
  });
});
