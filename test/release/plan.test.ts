import { describe, expect, it } from 'vitest';
import { splitGoBuildArgs } from '../../src/cli/go-build-mode.js';
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
  const linkEnv = (userFlags: string[], env: NodeJS.ProcessEnv = {}, goflags?: string) =>
    releaseLinkEnv(goBuildArgs({ userFlags, goflags, output: '/out/app', packages: ['.'] }), env);

  it("drops -g from Go's default CGO_LDFLAGS while the release strips", () => {
    expect(linkEnv([])).toEqual({ CGO_LDFLAGS: '-O2' });
    expect(linkEnv(['-ldflags=-X main.version=1.2.3'])).toEqual({ CGO_LDFLAGS: '-O2' });
    expect(linkEnv(['-ldflags', '-s=true -w=1'])).toEqual({ CGO_LDFLAGS: '-O2' });
    expect(linkEnv(['-ldflags=all=-X main.version=1'])).toEqual({ CGO_LDFLAGS: '-O2' });
  });

  it('leaves the C link alone when the user keeps symbols or DWARF, or set CGO_LDFLAGS', () => {
    expect(linkEnv(['-ldflags=-s=false'])).toEqual({});
    expect(linkEnv(['-ldflags=-w=false -X main.version=1'])).toEqual({});
    expect(linkEnv(['-ldflags=--w=f'])).toEqual({});
    expect(linkEnv([], {}, '-ldflags=-s=false')).toEqual({});
    expect(linkEnv([], { CGO_LDFLAGS: '-O2 -g -lm' })).toEqual({});
    expect(linkEnv([], { CGO_LDFLAGS: '' })).toEqual({});
    // The last setting wins, as in cmd/link.
    expect(linkEnv(['-ldflags=-s=false -s'])).toEqual({ CGO_LDFLAGS: '-O2' });
  });
});
