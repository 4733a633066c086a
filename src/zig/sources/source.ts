import { closeSync, createReadStream, fchmodSync, openSync, writeSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { CACHE_FILE_MODE } from '../../cache-safety.js';
import { XccError } from '../../errors.js';
import type { Env } from '../../home.js';
import { redactUrls } from '../../redact.js';
import type { InstallEventHandler } from '../events.js';
import type { HttpClient } from '../net/http.js';
import type { InstallSource } from '../store/store.js';
import { Digest } from '../verify/digest.js';
import type { ManifestEntry } from '../verify/install-manifest.js';
import {
  type MinisignPublicKey,
  parseSignature,
  verifySignature,
  verifyTrustedComment,
} from '../verify/minisign.js';
import type { SourceKind } from './names.js';

/**
 * A place Zig's bytes can come from. Every source does the same four things in the same order: fetch,
 * verify (before anything is extracted, so an unverified archive never reaches the extractor), extract
 * into the stage directory, and prove with `zig version` that the stage holds the version asked for.
 */
export interface ZigSource {
  /** Shown in progress and in the final error: a mirror's host, `ziglang.org`, `pypi`, a file path. */
  readonly name: string;
  readonly kind: SourceKind;
  install(stage: string, context: SourceContext): Promise<Installed>;
}

/** What a source put in the stage: where it came from (for the marker) and the extractor's record of it. */
export interface Installed {
  source: InstallSource;
  files: ManifestEntry[];
}

export interface SourceContext {
  version: string;
  /** Current Zig host key (`x86_64-linux`). */
  host: string;
  platform: NodeJS.Platform;
  http: HttpClient;
  env: Env;
  /** A scratch directory for downloads, outside the stage (which becomes the install). */
  scratch: string;
  publicKey: MinisignPublicKey;
  allowLegacyMinisign: boolean;
  emit: InstallEventHandler;
  signal: AbortSignal | undefined;
}

export interface Downloaded {
  /** The URL the bytes finally came from (after redirects). */
  url: string;
  sha256: string;
  /** minisign's prehash, computed only for a file whose signature will be checked. */
  blake2b512?: Uint8Array;
  size: number;
}

/**
 * Streams `url` into `file`, hashing on the way; progress goes to the context's event handler. Each chunk
 * is written synchronously, as the HTTP module asks (`Download.read`): a slow disk holds up the socket.
 */
export async function downloadToFile(
  url: string,
  file: string,
  context: SourceContext,
  source: string,
  expect: { size: number | undefined; signed: boolean },
): Promise<Downloaded> {
  const knownSize = expect.size;
  const download = await context.http.download(url, {
    source,
    signal: context.signal,
    onProgress: ({ bytes, total }) =>
      context.emit({ type: 'download-progress', source, bytes, total: total ?? knownSize }),
  });
  context.emit({
    type: 'download-start',
    source,
    url: redactUrls(download.url),
    file: path.basename(file),
    size: download.size ?? knownSize,
  });
  if (knownSize !== undefined && download.size !== undefined && download.size !== knownSize) {
    download.cancel();
    throw new XccError(
      `${source} announced ${download.size} bytes for ${path.basename(file)}, which has ${knownSize}: it serves another file, or a broken one`,
    );
  }
  const digest = new Digest(expect);
  // Never writable by others, whatever the umask: the bytes are read again after they were verified.
  const fd = openSync(file, 'w', CACHE_FILE_MODE);
  fchmodSync(fd, CACHE_FILE_MODE);
  try {
    await download.read((chunk) => {
      digest.update(chunk);
      for (let written = 0; written < chunk.length; ) written += writeSync(fd, chunk, written);
    });
  } finally {
    closeSync(fd);
  }
  return { url: download.url, ...digest.result() };
}

/** A file on disk (`--from`), hashed as a download would be. */
export async function hashFile(file: string, expect: { signed: boolean }): Promise<Downloaded> {
  const digest = new Digest(expect);
  for await (const chunk of createReadStream(file)) digest.update(chunk as Buffer);
  return { url: file, ...digest.result() };
}

/** What a file's sha256 (and size, when known) must be, and who says so (for messages). */
export interface DigestClaim {
  file: string;
  sha256: string;
  size: number | undefined;
  vouchedBy: string;
}

export function checkDigest(claim: DigestClaim, got: Downloaded, source: string): string {
  if (claim.size !== undefined && got.size !== claim.size) {
    throw new XccError(
      `${claim.file} from ${source} has ${got.size} bytes, expected ${claim.size} (${claim.vouchedBy}): truncated or altered in transit`,
    );
  }
  if (got.sha256 !== claim.sha256) {
    throw new XccError(
      `${claim.file} from ${source} has sha256 ${got.sha256}, expected ${claim.sha256} (${claim.vouchedBy}): the file was altered`,
    );
  }
  return `sha256 (${claim.vouchedBy})`;
}

/**
 * Reads a `.minisig` and checks everything it says about itself (key id, global signature, the trusted
 * comment's `file:`), so a wrong or foreign signature fails before the 50 MB download starts.
 */
export function checkSignatureFile(text: string, fileName: string, context: SourceContext) {
  const signature = parseSignature(text, `${fileName}.minisig`);
  verifyTrustedComment(context.publicKey, signature, {
    fileName,
    allowLegacy: context.allowLegacyMinisign,
  });
  return signature;
}

/** The file's own signature; legacy `Ed` signs the raw bytes, so only that case reads the file back. */
export async function checkFileSignature(
  signature: ReturnType<typeof parseSignature>,
  fileName: string,
  file: string,
  got: Downloaded,
  context: SourceContext,
): Promise<string> {
  // Without a prehash (a source that did not expect a signature) the bytes are read again: slow, not wrong.
  const content =
    signature.algorithm === 'Ed' || got.blake2b512 === undefined
      ? { bytes: await readFile(file) }
      : { blake2b512: got.blake2b512 };
  const verified = verifySignature(context.publicKey, signature, content, {
    fileName,
    allowLegacy: context.allowLegacyMinisign,
  });
  return `minisign (key ${verified.keyId}, file:${fileName})`;
}
