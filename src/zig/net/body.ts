import { finished } from 'node:stream/promises';
import type { Dispatcher } from 'undici';
import type { Clock } from '../../clock.js';
import { HttpError, seconds } from './failures.js';
import type { Timeouts } from './settings.js';

/**
 * Reading response bodies: always flowing, never paused (see NEVER_FULL), with a guard against bodies that
 * trickle too slowly to finish.
 */

/**
 * The high-water mark of every response body: never reached, so a body never pushes back on undici.
 * undici 7 pauses its HTTP/1 parser when a body's buffer is full, and if the server closes the connection
 * while it is paused (a server that closes after each response, as HTTP/1.0 ones and many small mirrors
 * do, and whose whole response arrived while the reader was behind), it throws an AssertionError from the
 * socket's 'end' handler that nothing can catch: the process dies (nodejs/undici#5360; fixed in undici 8,
 * which needs Node 22.19). So bodies are read by `flow`, whose consumer is synchronous: a slow consumer
 * holds up the event loop, and with it the reading of the socket, so the TCP window is the backpressure
 * and memory holds about one chunk.
 */
export const NEVER_FULL = Number.MAX_SAFE_INTEGER;

/**
 * Counts a body's bytes per idle period and throws a retryable timeout when a whole period brought fewer
 * than `minBytesPerSecond` on average. Checked as chunks arrive: silence itself is undici's body timeout.
 */
export function speedGuard(url: string, timeouts: Timeouts, clock: Clock): (bytes: number) => void {
  const { idleMs, minBytesPerSecond } = timeouts;
  let since = clock.monotonic();
  let received = 0;
  return (bytes) => {
    received += bytes;
    const elapsed = clock.monotonic() - since;
    if (elapsed < idleMs) return;
    if (received < (minBytesPerSecond * elapsed) / 1000) {
      throw new HttpError({
        url,
        failure: 'timeout',
        detail: `the transfer is too slow (${received} bytes in ${seconds(elapsed)}, under ${minBytesPerSecond} bytes/s)`,
        retryable: true,
      });
    }
    since += elapsed;
    received = 0;
  };
}

/**
 * Reads an undici body to its end in flowing mode, handing each chunk to `onChunk` before the next one is
 * read, so the body never pushes back on undici (see NEVER_FULL). What `onChunk` throws destroys the body,
 * which closes its connection, and rejects with that error.
 */
export function flow(body: Dispatcher.ResponseData['body'], onChunk: (chunk: Buffer) => void): Promise<void> {
  let failed = false;
  body.on('data', (chunk: Buffer) => {
    if (failed) return;
    try {
      onChunk(chunk);
    } catch (error) {
      failed = true;
      body.destroy(error instanceof Error ? error : new Error(String(error)));
    }
  });
  return finished(body);
}

export async function readText(
  body: Dispatcher.ResponseData['body'],
  maxBytes: number,
  url: string,
  speed: (bytes: number) => void,
): Promise<string> {
  const chunks: Buffer[] = [];
  let bytes = 0;
  await flow(body, (chunk) => {
    bytes += chunk.length;
    if (bytes > maxBytes) {
      throw new HttpError({
        url,
        failure: 'status',
        status: 200,
        detail: `response larger than ${maxBytes} bytes`,
      });
    }
    chunks.push(chunk);
    speed(chunk.length);
  });
  return Buffer.concat(chunks).toString('utf8');
}
