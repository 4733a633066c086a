import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { BenchResults } from '../../scripts/bench/results.js';
import { END, page, renderTable, replaceSection, START } from '../../scripts/bench-table.js';
import { projectRoot } from '../support/paths.js';

describe('scripts/bench-table.ts', () => {
  it('docs/benchmarks.md holds the table it renders from the committed bench/results.json', () => {
    const results = JSON.parse(
      readFileSync(path.join(projectRoot, 'bench', 'results.json'), 'utf8'),
    ) as BenchResults;
    const text = readFileSync(page, 'utf8');
    expect(text.split(START)).toHaveLength(2);
    expect(text.slice(text.indexOf(START), text.indexOf(END) + END.length)).toBe(renderTable(results));
  });

  it('replaces only what is between the markers, and refuses a page without them', () => {
    const text = `# Benchmarks\n\n${START}\nold\n${END}\n\nmore\n`;
    expect(replaceSection(text, `${START}\nnew\n${END}`)).toBe(
      `# Benchmarks\n\n${START}\nnew\n${END}\n\nmore\n`,
    );
    expect(() => replaceSection('# Benchmarks\n', 'x')).toThrow(
      /no <!-- bench:start --> \.\.\. <!-- bench:end -->/,
    );
  });
});
