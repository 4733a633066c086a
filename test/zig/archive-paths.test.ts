import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ArchiveError,
  memberSegments,
  nameSegments,
  resolveSymlinkTarget,
} from '../../src/zig/archive/archive-paths.js';

describe('nameSegments', () => {
  it.each<[string, string[]]>([
    ['zig-x86_64-linux-0.15.2/lib/std/std.zig', ['zig-x86_64-linux-0.15.2', 'lib', 'std', 'std.zig']],
    ['./zig/lib/', ['zig', 'lib']],
    ['a//b/./c', ['a', 'b', 'c']],
    ['a\\b', ['a', 'b']],
    ['..a/b', ['..a', 'b']],
    ['', []],
  ])('splits %j', (name, segments) => {
    expect(nameSegments(name)).toEqual(segments);
  });

  it.each<[string, RegExp]>([
    ['../x', /'\.\.'/],
    ['a/../../x', /'\.\.'/],
    ['a\\..\\..\\x', /'\.\.'/],
    ['/etc/passwd', /absolute path/],
    ['\\\\server\\share\\x', /absolute path/],
    ['//server/share/x', /absolute path/],
    ['C:\\Windows\\x', /Windows drive/],
    ['c:x', /Windows drive/],
    ['a/b:c', /':'/],
    ['a\u0000b', /NUL/],
    ['a/.. /x', /ends with '\.' or ' '/],
    ['a/.../x', /ends with '\.' or ' '/],
    ['lib/file.', /ends with '\.' or ' '/],
  ])('refuses %j', (name, message) => {
    expect(() => nameSegments(name)).toThrow(message);
  });

  it('never yields a path outside the install directory, on POSIX or Windows', () => {
    const token = fc.constantFrom(
      'a',
      'zig',
      '..',
      '.',
      '',
      'C:',
      'c:x',
      ':',
      '\\',
      '/',
      '..\\',
      ' ',
      '. ',
      '\u0000',
    );
    fc.assert(
      fc.property(fc.array(token, { maxLength: 8 }), (tokens) => {
        const name = tokens.join('');
        let segments: string[];
        try {
          segments = nameSegments(name);
        } catch (error) {
          expect(error).toBeInstanceOf(ArchiveError);
          return;
        }
        for (const [flavor, root] of [
          [path.posix, '/install'],
          [path.win32, 'C:\\install'],
        ] as const) {
          const relative = flavor.relative(root, flavor.join(root, ...segments));
          const parent = relative === '..' || relative.startsWith(`..${flavor.sep}`);
          expect(parent || flavor.isAbsolute(relative)).toBe(false);
        }
      }),
      { numRuns: 2000 },
    );
  });
});

describe('memberSegments', () => {
  it.each([
    ['strip keeps what is under the root', 'zig-1/lib/a', { kind: 'strip', name: 'zig-1' }, ['lib', 'a']],
    ['strip maps the root to the install', 'zig-1/', { kind: 'strip', name: 'zig-1' }, []],
    ['select keeps what is under the prefix', 'ziglang/zig', { kind: 'select', name: 'ziglang' }, ['zig']],
    ['select skips the rest', 'ziglang-1.dist-info/RECORD', { kind: 'select', name: 'ziglang' }, undefined],
    ['none keeps all', 'a/b', { kind: 'none' }, ['a', 'b']],
  ] as const)('%s', (_case, name, rule, expected) => {
    expect(memberSegments(name, rule)).toEqual(expected);
  });

  it('refuses a member outside the expected root', () => {
    expect(() => memberSegments('other/x', { kind: 'strip', name: 'zig-1' })).toThrow(
      /outside the expected top-level directory "zig-1"/,
    );
  });
});

describe('resolveSymlinkTarget', () => {
  it.each<[string, string[], string, string[], string[][]]>([
    ['a sibling', ['lib', 'l'], 'std.zig', ['lib', 'std.zig'], []],
    ['up one level', ['lib', 'l'], '../zig', ['zig'], []],
    ['down and up', ['l'], 'a/b/../c', ['a', 'c'], [['a'], ['a', 'b']]],
    ['the root itself', ['lib', 'l'], '..', [], []],
  ])('resolves %s', (_case, link, target, segments, traversed) => {
    expect(resolveSymlinkTarget('e', link, target)).toEqual({ segments, traversed });
  });

  it.each<[string, string]>([
    ['../x', 'leaves the install directory'],
    ['a/../../x', 'leaves the install directory'],
    ['/etc', 'absolute path'],
    ['C:\\x', 'absolute path'],
    ['\\\\host\\share', 'absolute path'],
    ['', 'empty target'],
    ['a/.. /..', "ends with '.' or ' '"],
  ])('refuses %j from the top level', (target, message) => {
    expect(() => resolveSymlinkTarget('e', ['l'], target)).toThrow(message);
  });
});
