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

/**
 * One line on stderr the same way, for what the warm path says (the first build's notice): no stream
 * modules for a line. A stderr that would block gets it through `process.stderr`; a closed one, nothing.
 */
export function writeStderrLine(line: string): void {
  const bytes = Buffer.from(`${line}\n`);
  let written = 0;
  try {
    while (written < bytes.length) written += writeSync(2, bytes, written);
  } catch (error) {
    if (isErrnoCode(error, 'EPIPE')) return;
    if (!isErrnoCode(error, 'EAGAIN')) throw error;
    process.stderr.write(bytes.subarray(written));
  }
}
