import { createHash, type Hash } from 'node:crypto';
import { createPrehash } from './minisign.js';

/**
 * What verification needs from a file's bytes, computed as they arrive so that nothing is read twice:
 * sha256 (the index and pinned table), BLAKE2b-512 (minisign's prehash) and the byte count.
 */
export class Digest {
  private readonly sha256: Hash = createHash('sha256');
  private readonly blake2b: Hash = createPrehash();
  private count = 0;

  update(chunk: Buffer): void {
    this.sha256.update(chunk);
    this.blake2b.update(chunk);
    this.count += chunk.length;
  }

  /** Call once, after the last chunk. */
  result(): { sha256: string; blake2b512: Uint8Array; size: number } {
    return { sha256: this.sha256.digest('hex'), blake2b512: this.blake2b.digest(), size: this.count };
  }
}
