import type { Summary } from './measure.js';

/** What `npm run bench` writes to bench/results.json and bench-table.ts renders. */
export interface BenchResults {
  date: string;
  machine: Machine;
  cases: BenchCase[];
}

export interface Machine {
  cpu: string;
  cores: number;
  os: string;
  node: string;
  go: string;
  zig: string;
  /** 1-minute load average when the run started and ended: other work on the machine skews wall times. */
  load: { start: number; end: number };
}

export interface BenchCase {
  id: string;
  title: string;
  baseline: { name: string } & Summary;
  subject: { name: string } & Summary;
  /** Which figure the target bounds, and the bound on subject / baseline. */
  target?: { metric: 'wallMs' | 'cpuMs'; maxRatio: number };
  /** Other figures of the case: downloads counted, peak RSS bound, artifacts rebuilt... */
  notes?: Record<string, number | string | boolean>;
}

export function ratio(benchCase: BenchCase, metric: 'wallMs' | 'cpuMs'): number {
  return benchCase.subject[metric] / benchCase.baseline[metric];
}

export function meetsTarget(benchCase: BenchCase): boolean | undefined {
  if (benchCase.target === undefined) return undefined;
  return ratio(benchCase, benchCase.target.metric) <= benchCase.target.maxRatio;
}
