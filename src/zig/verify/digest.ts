import { createHash, type Hash } from 'node:crypto';
import { createPrehash } from './minisign.js';

/**
 * What verification needs from a file's bytes, computed as they arrive so that nothing is read twice:
 * sha256 (the index and pinned table), the byte count, and BLAKE2b-512 (minisign's prehash) when a
 * signature will be checked (release archives; a wheel has none, and the hash costs as much as sha256).
 */
export class Digest {
  private readonly sha256: Hash = createHash('sha256');
  private readonly blake2b: Hash | undefined;
  private count = 0;

  constructor(options: { signed: boolean }) {
    this.blake2b = options.signed ? createPrehash() : undefined;
  }

  update(chunk: Buffer): void {
    this.sha256.update(chunk);
    this.blake2b?.update(chunk);
    this.count += chunk.length;
  }

  /** Call once, after the last chunk. */
  result(): { sha256: string; blake2b512?: Uint8Array; size: number } {
    return { sha256: this.sha256.digest('hex'), blake2b512: this.blake2b?.digest(), size: this.count };
  }
}
