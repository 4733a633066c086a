import { UsageError } from '../errors.js';
import { parsePlatform } from '../resolve/platform.js';
import type { PrewarmEvent } from '../toolchain/prewarm.js';
import type { InstallEvent } from '../zig/events.js';
import { formatDuration } from './format.js';
import type { Reporter } from './progress.js';

/**
 * `xcc install --prewarm`'s progress on stderr: the install events through the reporter, a line per
 * prewarm step (none with --quiet).
 */
export function prewarmProgress(
  reporter: Reporter,
  quiet: boolean,
): (event: InstallEvent | PrewarmEvent) => void {
  return (event) => {
    if (event.type !== 'prewarm-start' && event.type !== 'prewarm-done') return reporter.handle(event);
    if (quiet) return;
    const text =
      event.type === 'prewarm-start'
        ? `prewarming ${event.target} (${event.languages.map((language) => language.toUpperCase()).join(', ')} runtime libraries)`
        : `prewarmed ${event.target} in ${formatDuration(event.durationMs)}`;
    process.stderr.write(`xcc: ${text}\n`);
  };
}

/** `--prewarm a,b --prewarm c` → `[a, b, c]`, without empty names. */
export function prewarmList(values: string[] | undefined, cxx: boolean): string[] {
  if (cxx && values === undefined)
    throw new UsageError('--cxx says what --prewarm builds; add --prewarm <targets>');
  const targets = (values ?? [])
    .flatMap((value) => value.split(','))
    .map((name) => name.trim())
    .filter(Boolean);
  if (values !== undefined && targets.length === 0)
    throw new UsageError('--prewarm names no target; give targets like --prewarm linux/arm64,windows/amd64');
  // A target that does not parse is refused now, not after the Zig is downloaded.
  for (const target of targets) parsePlatform(target);
  return targets;
}
