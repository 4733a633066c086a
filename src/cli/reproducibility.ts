import type { Command } from 'cac';
import { describeDifference } from '../release/compare.js';
import type { ReproducibleEnv } from '../release/reproducible.js';
import type { ReproducibilityReport } from '../release/verify.js';

/**
 * `xcc build`'s reproducibility options and report, ready for the build command to take in one line each:
 * `withReproducibilityOptions(command)` and `renderReproducibility(report)`.
 */

export const REPRODUCIBLE_OPTION = [
  '--reproducible',
  'Build reproducibly: -trimpath -buildvcs=false -ldflags="-s -w -buildid=", a fixed SOURCE_DATE_EPOCH (yours, else the last commit time, else 0) and C flags that make zig cc deterministic',
] as const;

export const VERIFY_REPRODUCIBLE_OPTION = [
  '--verify-reproducible',
  'Then build again from a copy of the source in another directory with a cold Go cache, and compare every artifact byte for byte (implies --reproducible; exit 1 if one differs)',
] as const;

export function withReproducibilityOptions(command: Command): Command {
  return command.option(...REPRODUCIBLE_OPTION).option(...VERIFY_REPRODUCIBLE_OPTION);
}

/** One line saying what the reproducible build fixed, for the build's progress output. */
export function renderReproducibleEnv(env: ReproducibleEnv): string {
  const from = {
    SOURCE_DATE_EPOCH: 'from SOURCE_DATE_EPOCH',
    git: 'the last commit',
    fixed: 'no git history: fixed',
  }[env.epochFrom];
  return `reproducible: SOURCE_DATE_EPOCH=${env.sourceDateEpoch} (${from}), ${new Date(env.sourceDateEpoch * 1000).toISOString()}`;
}

/**
 * The verification's report, one line per artifact and a verdict, plain text (the same on a terminal
 * and in CI logs):
 *
 *     linux/arm64    identical  3f2a…c01d  app-linux-arm64
 *     windows/amd64  DIFFERS    section .rdata differs at 0x1a0 (file offset 0x2fa0)
 *     not reproducible: 1 of 2 artifacts differ (kept for comparison: /tmp/xcc-verify-…)
 */
export function renderReproducibility(
  report: ReproducibilityReport,
  options: { kept?: boolean } = {},
): string {
  const width = Math.max(0, ...report.artifacts.map((artifact) => artifact.target.length));
  const lines = report.artifacts.map((artifact) => {
    const name = artifact.target.padEnd(width);
    if (artifact.difference === null)
      return `${name}  identical  ${artifact.sha256[0].slice(0, 12)}  ${artifact.first}`;
    if (artifact.second === null) return `${name}  MISSING    the second build did not make it`;
    return `${name}  DIFFERS    ${describeDifference(artifact.difference)}`;
  });
  for (const target of report.extra)
    lines.push(`${target.padEnd(width)}  EXTRA      only the second build made it`);
  const differing =
    report.artifacts.filter((artifact) => artifact.difference !== null).length + report.extra.length;
  const total = report.artifacts.length;
  if (report.reproducible)
    lines.push(
      `reproducible: ${total} of ${total} artifacts identical from a copy in another directory with a cold Go cache`,
    );
  else {
    const where = options.kept ? ` (the second build is kept in ${report.copyDir}/..)` : '';
    lines.push(`not reproducible: ${differing} of ${total + report.extra.length} artifacts differ${where}`);
  }
  return `${lines.join('\n')}\n`;
}
