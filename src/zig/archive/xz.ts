import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { Readable, type Writable } from 'node:stream';
import type { Env } from '../../home.js';
import { findExecutable } from '../../which.js';
import { decodeXzWithWasm } from './xz-wasm.js';

/**
 * `system`: the `xz` program; `wasm`: liblzma's decoder compiled to WebAssembly (src/zig/archive/xz-wasm.ts),
 * which needs nothing installed; `auto`: the first when it is on PATH. The same decoder either way, but
 * the program runs beside Node, on another core, while Node untars; the WebAssembly one costs about 1.25x
 * the CPU time of `xz -d` on Zig's tarball (`npm run bench`) and keeps xcc working where there is no xz
 * (Windows, minimal images).
 */
export type XzDecoder = 'auto' | 'system' | 'wasm';

/**
 * Decodes an xz stream. Both decoders stream with a bounded window (up to the 64 MiB dictionary of
 * `xz -9`, which Zig's releases use). A corrupt, truncated or non-xz input makes the returned stream
 * fail; the caller words the error.
 */
export function decodeXz(
  compressed: AsyncIterable<Uint8Array>,
  decoder: XzDecoder = 'auto',
  env: Env = process.env,
): Readable {
  const xz = decoder === 'wasm' ? undefined : findExecutable('xz', env);
  if (decoder === 'system' && xz === undefined) throw new Error('no xz program on PATH');
  return xz === undefined
    ? Readable.from(decodeXzWithWasm(compressed), { objectMode: false })
    : decodeWithProgram(xz, compressed);
}

/** `xz -dc` fed from `compressed`; its exit status and stderr decide whether the output was complete. */
function decodeWithProgram(xz: string, compressed: AsyncIterable<Uint8Array>): Readable {
  async function* run(): AsyncGenerator<Buffer> {
    const child = spawn(xz, ['--decompress', '--stdout', '--single-stream'], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (text: string) => {
      stderr += text;
    });
    // A decoder that quits early closes its stdin: that EPIPE is told by the exit status instead.
    child.stdin.on('error', () => {});
    const exited = once(child, 'close');
    let inputError: unknown;
    const feeding = feed(compressed, child.stdin).catch((error: unknown) => {
      inputError = error;
      child.kill();
    });
    try {
      yield* child.stdout as AsyncIterable<Buffer>;
      await feeding;
      const [code] = (await exited) as [number | null];
      if (inputError !== undefined) throw inputError;
      if (code !== 0) throw new Error(stderr.trim() || `xz exited with status ${code}`);
    } finally {
      if (child.exitCode === null) child.kill();
      await feeding;
    }
  }
  return Readable.from(run(), { objectMode: false });
}

/**
 * Writes `source` into `stdin` with backpressure. Not `pipeline`: when the child goes away, pipeline would
 * throw its EPIPE into `source`, which then looks like a failed download.
 */
async function feed(source: AsyncIterable<Uint8Array>, stdin: Writable): Promise<void> {
  for await (const chunk of source) {
    if (stdin.destroyed) return;
    if (!stdin.write(chunk)) await drained(stdin);
  }
  stdin.end();
}

function drained(stream: Writable): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      stream.off('drain', done).off('close', done).off('error', done);
      resolve();
    };
    stream.on('drain', done).on('close', done).on('error', done);
  });
}
