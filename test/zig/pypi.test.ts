import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseWheelName, pypiVersionsFor, zigVersionOfPypi } from '../../src/zig/sources/pypi.js';
import { projectRoot } from '../support/paths.js';

// A real snapshot of PyPI's project JSON for `ziglang` (see its $comment).
const snapshotText = readFileSync(path.join(projectRoot, 'test', 'fixtures', 'pypi-ziglang.json'), 'utf8');
const published = Object.keys((JSON.parse(snapshotText) as { releases: object }).releases);

describe('pypiVersionsFor', () => {
  it.each([
    ['0.15.2', ['0.15.2']],
    ['0.13.0', ['0.13.0.post1', '0.13.0']],
    ['0.17.0', ['0.17.0.post0', '0.17.0']],
    ['0.11.0', []],
    ['0.16.0-dev.1+0123abcde', []],
  ])('%s is published as %j, preferred first', (version, expected) => {
    expect(pypiVersionsFor(version, published)).toEqual(expected);
  });

  it('does not take a longer version for a post release', () => {
    expect(pypiVersionsFor('0.1.1', ['0.1.1', '0.1.10', '0.1.1.post2', '0.1.1.dev3', '10.1.1'])).toEqual([
      '0.1.1.post2',
      '0.1.1',
    ]);
  });
});

describe('parseWheelName', () => {
  it.each([
    [
      'ziglang-0.15.2-py3-none-manylinux_2_12_x86_64.manylinux2010_x86_64.musllinux_1_1_x86_64.whl',
      {
        project: 'ziglang',
        version: '0.15.2',
        platforms: ['manylinux_2_12_x86_64', 'manylinux2010_x86_64', 'musllinux_1_1_x86_64'],
      },
    ],
    [
      'ziglang-0.13.0.post1-1-py3-none-win_arm64.whl',
      { project: 'ziglang', version: '0.13.0.post1', platforms: ['win_arm64'] },
    ],
  ])('reads %s', (name, expected) => {
    expect(parseWheelName(name)).toEqual(expected);
  });

  it.each([
    'ziglang-0.16.0-py3-none-x/../../../../../escaped.manylinux_2_12_x86_64.whl',
    'ziglang-0.16.0-py3-none-..\\..\\escaped.whl',
    '/etc/ziglang-0.16.0-py3-none-any.whl',
    'ziglang-0.16.0-py3-none-any.whl/',
    'ziglang-0.16.0-py3-none.whl',
    'ziglang-0.16.0-py3-none-any.tar.gz',
    '..',
    'ziglang-0.16.0-py3-none-any\n.whl',
  ])('refuses %j', (name) => {
    expect(parseWheelName(name)).toBeUndefined();
  });

  it('maps a post release to the Zig it carries', () => {
    expect(zigVersionOfPypi('0.13.0.post1')).toBe('0.13.0');
    expect(zigVersionOfPypi('0.15.2')).toBe('0.15.2');
  });
});
