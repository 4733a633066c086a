import { redactUrls } from '../redact.js';
import type { SourceKind } from './sources/names.js';

/**
 * What an install reports while it works. The library only emits these; the CLI decides how to show
 * them (a progress bar on a terminal, a line per step in CI and postinstall, nothing with --quiet).
 */
export type InstallEvent =
  /** A version spec was resolved; `warning` e.g. for dev builds that will disappear. */
  | { type: 'resolved'; spec: string; version: string; warning?: string }
  /** The version is already in the cache: nothing to download. */
  | { type: 'cached'; version: string; dir: string }
  /** Another process holds the install lock for this version. */
  | { type: 'waiting'; version: string; pid?: number; hostname?: string }
  /** A source is being tried: `size` when known in advance. */
  | { type: 'download-start'; source: string; url: string; file: string; size?: number }
  | { type: 'download-progress'; source: string; bytes: number; total?: number }
  | { type: 'retry'; source: string; url: string; attempt: number; delayMs: number; reason: string }
  /**
   * A source failed; the installer moves on to the next one. `unreachable`: no connection or no answer in
   * time (DNS, refused, timeouts), as opposed to an answer that did not deliver (a status, bytes that fail
   * verification): the CLI groups the unreachable ones into one line, since offline or behind a firewall
   * every mirror fails alike.
   */
  | { type: 'source-failed'; source: string; kind: SourceKind; reason: string; unreachable: boolean }
  | { type: 'verified'; source: string; checks: string[] }
  | { type: 'installed'; version: string; dir: string; source: string; durationMs: number }
  | { type: 'warning'; message: string };

export type InstallEventHandler = (event: InstallEvent) => void;

/**
 * `handler` with every string of every event redacted (redactUrls): events name URLs and repeat error
 * messages, and callers print and log them.
 */
export function redactingHandler(handler: InstallEventHandler): InstallEventHandler {
  return (event) =>
    handler(
      Object.fromEntries(
        Object.entries(event).map(([key, value]) => [
          key,
          typeof value === 'string' ? redactUrls(value) : value,
        ]),
      ) as InstallEvent,
    );
}
