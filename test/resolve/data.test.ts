import { readFileSync } from 'node:fs';
import path from 'node:path';
import semver from 'semver';
import { describe, expect, it } from 'vitest';
import { formatJson } from '../../scripts/format-json.js';
import { targetsData } from '../../src/resolve/data.js';
import { listTargets, resolveTarget } from '../../src/resolve/index.js';
import { projectRoot } from '../support/paths.js';

/** `zig targets` (.libc and the newest .glibc) of every zig release 0.11.0-0.17.1: real upstream data. */
interface ZigLibcFixture {
  versions: Record<string, { newestGlibc: string; libc: string[] }>;
}

const fixture = JSON.parse(
  readFileSync(path.join(projectRoot, 'test/fixtures/zig-targets-libc.json'), 'utf8'),
) as ZigLibcFixture;
const zigVersions = Object.keys(fixture.versions);

describe('toolchains/targets.json', () => {
  const data = targetsData();

  it('is in the format the regeneration scripts write, so that they change only what changed', () => {
    const file = readFileSync(path.join(projectRoot, 'toolchains/targets.json'), 'utf8');
    expect(formatJson(JSON.parse(file))).toBe(file);
  });

  it('has a tier for every Go port and each libc it offers, and nothing else', () => {
    const expected = data.goPorts.ports.flatMap((port) => {
      const name = `${port.goos}/${port.goarch}`;
      const rules = data.abis.filter((rule) => rule.goos === port.goos && rule.goarch.includes(port.goarch));
      const libcs = port.cgoSupported ? [...new Set(rules.map((rule) => rule.libc))] : [];
      return libcs.length === 0 ? [`${name} -`] : libcs.map((libc) => `${name} ${libc}`);
    });
    const actual = data.tiers.map((tier) => `${tier.port} ${tier.libc ?? '-'}`);
    expect([...actual].sort()).toEqual([...expected].sort());
  });

  it('marks every port without cgo unsupported, and claims "proven" only where the end-to-end suite awarded it', () => {
    for (const port of data.goPorts.ports.filter((candidate) => !candidate.cgoSupported)) {
      expect(data.tiers.find((tier) => tier.port === `${port.goos}/${port.goarch}`)?.tier).toBe(
        'unsupported',
      );
    }
    // scripts/support-table.ts writes `proven` from test/.results/e2e.json, with the rows that earned it.
    for (const tier of data.tiers.filter((candidate) => candidate.tier === 'proven')) {
      expect(tier.reason).toMatch(/^end-to-end suite \(/);
    }
  });

  it('maps only GOOS and GOARCH values that Go has', () => {
    const goos = new Set(data.goPorts.ports.map((port) => port.goos));
    const goarch = new Set(data.goPorts.ports.map((port) => port.goarch));
    for (const rule of data.abis) {
      expect(goos).toContain(rule.goos);
      for (const arch of rule.goarch) expect(data.goarch).toHaveProperty(arch);
    }
    for (const arch of Object.keys(data.goarch)) expect(goarch).toContain(arch);
    for (const variable of Object.values(data.subArch)) {
      for (const arch of variable.goarch) expect(goarch).toContain(arch);
    }
  });

  it('knows the newest glibc of every zig release, as zig targets lists it', () => {
    for (const zigVersion of zigVersions) {
      const { newestGlibc } = fixture.versions[zigVersion]!;
      const target = resolveTarget({ target: 'linux/amd64', glibcVersion: newestGlibc }, { zigVersion });
      expect(target.glibcVersion).toBe(newestGlibc);
      const [major, minor] = newestGlibc.split('.').map(Number);
      expect(() =>
        resolveTarget({ target: 'linux/amd64', glibcVersion: `${major}.${minor! + 1}` }, { zigVersion }),
      ).toThrow(/is newer than/);
    }
  });
});

describe('every resolved triple names a libc that zig ships', () => {
  // For each zig release: every port and libc xcc offers, with every float ABI, must be in that
  // release's `zig targets` libc list (the glibc suffix aside), and nothing it lacks may be offered.
  it.each(zigVersions)('zig %s', (zigVersion) => {
    const shipped = new Set(fixture.versions[zigVersion]!.libc);
    const offered = listTargets({ zigVersion }).flatMap((listing) =>
      listing.libcs.flatMap((option) => {
        if (option.libc === null) return [];
        const requests = [{ target: listing.port, libc: option.libc }];
        if (listing.goarch === 'arm') requests.push({ target: `${listing.port}/v5`, libc: option.libc });
        if (listing.goarch.startsWith('mips')) {
          const field = listing.goarch.startsWith('mips64') ? 'gomips64' : 'gomips';
          requests.push({ target: listing.port, libc: option.libc, [field]: 'softfloat' });
        }
        return requests.flatMap((request) => {
          try {
            return [resolveTarget(request, { zigVersion }).zigTarget.replace(/\.\d+\.\d+$/, '')];
          } catch {
            return [];
          }
        });
      }),
    );
    // zig < 0.14 builds a soft-float musl for mips from the +soft_float cpu feature (checked with
    // zig 0.13.0 and qemu); its triple is the hard-float one.
    expect(offered.filter((triple) => !shipped.has(triple))).toEqual([]);
    expect(offered.length).toBeGreaterThan(20);
  });

  it('offers the BSDs exactly from the zig release that ships their libc', () => {
    const bsdTriples = (zigVersion: string) =>
      listTargets({ zigVersion })
        .filter((listing) => ['freebsd', 'netbsd', 'openbsd'].includes(listing.goos))
        .flatMap((listing) => listing.libcs.map((option) => option.zigTarget))
        .filter((triple) => triple !== null);
    for (const zigVersion of zigVersions) {
      const shipped = fixture.versions[zigVersion]!.libc.filter((triple) =>
        /-(free|net|open)bsd-/.test(triple),
      );
      expect(bsdTriples(zigVersion).length > 0).toBe(shipped.length > 0);
      if (semver.gte(zigVersion, '0.16.0')) expect(bsdTriples(zigVersion)).toContain('x86_64-openbsd-none');
    }
  });
});
