import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import { splitGoBuildArgs } from '../../src/go-build-mode.js';
import { buildRelease } from '../../src/release/build.js';
import { goBuildArgs, RELEASE_FLAGS, releaseExpectations, releaseLinkEnv } from '../../src/release/plan.js';
import { resolveTarget } from '../../src/resolve/index.js';

const args = (userFlags: string[], goflags?: string) =>
  goBuildArgs({ userFlags, goflags, output: '/out/app', packages: ['.'] });

describe('the go build command line of a release artifact', () => {
  it('has the release flags, then the user flags, -o and the packages', () => {
    expect(args(['-tags', 'netgo'])).toEqual([
      'build',
      '-trimpath',
      '-buildvcs=false',
      '-ldflags=-s -w -buildid=',
      '-tags',
      'netgo',
      '-o',
      '/out/app',
      '--',
      '.',
    ]);
    expect(RELEASE_FLAGS.ldflags).toBe('-s -w -buildid=');
  });

  it("merges the user's -ldflags after the release ones, in every spelling, the last one winning", () => {
    expect(args(['-ldflags=-X main.version=1.2.3'])).toContain(
      '-ldflags=-s -w -buildid= -X main.version=1.2.3',
    );
    expect(args(['-ldflags', '-X main.v=1'])).toContain('-ldflags=-s -w -buildid= -X main.v=1');
    expect(args(['--ldflags=-X a=1', '-ldflags=-X b=2'])).toContain('-ldflags=-s -w -buildid= -X b=2');
    expect(args(['-ldflags=-X a=1']).filter((arg) => arg.startsWith('-ldflags'))).toHaveLength(1);
  });

  it('takes -ldflags from GOFLAGS when the command line has none (a command-line one would replace it)', () => {
    expect(args([], '-mod=mod -ldflags=-X=main.commit=abc')).toContain(
      '-ldflags=-s -w -buildid= -X=main.commit=abc',
    );
    expect(args(['-ldflags=-X a=1'], '-ldflags=-X=b=2')).toContain('-ldflags=-s -w -buildid= -X a=1');
  });

  it('keeps a package pattern form apart, and refuses -o (xcc names the artifacts)', () => {
    const built = args(['-ldflags=all=-X main.v=1']);
    expect(built).toContain('-ldflags=-s -w -buildid=');
    expect(built).toContain('-ldflags=all=-X main.v=1');
    expect(() => args(['-o', 'x'])).toThrow(/names each artifact itself/);
    expect(() => args(['-o=x'])).toThrow(/names each artifact itself/);
    expect(() => args(['-ldflags'])).toThrow(/-ldflags needs a value/);
  });

  it('splits what follows -- into go build flags and packages as go reads them', () => {
    expect(splitGoBuildArgs(['-tags', 'netgo', '-v', './cmd/tool'])).toEqual({
      flags: ['-tags', 'netgo', '-v'],
      packages: ['./cmd/tool'],
    });
    expect(splitGoBuildArgs(['-ldflags', '-X a=1', '--', './x'])).toEqual({
      flags: ['-ldflags', '-X a=1'],
      packages: ['./x'],
    });
    expect(splitGoBuildArgs([])).toEqual({ flags: [], packages: [] });
  });
});

describe('the checks of a release artifact', () => {
  const expectations = (target: string, more: object = {}) =>
    releaseExpectations(resolveTarget({ target, ...more }, { zigVersion: '0.15.2' }));

  it('hold the target, -trimpath, static for musl and the glibc floor', () => {
    expect(expectations('linux/arm64')).toEqual(['linux/arm64', 'go', 'trimpath', 'static']);
    expect(expectations('linux/arm/v7')).toEqual(['linux/arm/v7', 'go', 'trimpath', 'static']);
    expect(expectations('linux/amd64', { glibcVersion: '2.28' })).toEqual([
      'linux/amd64',
      'go',
      'trimpath',
      'glibc<=2.28',
    ]);
    expect(expectations('windows/amd64')).toEqual(['windows/amd64', 'go', 'trimpath']);
  });
});

describe("the C link's part of -s -w", () => {
  const linkEnv = (userFlags: string[], cgoLdflags = '-O2 -g', goflags?: string) =>
    releaseLinkEnv(goBuildArgs({ userFlags, goflags, output: '/out/app', packages: ['.'] }), cgoLdflags);

  it("drops -g from Go's default CGO_LDFLAGS while the release strips", () => {
    expect(linkEnv([])).toEqual({ CGO_LDFLAGS: '-O2' });
    expect(linkEnv(['-ldflags=-X main.version=1.2.3'])).toEqual({ CGO_LDFLAGS: '-O2' });
    expect(linkEnv(['-ldflags', '-s=true -w=1'])).toEqual({ CGO_LDFLAGS: '-O2' });
    expect(linkEnv(['-ldflags=all=-X main.version=1'])).toEqual({ CGO_LDFLAGS: '-O2' });
  });

  it('leaves the C link alone when the user keeps symbols or DWARF, or set other link flags', () => {
    expect(linkEnv(['-ldflags=-s=false'])).toEqual({});
    expect(linkEnv(['-ldflags=-w=false -X main.version=1'])).toEqual({});
    expect(linkEnv(['-ldflags=--w=f'])).toEqual({});
    expect(linkEnv([], '-O2 -g', '-ldflags=-s=false')).toEqual({});
    expect(linkEnv([], '-O2 -g -lm')).toEqual({});
    expect(linkEnv([], '-g -O2')).toEqual({});
    // The last setting wins, as in cmd/link.
    expect(linkEnv(['-ldflags=-s=false -s'])).toEqual({ CGO_LDFLAGS: '-O2' });
  });
});

describe('buildRelease, called as a library', () => {
  it('refuses a library build mode from the flags or GOFLAGS before making anything', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'xcc-release-mode-'));
    const outDir = path.join(dir, 'dist');
    try {
      const targets = [{ target: 'linux/amd64' }];
      await expect(
        buildRelease({ dir, outDir, targets, goFlags: ['-buildmode', 'c-shared'] }),
      ).rejects.toThrow(
        new UsageError(
          '-buildmode=c-shared is not for xcc build, which names, checks and checksums executables; build a library per target with xcc exec TARGET -- go build -buildmode=c-shared -o FILE',
        ),
      );
      await expect(
        buildRelease({ dir, outDir, targets, env: { GOFLAGS: '-buildmode=plugin' } }),
      ).rejects.toThrow(/^-buildmode=plugin \(in GOFLAGS\) is not for xcc build/);
      expect(existsSync(outDir)).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
