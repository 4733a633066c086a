/**
 * Renders bench/results.json (written by `npm run bench`) as the benchmark table of docs/benchmarks.md,
 * between `<!-- bench:start -->` and `<!-- bench:end -->`.
 *
 *   npx tsx scripts/bench-table.ts
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { type BenchCase, type BenchResults, meetsTarget, ratio } from './bench/results.js';

const projectRoot = path.resolve(import.meta.dirname, '..');
export const START = '<!-- bench:start -->';
export const END = '<!-- bench:end -->';

export function renderTable(results: BenchResults): string {
  const { machine } = results;
  const lines = [
    START,
    `Measured ${results.date.slice(0, 10)} on ${machine.cpu}, ${machine.cores} cores, ${machine.os}; Node ${machine.node}, ${machine.go}, Zig ${machine.zig}. ` +
      `Load average ${machine.load.start.toFixed(1)} at the start, ${machine.load.end.toFixed(1)} at the end (other work was running). ` +
      'Each figure is the median of the runs shown; baseline and xcc ran alternately in the same run. ' +
      'CPU is user + system time of the process and its children; peak RSS is the largest single process (GNU time).',
    '',
    '| case | baseline | xcc | wall (baseline → xcc) | ratio | CPU (baseline → xcc) | CPU ratio | target | runs |',
    '|---|---|---|---:|---:|---:|---:|---|---:|',
    ...results.cases.map(row),
    '',
    ...notes(results.cases),
    END,
  ];
  return lines.join('\n');
}

function row(benchCase: BenchCase): string {
  const { baseline, subject } = benchCase;
  const verdict = meetsTarget(benchCase);
  const target =
    benchCase.target === undefined
      ? ''
      : `${benchCase.target.metric === 'wallMs' ? 'wall' : 'CPU'} ≤ ${benchCase.target.maxRatio}: ${verdict ? 'met' : '**missed**'}`;
  return [
    benchCase.title,
    baseline.name,
    subject.name,
    `${ms(baseline.wallMs)} → ${ms(subject.wallMs)}`,
    times(ratio(benchCase, 'wallMs')),
    `${ms(baseline.cpuMs)} → ${ms(subject.cpuMs)}`,
    times(ratio(benchCase, 'cpuMs')),
    target,
    `${baseline.runs}/${subject.runs}`,
  ]
    .map((cell) => cell.replaceAll('|', '\\|'))
    .join(' | ')
    .replace(/^/, '| ')
    .replace(/$/, ' |');
}

function notes(cases: BenchCase[]): string[] {
  return cases
    .filter((benchCase) => benchCase.notes !== undefined)
    .map(
      (benchCase) =>
        `- ${benchCase.title}: ${Object.entries(benchCase.notes!)
          .map(([key, value]) => `${key} ${typeof value === 'number' ? Math.round(value) : value}`)
          .join(', ')}`,
    );
}

/** GNU time counts CPU in 10 ms steps: a baseline below that has no meaningful ratio. */
function times(value: number): string {
  return Number.isFinite(value) ? value.toFixed(2) : '–';
}

function ms(value: number): string {
  return value >= 10_000 ? `${(value / 1000).toFixed(1)} s` : `${value.toFixed(0)} ms`;
}

export const page = path.join(projectRoot, 'docs', 'benchmarks.md');

export function writeTable(results: BenchResults, file = page): void {
  writeFileSync(file, replaceSection(readFileSync(file, 'utf8'), renderTable(results)));
}

/** Replaces the section between the markers of `text` (both markers must be there). */
export function replaceSection(text: string, table: string): string {
  const start = text.indexOf(START);
  const end = text.indexOf(END);
  if (start < 0 || end < start) throw new Error(`no ${START} ... ${END} section to replace`);
  return `${text.slice(0, start)}${table}${text.slice(end + END.length)}`;
}

if (import.meta.filename === process.argv[1]) {
  const results = JSON.parse(
    readFileSync(path.join(projectRoot, 'bench', 'results.json'), 'utf8'),
  ) as BenchResults;
  writeTable(results);
}
