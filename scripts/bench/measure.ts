import { spawn } from 'node:child_process';

/**
 * One measured process: wall time from Node's monotonic clock around the spawn, CPU time (user + sys of
 * the process and every descendant it waited for) and peak RSS (the largest single process of the tree,
 * getrusage's ru_maxrss) from GNU time, `/usr/bin/time` (Debian package `time`).
 */
export interface Sample {
  wallMs: number;
  cpuMs: number;
  rssMiB: number;
}

export interface Command {
  argv: string[];
  env?: Record<string, string | undefined>;
  cwd?: string;
}

export const GNU_TIME = '/usr/bin/time';

export function measure(command: Command): Promise<Sample> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(GNU_TIME, ['-f', 'BENCH %U %S %M', ...command.argv], {
      cwd: command.cwd,
      env: { ...process.env, ...command.env },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('close', (code) => {
      const wallMs = performance.now() - started;
      const line = stderr.split('\n').find((text) => text.startsWith('BENCH '));
      if (code !== 0 || line === undefined) {
        reject(new Error(`${command.argv.join(' ')} failed (exit ${code}):\n${stderr.slice(-2000)}`));
        return;
      }
      const [user, system, rssKiB] = line.split(' ').slice(1).map(Number) as [number, number, number];
      resolve({ wallMs, cpuMs: (user + system) * 1000, rssMiB: rssKiB / 1024 });
    });
  });
}

export interface Summary {
  runs: number;
  wallMs: number;
  cpuMs: number;
  rssMiB: number;
  /** Every run, for the JSON: a median hides how noisy a loaded machine was. */
  samples: Sample[];
}

export function summarize(samples: Sample[]): Summary {
  return {
    runs: samples.length,
    wallMs: median(samples.map((s) => s.wallMs)),
    cpuMs: median(samples.map((s) => s.cpuMs)),
    rssMiB: median(samples.map((s) => s.rssMiB)),
    samples,
  };
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  if (sorted.length === 0) return Number.NaN;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/**
 * Runs the baseline and the subject alternately (`prepare` before each run, unmeasured), so that load
 * from other processes on the machine falls on both about equally. Which of the two goes first alternates
 * too: where the machine's speed drifts within a pair (this VM's disk does, over tens of seconds), the
 * second of every pair would otherwise always pay for it.
 */
export async function paired(options: {
  runs: number;
  warmup?: number;
  baseline: () => Command;
  subject: () => Command;
  prepare?: () => Promise<void> | void;
  /** Called after each measured run, for what a case counts beside the times. */
  measured?: (side: 'baseline' | 'subject') => void;
  log: (line: string) => void;
  name: string;
}): Promise<{ baseline: Summary; subject: Summary }> {
  const base: Sample[] = [];
  const subject: Sample[] = [];
  for (let run = 0; run < (options.warmup ?? 0); run++) {
    await measure(options.baseline());
    await measure(options.subject());
  }
  for (let run = 1; run <= options.runs; run++) {
    const sides = run % 2 === 1 ? (['baseline', 'subject'] as const) : (['subject', 'baseline'] as const);
    for (const side of sides) {
      await options.prepare?.();
      const sample = await measure(options[side]());
      (side === 'baseline' ? base : subject).push(sample);
      options.measured?.(side);
    }
    options.log(
      `${options.name} ${run}/${options.runs}: baseline ${fmt(base.at(-1)!)}, xcc ${fmt(subject.at(-1)!)}`,
    );
  }
  return { baseline: summarize(base), subject: summarize(subject) };
}

function fmt(sample: Sample): string {
  return `${sample.wallMs.toFixed(0)} ms wall, ${sample.cpuMs.toFixed(0)} ms CPU, ${sample.rssMiB.toFixed(0)} MiB`;
}
