import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import { parseExpectations } from '../../src/inspect/expect.js';

describe('--expect parsing', () => {
  it.each([
    ['linux/arm64', { kind: 'target', os: 'linux', arch: 'arm64', variant: null }],
    ['linux/arm/v7', { kind: 'target', os: 'linux', arch: 'arm', variant: 'v7' }],
    ['linux/amd64/v3', { kind: 'target', os: 'linux', arch: 'amd64', variant: 'v3' }],
    ['linux/arm64/v8.1', { kind: 'target', os: 'linux', arch: 'arm64', variant: 'v8.1' }],
    ['static', { kind: 'linkage', value: 'static' }],
    ['static-pie', { kind: 'linkage', value: 'static-pie' }],
    ['dynamic', { kind: 'linkage', value: 'dynamic' }],
    ['glibc', { kind: 'libc', value: 'glibc' }],
    ['musl', { kind: 'libc', value: 'musl' }],
    ['glibc<=2.28', { kind: 'glibc-max', version: '2.28', inclusive: true }],
    ['glibc<2.29', { kind: 'glibc-max', version: '2.29', inclusive: false }],
    ['go>=1.22.5', { kind: 'go-min', version: '1.22.5' }],
    ['go>=go1.22', { kind: 'go-min', version: '1.22' }],
    ['cgo', { kind: 'flag', name: 'cgo' }],
    ['stripped', { kind: 'flag', name: 'stripped' }],
    ['trimpath', { kind: 'flag', name: 'trimpath' }],
    ['reproducible', { kind: 'flag', name: 'reproducible' }],
    ['buildid', { kind: 'flag', name: 'buildid' }],
    ['go', { kind: 'flag', name: 'go' }],
    ['hardfloat', { kind: 'float', value: 'hard' }],
    ['softfloat', { kind: 'float', value: 'soft' }],
    ['macos<=12.0', { kind: 'macos-max', version: '12.0', inclusive: true }],
    ['macos<13', { kind: 'macos-max', version: '13', inclusive: false }],
    ['macos<=10.15.7', { kind: 'macos-max', version: '10.15.7', inclusive: true }],
    ['signed', { kind: 'signed' }],
  ])('%s', (text, fact) => {
    expect(parseExpectations(text)).toEqual([{ text, negated: false, fact }]);
  });

  it('negates with !, trims spaces and skips empty items', () => {
    expect(parseExpectations(' linux/arm64 , !cgo,,')).toEqual([
      {
        text: 'linux/arm64',
        negated: false,
        fact: { kind: 'target', os: 'linux', arch: 'arm64', variant: null },
      },
      { text: '!cgo', negated: true, fact: { kind: 'flag', name: 'cgo' } },
    ]);
  });

  it.each([
    'statik',
    'linux',
    'linux/',
    'glibc<=2',
    'glibc>=2.28',
    'go>1.22',
    'go>=latest',
    '!',
    'LINUX/ARM64',
    'cgo=1',
    'macos>=12.0',
    'macos<=twelve',
    'macos<=12.0.1.2',
    'signed=adhoc',
  ])('refuses %j with the list of what it accepts', (text) => {
    expect(() => parseExpectations(text)).toThrow(UsageError);
    expect(() => parseExpectations(text)).toThrow(
      new RegExp(
        `^unknown expectation '${text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}' in --expect; use GOOS/GOARCH`,
      ),
    );
  });

  it('refuses an empty list', () => {
    expect(() => parseExpectations(' , ')).toThrow(/^--expect is empty; use GOOS\/GOARCH/);
  });
});
