import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { END, renderSection, replaceSection, START, updateTiers } from '../../scripts/support-table.js';
import type { TierEntry } from '../../src/resolve/data.js';
import { MATRIX } from '../e2e/matrix.js';
import type { E2eResults, RowResult } from '../e2e/results.js';
import { projectRoot } from '../support/paths.js';

function row(id: string, fields: Partial<RowResult> = {}): RowResult {
  const planned = MATRIX.find((candidate) => candidate.id === id)!;
  return {
    id,
    target: planned.target,
    flags: planned.flags,
    port: planned.port,
    libc: planned.libc,
    glibc: planned.glibc ?? null,
    cxx: planned.cxx,
    modes: planned.modes,
    ranUnder: 'native',
    status: 'pass',
    reason: null,
    header: null,
    seconds: 1,
    ...fields,
  };
}

function results(rows: RowResult[]): E2eResults {
  return {
    version: 1,
    zig: '0.15.2',
    go: 'go1.26.8',
    coldCache: { zig: false, go: false },
    seconds: 1,
    cpuSeconds: 1,
    jobs: 2,
    rows,
  };
}

const tier = (port: string, libc: TierEntry['libc'], value: TierEntry['tier'] = 'builds'): TierEntry => ({
  port,
  ...(libc === undefined ? {} : { libc }),
  tier: value,
  reason: 'before',
});

describe('scripts/support-table.ts', () => {
  it('renders one line per matrix row, in matrix order, with the reason of every row not proven', () => {
    const section = renderSection(
      results([
        row('windows/386', { status: 'built', ranUnder: null, reason: 'no 32-bit Wine' }),
        row('linux/amd64 musl'),
        row('linux/riscv64 musl', { status: 'fail', reason: 'exe: printed\nc.math=0' }),
      ]),
    );
    const lines = section.split('\n');
    expect(lines[0]).toBe(START);
    expect(lines.at(-1)).toBe(END);
    const table = lines.filter((line) => line.startsWith('| ') && !line.startsWith('| Target'));
    expect(table).toHaveLength(MATRIX.length);
    expect(table[0]).toMatch(/^\| linux\/amd64 musl \| `linux\/amd64 --musl` \| proven \| C \|/);
    expect(table.find((line) => line.startsWith('| windows/386 '))).toMatch(
      /\| builds \|.*\| no 32-bit Wine \|$/,
    );
    expect(table.find((line) => line.startsWith('| linux/riscv64 '))).toMatch(
      /\| \*\*fails\*\* \|.*\| exe: printed \|$/,
    );
    expect(table.find((line) => line.startsWith('| linux/s390x '))).toMatch(/not run .*not in the last run/);
  });

  it('replaces the section between the markers and keeps the text around it', () => {
    const text = `# xcc\n\n${START}\nold\n${END}\n\nmore\n`;
    expect(replaceSection(text, `${START}\nnew\n${END}`)).toBe(`# xcc\n\n${START}\nnew\n${END}\n\nmore\n`);
  });

  it('refuses a page without the markers instead of replacing its text by the table', () => {
    expect(() => replaceSection('# Support table\n\nwhat the tiers mean\n', `${START}\nnew\n${END}`)).toThrow(
      /no <!-- support:start --> \.\.\. <!-- support:end --> markers/,
    );
  });

  it('docs/support.md, where it writes by default, has the markers once', () => {
    const text = readFileSync(path.join(projectRoot, 'docs', 'support.md'), 'utf8');
    expect(text.split(START)).toHaveLength(2);
    expect(text.indexOf(END)).toBeGreaterThan(text.indexOf(START));
  });

  it.each([
    ['every row passed', ['pass', 'pass'], 'builds', 'proven'],
    ['one row failed', ['pass', 'fail'], 'proven', 'builds'],
    ['a row failed, never proven', ['fail', 'pass'], 'builds', 'builds'],
    ['a row skipped', ['pass', 'skip'], 'builds', 'builds'],
  ] as const)('%s: %s -> tier %s becomes %s', (_name, statuses, before, after) => {
    const updated = updateTiers(
      [tier('linux/amd64', 'glibc', before), tier('linux/amd64', 'musl')],
      results([
        row('linux/amd64 glibc 2.17', { status: statuses[0] }),
        row('linux/amd64 glibc 2.28', { status: statuses[1] }),
      ]),
    );
    expect(updated[0]!.tier).toBe(after);
    expect(updated[1]).toEqual(tier('linux/amd64', 'musl'));
  });

  it('a port whose other rows passed is proven, naming the row the toolchain cannot build', () => {
    const [updated] = updateTiers(
      [tier('linux/arm', 'musl')],
      results([
        row('linux/arm/v5 musl', { status: 'unsupported', reason: 'no __sync_* on ARMv5' }),
        row('linux/arm/v6 musl'),
        row('linux/arm/v7 musl'),
      ]),
    );
    expect(updated).toMatchObject({
      tier: 'proven',
      reason: expect.stringContaining('not linux/arm/v5: no __sync_*'),
    });
  });

  it('a port that builds but cannot run here keeps builds, with the reason', () => {
    const [updated] = updateTiers(
      [tier('windows/386', 'mingw')],
      results([row('windows/386', { status: 'built', ranUnder: null, reason: 'no 32-bit Wine' })]),
    );
    expect(updated).toMatchObject({ tier: 'builds', reason: expect.stringContaining('no 32-bit Wine') });
  });
});
