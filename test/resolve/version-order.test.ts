import fc from 'fast-check';
import compare from 'semver/functions/compare.js';
import valid from 'semver/functions/valid.js';
import { describe, expect, it } from 'vitest';
import { compareVersions, isVersion } from '../../src/resolve/version-order.js';

/** src/resolve/version-order.ts stands in for `semver` on the warm path: it must agree with it. */

const number = fc.oneof(fc.constantFrom(0, 1, 2, 9, 10, 11, 99), fc.nat({ max: 100_000 }));
const identifier = fc.oneof(
  number.map(String),
  fc.constantFrom('dev', 'rc', 'alpha', 'beta', 'Beta', 'x-1', '0a', 'a0', '-'),
);
const version = fc
  .record({
    core: fc.tuple(number, number, number),
    prerelease: fc.array(identifier, { maxLength: 3 }),
    build: fc.option(fc.constantFrom('abcdef012', 'exp.sha.5114f85', '001'), { nil: undefined }),
  })
  .map(({ core, prerelease, build }) => {
    const pre = prerelease.length > 0 ? `-${prerelease.join('.')}` : '';
    return `${core.join('.')}${pre}${build === undefined ? '' : `+${build}`}`;
  });

describe('compareVersions', () => {
  it('orders as semver.compare does, over generated versions', () => {
    fc.assert(
      fc.property(version, version, (a, b) => {
        expect(compareVersions(a, b)).toBe(compare(a, b));
      }),
      { numRuns: 5000 },
    );
  });

  it.each([
    ['0.15.2', '0.15.10', -1],
    ['0.16.0-dev.1234+abcdef012', '0.16.0', -1],
    ['0.16.0-dev.99+a', '0.16.0-dev.100+b', -1],
    ['0.15.0-dev.631+aaaaaaa', '0.14.1', 1],
    ['1.0.0-alpha', '1.0.0-alpha.1', -1],
    ['1.0.0-alpha.beta', '1.0.0-beta', -1],
    ['1.0.0-beta.11', '1.0.0-rc.1', -1],
    ['1.0.0+a', '1.0.0+b', 0],
  ])('%s against %s', (a, b, expected) => {
    expect(compareVersions(a, b)).toBe(expected);
    expect(compare(a, b)).toBe(expected);
  });

  it('accepts exactly what semver.valid accepts, without its loose prefixes', () => {
    for (const text of [
      '0.15.2',
      '0.16.0-dev.1+abc',
      '01.2.3',
      '1.2',
      '1.2.3-',
      '1.2.3-01',
      'v1.2.3',
      '=1.2.3',
      '1.2.3+',
      ' 1.2.3',
    ]) {
      expect(isVersion(text), text).toBe(/^\d/.test(text) && valid(text) !== null);
    }
  });

  it('throws on what is not a version', () => {
    expect(() => compareVersions('0.15', '0.15.0')).toThrow(/Invalid Version: 0\.15/);
  });
});
