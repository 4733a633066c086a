import { Readable } from 'node:stream';
// xz-decompress is a webpack UMD bundle: Node's ESM loader sees only its default export.
import xzDecompress from 'xz-decompress';

/**
 * Decodes an xz stream. The decoder is XZ Embedded compiled to WebAssembly (the `xz-decompress`
 * package): no native addon, no install script, no `xz` binary needed, the same code on every host.
 * It streams with a fixed window (up to the 64 MiB dictionary of `xz -9`, what Zig's releases use).
 * A corrupt, truncated or non-xz input makes the returned stream fail; the caller words the error.
 */
export function decodeXz(compressed: Readable): Readable {
  const input = Readable.toWeb(compressed);
  const output = new xzDecompress.XzReadableStream(input);
  return Readable.fromWeb(output);
}
