import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { UsageError } from '../../errors.js';
import { extractTarXz, extractZip } from '../archive/extract.js';
import type { ManifestEntry } from '../verify/install-manifest.js';
import type { ExpectedDigest } from '../verify/trust.js';
import { checkZigVersion } from '../verify/zig-binary.js';
import {
  checkDigest,
  checkFileSignature,
  checkSignatureFile,
  type Downloaded,
  downloadToFile,
  hashFile,
  type SourceContext,
  type ZigSource,
} from './source.js';

/** An official release archive as a tarball (or Windows zip) with its `.minisig`. */
export type ArchiveDigest = Extract<ExpectedDigest, { kind: 'sha256' } | { kind: 'signature-only' }>;

/**
 * A mirror, ziglang.org itself, or a user's mirror: `GET <file>` and `GET <file>.minisig`. The signature is
 * fetched first; a bad one ends this source's turn before the archive is downloaded.
 */
export function httpArchiveSource(options: {
  name: string;
  kind: 'mirror' | 'ziglang.org';
  fileUrl: string;
  signatureUrl: string;
  expected: ArchiveDigest;
}): ZigSource {
  const { name, kind, fileUrl, signatureUrl, expected } = options;
  return {
    name,
    kind,
    async install(stage, context) {
      const answer = await context.http.getText(signatureUrl, {
        signal: context.signal,
        deadlineMs: 60_000,
        maxBytes: 64 * 1024,
      });
      const signature = checkSignatureFile(answer.status === 200 ? answer.body : '', expected.file, context);
      const file = path.join(context.scratch, expected.file);
      const size = expected.kind === 'sha256' ? expected.size : undefined;
      const got = await downloadToFile(fileUrl, file, context, name, { size, signed: true });
      const files = await verifyAndExtract({ name, file, got, signature, expected, stage, context });
      return { source: { host: context.host, source: name, url: got.url, sha256: got.sha256 }, files };
    },
  };
}

/** The air-gapped path: an archive on disk with its `.minisig` beside it, verified exactly like a download. */
/** `--from FILE` without `FILE.minisig` beside it. */
export function missingSignature(file: string): UsageError {
  return new UsageError(
    `${file}.minisig not found: an archive is installed only with its signature beside it (download both from the same place)`,
  );
}

export function localArchiveSource(file: string, expected: ArchiveDigest): ZigSource {
  const name = file;
  return {
    name,
    kind: 'file',
    async install(stage, context) {
      const signatureText = await readFile(`${file}.minisig`, 'utf8').catch(() => {
        throw missingSignature(file);
      });
      const signature = checkSignatureFile(signatureText, expected.file, context);
      const got = await hashFile(file, { signed: true });
      const files = await verifyAndExtract({ name, file, got, signature, expected, stage, context });
      const url = `file://${path.resolve(file)}`;
      return { source: { host: context.host, source: 'file', url, sha256: got.sha256 }, files };
    },
  };
}

async function verifyAndExtract(options: {
  name: string;
  file: string;
  got: Downloaded;
  signature: ReturnType<typeof checkSignatureFile>;
  expected: ArchiveDigest;
  stage: string;
  context: SourceContext;
}): Promise<ManifestEntry[]> {
  const { name, file, got, signature, expected, stage, context } = options;
  // sha256 first: a corrupted transfer then reads as such, rather than as a bad signature.
  const checks = expected.kind === 'sha256' ? [checkDigest(expected, got, name)] : [];
  checks.push(await checkFileSignature(signature, expected.file, file, got, context));
  context.emit({ type: 'verified', source: name, checks });
  const { files } = await extractArchive(file, expected.file, stage, context.signal);
  await checkZigVersion(stage, context.version, context.platform);
  return files;
}

/** Release archives hold one directory named like the file: its contents become the install. */
async function extractArchive(
  file: string,
  fileName: string,
  stage: string,
  signal: AbortSignal | undefined,
) {
  if (fileName.endsWith('.zip')) {
    return extractZip(file, stage, { root: fileName.slice(0, -'.zip'.length), signal });
  }
  return extractTarXz(createReadStream(file), stage, { root: fileName.slice(0, -'.tar.xz'.length), signal });
}
