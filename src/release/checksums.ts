import { createReadStream } from 'node:fs';
import { XccError } from '../errors.js';
import { crypto } from '../lazy-crypto.js';
import { isSafeFileName } from './names.js';

/**
 * `checksums.txt` as `sha256sum` writes it and `sha256sum -c` reads it: one line per file, the lowercase
 * hex digest, two spaces (text mode; a `*` before the name, binary mode, is read too), the file name.
 * Only plain names are written or accepted (see names.ts): no escapes, no directories.
 */
export const CHECKSUMS_FILE = 'checksums.txt';

export interface ChecksumEntry {
  file: string;
  sha256: string;
}

/** Sorted by file name, so the same artifacts always give the same bytes. */
export function formatChecksums(entries: readonly ChecksumEntry[]): string {
  return [...entries]
    .sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0))
    .map((entry) => `${entry.sha256}  ${entry.file}\n`)
    .join('');
}

export function parseChecksums(text: string, where: string): ChecksumEntry[] {
  const entries: ChecksumEntry[] = [];
  for (const [index, line] of text.split('\n').entries()) {
    if (line.trim() === '') continue;
    const match = /^([0-9a-f]{64}) [ *](.+)$/.exec(line);
    if (match === null || !isSafeFileName(match[2]!)) {
      throw new XccError(
        `${where}:${index + 1} is not a sha256sum line ('<64 hex digits>  <file name>'); regenerate the file with xcc build`,
      );
    }
    entries.push({ sha256: match[1]!, file: match[2]! });
  }
  return entries;
}

/** The sha256 and size of a file, read as a stream (release artifacts run to tens of megabytes). */
export async function hashFile(file: string): Promise<{ sha256: string; size: number }> {
  const hash = crypto().createHash('sha256');
  let size = 0;
  for await (const chunk of createReadStream(file)) {
    hash.update(chunk as Buffer);
    size += (chunk as Buffer).length;
  }
  return { sha256: hash.digest('hex'), size };
}
