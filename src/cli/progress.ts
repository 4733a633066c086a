import type { InstallEvent, InstallEventHandler } from '../zig/events.js';
import { formatBytes, formatDuration } from './format.js';

/**
 * How long work is shown: a redrawn progress bar on a terminal; plain lines (one when a download starts,
 * one when it ends) in CI, postinstall and pipes, where a bar would only fill logs with carriage returns;
 * nothing with --quiet. All of it goes to stderr: stdout is for results.
 */
export type ProgressMode = 'bar' | 'lines' | 'quiet';

export interface ProgressOutput {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export function progressMode(
  options: { quiet?: boolean },
  stream: ProgressOutput,
  env: Readonly<Record<string, string | undefined>>,
): ProgressMode {
  if (options.quiet) return 'quiet';
  const interactive =
    stream.isTTY === true &&
    !env.CI &&
    env.TERM !== 'dumb' &&
    // npm runs lifecycle scripts (postinstall) with their output captured or interleaved: no bars there.
    env.npm_lifecycle_event === undefined;
  return interactive ? 'bar' : 'lines';
}

export interface Reporter {
  handle: InstallEventHandler;
  /** Clears a bar left on screen. */
  close(): void;
}

/**
 * The reporter of a command's progress on stderr, made when the first event comes: a warm `xcc env` has
 * none to report, and getting `process.stderr` makes Node load its stream modules, about 5 ms of the
 * shell-startup path (`node --cpu-prof`).
 */
export function stderrReporter(
  options: { quiet?: boolean; debug?: boolean },
  env: Readonly<Record<string, string | undefined>> = process.env,
): Reporter {
  let reporter: Reporter | undefined;
  return {
    handle: (event) => {
      reporter ??= createReporter(progressMode(options, process.stderr, env), process.stderr, Date.now, {
        debug: options.debug === true,
      });
      reporter.handle(event);
    },
    close: () => reporter?.close(),
  };
}

const BAR_WIDTH = 24;
const REDRAW_MS = 100;

/**
 * `debug`: each unreachable source's error on its own line, as it comes; otherwise they are one line (see
 * `unreachableSummary`), and the final error lists them all if no source delivers.
 */
export function createReporter(
  mode: ProgressMode,
  stream: ProgressOutput,
  now: () => number = Date.now,
  options: { debug?: boolean } = {},
): Reporter {
  if (mode === 'quiet') return { handle: () => {}, close: () => {} };
  let bar: { file: string; source: string; started: number; drawn: number } | undefined;
  let barVisible = false;
  /** Sources that could not be reached and are not yet told: one line when the next source answers. */
  let unreachable: SourceFailure[] = [];
  /** Whether a source failed before the one now downloading: that one is then used "instead". */
  let fellBack = false;

  const clearBar = () => {
    if (barVisible) stream.write('\r\x1b[2K');
    barVisible = false;
  };
  const write = (text: string) => {
    clearBar();
    stream.write(`xcc: ${text}\n`);
  };
  const line = (text: string) => {
    if (unreachable.length > 0) {
      const summary = unreachableSummary(unreachable, options.debug === true);
      unreachable = [];
      write(summary);
    }
    write(text);
  };

  const draw = (event: Extract<InstallEvent, { type: 'download-progress' }>) => {
    if (!bar) return;
    const time = now();
    const finished = event.total !== undefined && event.bytes >= event.total;
    if (time - bar.drawn < REDRAW_MS && !finished) return;
    bar.drawn = time;
    const seconds = Math.max((time - bar.started) / 1000, 0.001);
    const speed = `${formatBytes(event.bytes / seconds)}/s`;
    const amount = event.total
      ? `${formatBytes(event.bytes)}/${formatBytes(event.total)}`
      : formatBytes(event.bytes);
    let meter = '';
    if (event.total) {
      const fraction = Math.min(event.bytes / event.total, 1);
      const filled = Math.round(fraction * BAR_WIDTH);
      meter = `${String(Math.floor(fraction * 100)).padStart(3)}% ${'█'.repeat(filled)}${'░'.repeat(BAR_WIDTH - filled)} `;
    }
    const text = `${bar.file} ${meter}${amount} ${speed} from ${bar.source}`;
    stream.write(`\r\x1b[2K${text.slice(0, (stream.columns ?? 100) - 1)}`);
    barVisible = true;
  };

  const handle: InstallEventHandler = (event) => {
    switch (event.type) {
      case 'resolved':
        if (event.warning) line(`warning: ${event.warning}`);
        return;
      case 'waiting':
        line(
          `waiting for another xcc process${event.pid ? ` (pid ${event.pid}${event.hostname ? ` on ${event.hostname}` : ''})` : ''} installing Zig ${event.version}`,
        );
        return;
      case 'download-start':
        if (fellBack) line(`using ${event.source} instead`);
        fellBack = false;
        bar = { file: event.file, source: event.source, started: now(), drawn: 0 };
        if (mode === 'lines') {
          line(
            `downloading ${event.file}${event.size ? ` (${formatBytes(event.size)})` : ''} from ${event.url}`,
          );
        }
        return;
      case 'download-progress':
        if (mode === 'bar') draw(event);
        return;
      case 'retry':
        line(
          `${event.source}: ${event.reason}; retrying in ${formatDuration(event.delayMs)} (attempt ${event.attempt + 1})`,
        );
        return;
      case 'source-failed': {
        fellBack = true;
        // A transfer that broke mid-way is no unreachable source: that one is told on its own.
        const started = bar !== undefined;
        bar = undefined;
        if (!event.unreachable || started) {
          line(`${event.source} failed: ${event.reason}`);
          return;
        }
        if (options.debug) write(`${event.source} failed: ${event.reason}`);
        unreachable.push(event);
        return;
      }
      case 'verified':
        if (bar && mode === 'lines') line(`downloaded ${bar.file} in ${formatDuration(now() - bar.started)}`);
        line(`verified ${event.checks.join(', ')}`);
        bar = undefined;
        return;
      case 'installed':
        line(`installed Zig ${event.version} from ${event.source} in ${formatDuration(event.durationMs)}`);
        return;
      case 'warning':
        line(`warning: ${event.message}`);
        return;
      case 'cached':
        return;
    }
  };
  // Unreachable sources not told by now are in the final error, which lists every source and why.
  return { handle, close: clearBar };
}

type SourceFailure = Extract<InstallEvent, { type: 'source-failed' }>;

/**
 * One line for the sources that could not be reached: `could not reach 5 Zig mirrors or ziglang.org`.
 * Offline or behind a firewall each of them fails with the same DNS or connect error, and six such lines
 * before a working fall-back read like a failed install.
 */
export function unreachableSummary(failures: readonly SourceFailure[], debug: boolean): string {
  const mirrors = failures.filter((failure) => failure.kind === 'mirror');
  const names = failures.filter((failure) => failure.kind !== 'mirror').map((failure) => failure.source);
  if (mirrors.length === 1) names.unshift(mirrors[0]!.source);
  if (mirrors.length > 1) names.unshift(`${mirrors.length} Zig mirrors`);
  const list = names.length > 1 ? `${names.slice(0, -1).join(', ')} or ${names.at(-1)}` : names[0];
  return `could not reach ${list}${debug ? '' : ' (--debug shows why)'}`;
}
