import type { CheckResult, CheckStatus } from './check.js';
import type { DoctorReport } from './index.js';

/** The human report: one line per check (status, title, what was found), the fix indented below. */

const LABELS: Record<CheckStatus, string> = { pass: 'ok', warn: 'WARN', fail: 'FAIL', skip: 'skip' };
const TITLE_WIDTH = 22;

export function renderCheck(check: CheckResult): string {
  const lines = [`${LABELS[check.status].padEnd(4)}  ${check.title.padEnd(TITLE_WIDTH)}  ${check.detail}`];
  if (check.fix !== undefined) lines.push(`${' '.repeat(6 + TITLE_WIDTH + 2)}fix: ${check.fix}`);
  return `${lines.join('\n')}\n`;
}

export function renderSummary(report: DoctorReport): string {
  const { pass, warn, fail, skip } = report.counts;
  const verdict = fail > 0 ? 'problems found' : warn > 0 ? 'ready, with warnings' : 'ready';
  return `${verdict}: ${pass} ok, ${warn} warning${warn === 1 ? '' : 's'}, ${fail} failed, ${skip} skipped\n`;
}

export function renderJson(report: DoctorReport): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}
