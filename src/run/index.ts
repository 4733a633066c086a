import { cacheLayout } from '../home.js';
import type { Target } from '../resolve/index.js';
import { type Host, runnerPlan } from './plan.js';
import { renderRunnerScript, runnerFileName } from './script.js';

export type { Host, RunnerPlan } from './plan.js';
export { runnerPlan } from './plan.js';
export { runnerFileName } from './script.js';

/**
 * The runner a toolchain's wrapper directory holds: its file name and text, or undefined on Windows
 * hosts, which have no sh (there Go runs programs of its own GOOS itself, and nothing runs Linux ones).
 */
export function runnerScript(options: {
  target: Target;
  /** The target's CC wrapper. */
  cc: string;
  home: string;
  host: Host;
}): { name: string; text: string } | undefined {
  const { target, cc, home, host } = options;
  if (host.platform === 'win32') return undefined;
  const plan = runnerPlan(target, host);
  const wineRoot = cacheLayout(home).wine;
  return { name: runnerFileName(target), text: renderRunnerScript({ target, plan, cc, wineRoot }) };
}
