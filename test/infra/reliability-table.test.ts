import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { END, renderSection, replaceSection, START } from '../../scripts/reliability-table.js';
import { projectRoot } from '../support/paths.js';
import type { Category, CategoryResult } from '../support/reliability.js';

function result(category: Category, fields: Partial<CategoryResult> = {}): CategoryResult {
  const base: CategoryResult = {
    category,
    title: category,
    covers: `${category} | cases`,
    passed: 3,
    tests: 3,
    failed: 0,
    skipped: [],
    notes: [],
  };
  return Object.assign(base, fields);
}

describe('scripts/reliability-table.ts', () => {
  it('renders every category in order, with failures, skips, a total, and runs not made', () => {
    const section = renderSection(
      new Map<Category, CategoryResult>([
        ['tampering', result('tampering', { failed: 1 })],
        ['mirror-faults', result('mirror-faults', { skipped: [{ test: 'disk', reason: 'no tmpfs' }] })],
        ['fuzzing', result('fuzzing', { passed: 800, tests: 2, unit: 'fuzzed inputs' })],
      ]),
    );
    const lines = section.split('\n');
    expect(lines[0]).toBe(START);
    expect(lines.at(-1)).toBe(END);
    const rows = lines.filter((line) => line.startsWith('| ') && !line.startsWith('| Category'));
    expect(rows.slice(0, 3)).toEqual([
      '| mirror-faults | 3 (1 skipped) | mirror-faults \\| cases |',
      '| tampering | 3 (1 failing) | tampering \\| cases |',
      '| archive-attacks | not run | |',
    ]);
    expect(rows).toContain('| fuzzing | 800 fuzzed inputs (2 properties) | fuzzing \\| cases |');
    expect(rows.at(-1)).toBe('| **Total** | **6** cases (1 failing) | plus the fuzzed inputs |');
    expect(section).toContain('- Skipped: disk: no tmpfs');
  });

  it('replaces only what is between the markers, and says where they are missing', () => {
    const text = `# xcc\n\n${START}\nold\n${END}\n\n## Next\n`;
    expect(replaceSection(text, `${START}\nnew\n${END}`)).toBe(`# xcc\n\n${START}\nnew\n${END}\n\n## Next\n`);
    expect(() => replaceSection('# xcc\n', 'x')).toThrow(
      /has no <!-- reliability:start --> \.\.\. <!-- reliability:end --> markers/,
    );
  });

  it('docs/reliability.md, where it writes, has the markers once', () => {
    const text = readFileSync(path.join(projectRoot, 'docs', 'reliability.md'), 'utf8');
    expect(text.split(START)).toHaveLength(2);
    expect(text.indexOf(END)).toBeGreaterThan(text.indexOf(START));
  });
});
