import { Readable } from 'node:stream';
// xz-decompress is a webpack UMD bundle: Node's ESM loader sees only its default export.
import xzDecompress from 'xz-decompress';

/**
 * Decodes an xz stream. The decoder is XZ Embedded compiled to WebAssembly (the `xz-decompress`
 * package): no native addon, no install script, no `xz` binary needed, the same code on every host.
 * It streams with a fixed window (up to the 64 MiB dictionary of `xz -9`, which Zig's releases use).
 * A corrupt, truncated or non-xz input makes the returned stream fail; the caller words the error.
 */
export function decodeXz(compressed: AsyncIterable<Uint8Array>): Readable {
  return Readable.fromWeb(new xzDecompress.XzReadableStream(pullFrom(compressed)));
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
