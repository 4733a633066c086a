import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { UsageError, XccError } from '../../src/errors.js';
import {
  type Lockfile,
  lockedHost,
  lockMismatch,
  parseLockfile,
  readLockfile,
  renderLockfile,
} from '../../src/toolchain/lockfile.js';
import { usageError } from '../support/errors.js';

/**
 * xcc.lock.json is checked in, so it is input like any other: a lock that is not what xcc wrote is refused
 * with one usage line (exit 2) naming the field and the fix (write it again), never half-read.
 */

const root = mkdtempSync(path.join(os.tmpdir(), 'xcc-lockfile-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const SHA = 'a'.repeat(64);
const F = '/p/xcc.lock.json';

function validLock(): Lockfile {
  return {
    lockfileVersion: 1,
    zig: {
      spec: '0.15',
      version: '0.15.2',
      hosts: {
        'x86_64-linux': {
          file: 'zig-x86_64-linux-0.15.2.tar.xz',
          size: 50_000_000,
          sha256: SHA,
          pypi: {
            file: 'ziglang-0.15.2-py3-none-manylinux_2_12_x86_64.whl',
            size: 40_000_000,
            sha256: 'b'.repeat(64),
          },
        },
        'aarch64-macos': {
          file: 'zig-aarch64-macos-0.15.2.tar.xz',
          size: 45_000_000,
          sha256: 'c'.repeat(64),
        },
      },
    },
    targets: ['linux-arm64-musl', 'windows-amd64-gnu'],
  };
}

/** The lock as JSON with one value replaced (`path` is a list of keys). */
function withValue(keys: string[], value: unknown): unknown {
  const document = JSON.parse(JSON.stringify(validLock()));
  let at = document;
  for (const key of keys.slice(0, -1)) at = at[key];
  at[keys.at(-1) as string] = value;
  return document;
}

const rewrite = "; run 'xcc lock' to write it again";

describe('a valid lock', () => {
  it('reads back exactly what was rendered, hosts in sorted order, one trailing newline', () => {
    const file = path.join(root, 'valid.lock.json');
    const text = renderLockfile(validLock());
    writeFileSync(file, text);
    expect(readLockfile(file)).toEqual(validLock());
    expect(text.endsWith('}\n')).toBe(true);
    expect(Object.keys(JSON.parse(text).zig.hosts)).toEqual(['aarch64-macos', 'x86_64-linux']);
    expect(Object.keys(JSON.parse(text))).toEqual(['lockfileVersion', 'zig', 'targets']);
  });

  it('a missing file is no lock', () => {
    expect(readLockfile(path.join(root, 'absent.lock.json'))).toBeUndefined();
  });

  it('keeps only the fields xcc knows: an extra field cannot ride along into what is returned', () => {
    const document = withValue(['zig', 'hosts', 'x86_64-linux', 'url'], 'https://evil.example/zig.tar.xz');
    const lock = parseLockfile(document, F);
    expect(lock.zig.hosts['x86_64-linux']).not.toHaveProperty('url');
    expect(lock).toEqual(validLock());
  });
});

describe('a lock that is not what xcc wrote is refused with one line', () => {
  type Case = [string, string[], unknown, string];
  const cases: Case[] = [
    ['another lockfileVersion', ['lockfileVersion'], 2, 'lockfileVersion 2 is not 1'],
    ['lockfileVersion as a string', ['lockfileVersion'], '1', 'lockfileVersion "1" is not 1'],
    ['zig not an object', ['zig'], '0.15.2', 'zig is not an object'],
    ['hosts a list', ['zig', 'hosts'], [], 'zig.hosts is not an object'],
    ['targets not a list', ['targets'], 'linux-arm64-musl', 'targets must be a list of target ids'],
    [
      'a target id not a string',
      ['targets'],
      ['linux-arm64-musl', 3],
      'targets must be a list of target ids',
    ],
    ['an empty spec', ['zig', 'spec'], '', 'zig.spec is not a string'],
    ['a version number', ['zig', 'version'], 0.15, 'zig.version is not a string'],
    [
      'a host entry not an object',
      ['zig', 'hosts', 'x86_64-linux'],
      'zig.tar.xz',
      'zig.hosts.x86_64-linux is not an object',
    ],
    [
      'a hash one character short',
      ['zig', 'hosts', 'x86_64-linux', 'sha256'],
      SHA.slice(1),
      'zig.hosts.x86_64-linux.sha256 is not a sha256',
    ],
    [
      'a hash one character long',
      ['zig', 'hosts', 'x86_64-linux', 'sha256'],
      `${SHA}a`,
      'zig.hosts.x86_64-linux.sha256 is not a sha256',
    ],
    [
      'a hash in capitals',
      ['zig', 'hosts', 'x86_64-linux', 'sha256'],
      SHA.toUpperCase(),
      'zig.hosts.x86_64-linux.sha256 is not a sha256',
    ],
    [
      'a hash with a line break after it',
      ['zig', 'hosts', 'x86_64-linux', 'sha256'],
      `${SHA}\n`,
      'zig.hosts.x86_64-linux.sha256 is not a sha256',
    ],
    [
      'a hash as a number',
      ['zig', 'hosts', 'x86_64-linux', 'sha256'],
      1,
      'zig.hosts.x86_64-linux.sha256 is not a string',
    ],
    [
      'a size of zero',
      ['zig', 'hosts', 'x86_64-linux', 'size'],
      0,
      'zig.hosts.x86_64-linux.size is not a size in bytes',
    ],
    [
      'a negative size',
      ['zig', 'hosts', 'x86_64-linux', 'size'],
      -1,
      'zig.hosts.x86_64-linux.size is not a size in bytes',
    ],
    [
      'a fractional size',
      ['zig', 'hosts', 'x86_64-linux', 'size'],
      1.5,
      'zig.hosts.x86_64-linux.size is not a size in bytes',
    ],
    [
      'a size as a string',
      ['zig', 'hosts', 'x86_64-linux', 'size'],
      '50000000',
      'zig.hosts.x86_64-linux.size is not a size in bytes',
    ],
    [
      'a size past 2^53',
      ['zig', 'hosts', 'x86_64-linux', 'size'],
      2 ** 53,
      'zig.hosts.x86_64-linux.size is not a size in bytes',
    ],
    [
      'no file name',
      ['zig', 'hosts', 'x86_64-linux', 'file'],
      null,
      'zig.hosts.x86_64-linux.file is not a string',
    ],
    ...['../../zig.tar.xz', '/tmp/zig.tar.xz', '..', 'sub/zig.tar.xz', 'zig.tar.xz\n', 'a\\b.zip'].map(
      (name): Case => [
        `a file name that is a path (${JSON.stringify(name)})`,
        ['zig', 'hosts', 'x86_64-linux', 'file'],
        name,
        'zig.hosts.x86_64-linux.file is not a plain file name',
      ],
    ),
    [
      'a wheel name that is a path',
      ['zig', 'hosts', 'x86_64-linux', 'pypi', 'file'],
      '../ziglang-0.15.2-py3-none-manylinux_2_12_x86_64.whl',
      'zig.hosts.x86_64-linux.pypi.file is not a plain file name',
    ],
    [
      'a pypi entry not an object',
      ['zig', 'hosts', 'x86_64-linux', 'pypi'],
      'wheel',
      'zig.hosts.x86_64-linux.pypi is not an object',
    ],
    [
      'a pypi hash of the wrong length',
      ['zig', 'hosts', 'x86_64-linux', 'pypi', 'sha256'],
      'b'.repeat(40),
      'zig.hosts.x86_64-linux.pypi.sha256 is not a sha256',
    ],
  ];
  for (const [label, keys, value, what] of cases) {
    it(label, () => {
      expect(() => parseLockfile(withValue(keys, value), F)).toThrow(usageError(`${F}: ${what}${rewrite}`));
    });
  }

  it('the whole lock not an object', () => {
    expect(() => parseLockfile(null, F)).toThrow(usageError(`${F}: the lock is not an object${rewrite}`));
    expect(() => parseLockfile([validLock()], F)).toThrow(
      usageError(`${F}: the lock is not an object${rewrite}`),
    );
  });

  it('a file that is not JSON', () => {
    const file = path.join(root, 'broken.lock.json');
    writeFileSync(file, renderLockfile(validLock()).slice(0, -10));
    expect(() => readLockfile(file)).toThrow(
      usageError(new RegExp(`^${file} is not valid JSON \\(.+\\); run 'xcc lock' to write it again$`)),
    );
  });
});

describe('what the parser leaves to its callers', () => {
  // A host key is looked up with the key this machine's Node reports, never used as a path: an unknown or
  // odd key is kept and simply never matches.
  it('an unknown host key is kept, and never matches a real host', () => {
    const document = withValue(
      ['zig', 'hosts', '../../x86_64-linux'],
      validLock().zig.hosts['aarch64-macos'],
    );
    const lock = parseLockfile(document, F);
    expect(Object.keys(lock.zig.hosts).sort()).toEqual([
      '../../x86_64-linux',
      'aarch64-macos',
      'x86_64-linux',
    ]);
    expect(lockedHost(lock, 'aarch64-macos', F)).toBe(lock.zig.hosts['aarch64-macos']);
  });

  it('a host key like __proto__ does not reach the object prototype', () => {
    const text = renderLockfile(validLock()).replace('"aarch64-macos"', '"__proto__"');
    const lock = parseLockfile(JSON.parse(text), F);
    expect(Object.getPrototypeOf(lock.zig.hosts)).toBe(Object.prototype);
    expect(Object.hasOwn(lock.zig.hosts, '__proto__')).toBe(true);
  });

  it('a host the lock has no entry for is a failure (exit 1) naming the hosts it has', () => {
    let thrown: unknown;
    try {
      lockedHost(validLock(), 'riscv64-linux', F);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(XccError);
    expect(thrown).not.toBeInstanceOf(UsageError);
    expect((thrown as XccError).message).toBe(
      `${F} pins Zig 0.15.2 for x86_64-linux, aarch64-macos, not for this host (riscv64-linux); run 'xcc lock' where that host is known`,
    );
  });
});

describe('a lock against the config (--frozen)', () => {
  it('fits when spec and targets are the same, in the same order', () => {
    expect(
      lockMismatch(validLock(), { spec: '0.15', targets: ['linux-arm64-musl', 'windows-amd64-gnu'] }),
    ).toBeUndefined();
  });

  it('says which part differs', () => {
    expect(lockMismatch(validLock(), { spec: 'default', targets: [] })).toBe(
      'the lock was made for Zig "0.15" but the config asks for "default"',
    );
    expect(
      lockMismatch(validLock(), { spec: '0.15', targets: ['windows-amd64-gnu', 'linux-arm64-musl'] }),
    ).toBe(
      'the lock lists targets linux-arm64-musl, windows-amd64-gnu but the config resolves to windows-amd64-gnu, linux-arm64-musl',
    );
    expect(
      lockMismatch({ ...validLock(), targets: [] }, { spec: '0.15', targets: ['linux-arm64-musl'] }),
    ).toBe('the lock lists targets (none) but the config resolves to linux-arm64-musl');
  });
});
