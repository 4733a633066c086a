import path from 'node:path';
import type { ReleaseEvent, ReleaseResult, TargetResult } from '../release/build.js';
import { formatBytes, formatDuration } from './format.js';
import type { ProgressMode, ProgressOutput, Reporter } from './progress.js';

/**
 * `xcc build`'s progress on stderr. In CI and pipes (`lines`), one line per target when it ends; on a
 * terminal (`bar`), the same lines with a status line below them, redrawn each second, naming the targets
 * still building and for how long. Install events (a Zig downloaded on the first run) go to `install`.
 */
export function releaseProgress(
  mode: ProgressMode,
  stream: ProgressOutput,
  install: Reporter,
  now: () => number = Date.now,
): { handle: (event: ReleaseEvent) => void; close: () => void } {
  const running = new Map<string, number>();
  let done = 0;
  let total = 0;
  let statusShown = false;
  let timer: NodeJS.Timeout | undefined;
  const clearStatus = () => {
    if (statusShown) stream.write('\r\x1b[2K');
    statusShown = false;
  };
  const drawStatus = () => {
    if (mode !== 'bar' || running.size === 0) return clearStatus();
    const time = now();
    const names = [...running].map(([target, since]) => `${target} ${formatDuration(time - since)}`);
    const text = `building ${done}/${total} done; ${names.join(', ')}`;
    stream.write(`\r\x1b[2K${text.slice(0, (stream.columns ?? 100) - 1)}`);
    statusShown = true;
  };
  const line = (text: string) => {
    clearStatus();
    stream.write(`xcc: ${text}\n`);
    drawStatus();
  };
  const handle = (event: ReleaseEvent) => {
    if (mode === 'quiet' && (event.type === 'target-start' || event.type === 'target-done')) return;
    switch (event.type) {
      case 'target-start':
        total = Math.max(total, running.size + done + 1);
        running.set(event.target, now());
        if (mode === 'bar') {
          timer ??= setInterval(drawStatus, 1000);
          timer.unref();
          drawStatus();
        }
        return;
      case 'target-done':
        running.delete(event.result.target);
        done++;
        line(targetLine(event.result));
        return;
      default:
        clearStatus();
        install.handle(event);
        drawStatus();
    }
  };
  return {
    handle,
    close: () => {
      if (timer !== undefined) clearInterval(timer);
      clearStatus();
      install.close();
    },
  };
}

/** `built linux-arm64-musl: app-linux-arm64 (1.9 MiB) in 41.0s`, or why it failed. */
export function targetLine(result: TargetResult): string {
  if (result.ok) {
    return `built ${result.target}: ${result.file} (${formatBytes(result.artifact.size)}) in ${formatDuration(result.durationMs)}`;
  }
  const stage = { toolchain: 'its toolchain', build: 'go build', check: 'the artifact check' }[result.stage];
  return `FAILED ${result.target} (${stage}) after ${formatDuration(result.durationMs)}: ${result.reason}`;
}

/**
 * The end of the run: for each failed go build, the end of its output; then one line of what was built
 * and which targets failed.
 */
export function releaseSummary(result: ReleaseResult, cwd: string = process.cwd()): string {
  const lines: string[] = [];
  const failed = result.results.filter((entry) => !entry.ok);
  for (const entry of failed) {
    if (entry.ok || entry.log.trim() === '') continue;
    const tail = entry.log.trimEnd().split('\n').slice(-20);
    lines.push(`xcc: go build output for ${entry.target}:`, ...tail.map((text) => `  ${text}`));
  }
  const built = result.results.length - failed.length;
  const out = path.relative(cwd, result.plan.outDir) || '.';
  const shard =
    result.plan.shard === undefined
      ? ''
      : ` (shard ${result.plan.shard} of ${result.plan.allTargets} targets)`;
  lines.push(
    `xcc: built ${built} of ${result.results.length} targets${shard} into ${out}${path.sep}, with checksums.txt and manifest.json`,
  );
  if (failed.length > 0) lines.push(`xcc: failed: ${failed.map((entry) => entry.target).join(', ')}`);
  return `${lines.join('\n')}\n`;
}
