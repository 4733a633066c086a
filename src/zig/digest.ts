import { createHash, type Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { createPrehash } from './minisign.js';

/**
 * Passes bytes through unchanged while computing what verification needs, so a download is hashed as it
 * streams into the extractor instead of being read twice: sha256 (the index and pinned table), BLAKE2b-512
 * (minisign's prehash) and the byte count.
 */
export class DigestStream extends Transform {
  private readonly sha256: Hash = createHash('sha256');
  private readonly blake2b: Hash = createPrehash();
  private count = 0;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.sha256.update(chunk);
    this.blake2b.update(chunk);
    this.count += chunk.length;
    callback(null, chunk);
  }

  /** Call once, after the stream has ended. */
  result(): { sha256: string; blake2b512: Uint8Array; size: number } {
    return { sha256: this.sha256.digest('hex'), blake2b512: this.blake2b.digest(), size: this.count };
  }
}
