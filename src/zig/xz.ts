import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { Readable, type Writable } from 'node:stream';
// xz-decompress is a webpack UMD bundle: Node's ESM loader sees only its default export.
import xzDecompress from 'xz-decompress';
import type { Env } from '../home.js';
import { findExecutable } from '../which.js';

/**
 * `system`: the `xz` program (liblzma, the reference decoder); `wasm`: XZ Embedded compiled to
 * WebAssembly (the `xz-decompress` package), which needs nothing installed; `auto`: the first when
 * it is on PATH. Measured on Zig's tarball (scripts/bench-xz.ts): the WebAssembly decoder costs about
 * 1.8x the CPU time of `xz -d`, so the installed program is preferred where there is one (most Linux
 * machines and CI images), and the WebAssembly one keeps xcc working everywhere else.
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
  return xz === undefined ? decodeWithWasm(compressed) : decodeWithProgram(xz, compressed);
}

function decodeWithWasm(compressed: AsyncIterable<Uint8Array>): Readable {
  return Readable.fromWeb(new xzDecompress.XzReadableStream(pullFrom(compressed)));
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

/**
 * A web stream that reads `source` only when the decoder asks. (`Readable.toWeb` pushes on 'data' and,
 * once the stream is cancelled, throws "Controller is already closed" from an event handler: a crash.)
 */
function pullFrom(source: AsyncIterable<Uint8Array>): ReadableStream<Uint8Array> {
  const chunks = source[Symbol.asyncIterator]();
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        const { value, done } = await chunks.next();
        if (done) controller.close();
        else controller.enqueue(value);
      },
      async cancel(reason) {
        await chunks.return?.(reason);
      },
    },
    { highWaterMark: 0 },
  );
}
