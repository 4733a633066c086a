import { writeSync } from 'node:fs';
import { isErrnoCode } from '../fs-atomic.js';

/**
 * Writes a command's result to stdout with plain write(2)s, without `process.stdout`: getting that stream
 * makes Node load its stream modules, about 5 ms of what a warm `xcc env` adds to Node's own start
 * (`node --cpu-prof`), and that runs at every shell start. A stdout that will not block (EAGAIN from a
 * non-blocking pipe) gets the rest through `process.stdout`, which waits; a reader that went away (EPIPE,
 * `xcc env ... | head -0`) gets nothing more, as it asked.
 */
export function writeStdout(text: string): void {
  const bytes = Buffer.from(text);
  let written = 0;
  try {
    while (written < bytes.length) written += writeSync(1, bytes, written);
  } catch (error) {
    if (isErrnoCode(error, 'EPIPE')) return;
    if (!isErrnoCode(error, 'EAGAIN')) throw error;
    process.stdout.write(bytes.subarray(written));
  }
}
