import path from 'node:path';
import { XccError } from '../../errors.js';

/** The zig executable inside an install directory. Light to import: the store and `xcc env` check it. */
export function zigExecutable(dir: string, platform: NodeJS.Platform = process.platform): string {
  return path.join(dir, platform === 'win32' ? 'zig.exe' : 'zig');
}

/** What `zig version` prints: the one fact that proves which Zig a directory really holds. */
export async function zigVersionOf(zig: string): Promise<string> {
  const { execa } = await import('execa');
  const result = await execa(zig, ['version'], { timeout: 60_000, reject: false, stdin: 'ignore' });
  if (result.failed) {
    const detail = String(result.stderr ?? '').trim() || String(result.shortMessage ?? '');
    const why = result.timedOut ? 'timed out' : detail.split('\n')[0];
    throw new XccError(`${zig} does not run (${why})`);
  }
  return String(result.stdout ?? '').trim();
}

/**
 * A mirror can serve a validly signed archive of another version under the right name only if the
 * signature check failed to notice; running the binary is the last word (vscode-zig does the same:
 * "a mirror may provide the wrong version").
 */
export async function checkZigVersion(
  dir: string,
  expected: string,
  platform?: NodeJS.Platform,
): Promise<void> {
  const actual = await zigVersionOf(zigExecutable(dir, platform));
  if (actual !== expected) {
    throw new XccError(
      `the archive holds Zig ${actual}, not ${expected} as asked: the source served the wrong version`,
    );
  }
}
