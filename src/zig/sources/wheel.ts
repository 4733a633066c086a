import path from 'node:path';
import { XccError } from '../../errors.js';
import { zigConfig } from '../config.js';
import { extractWheel } from '../extract.js';
import { isWheelForHost, pypiVersionsFor } from '../pypi.js';
import type { ExpectedDigest } from '../trust.js';
import { checkZigVersion } from '../zig-binary.js';
import { type IndexedFile, listProjectFiles, pypiIndexUrl } from './pypi-index.js';
import { checkDigest, downloadToFile, type SourceContext, type ZigSource } from './source.js';

export type WheelDigest = Extract<ExpectedDigest, { kind: 'sha256' } | { kind: 'unpinned-wheel' }>;

/**
 * The PyPI `ziglang` wheel: the official build repackaged by the Zig project, on a channel corporate
 * proxies often allow. Wheels carry no minisign signature, so trust comes from the sha256 pinned in
 * xcc; an unpinned wheel is only used when asked for by name (`--source pypi`), on the index's word.
 */
export function pypiWheelSource(expected: WheelDigest): ZigSource {
  return {
    name: 'pypi',
    async install(stage, context) {
      const { project } = zigConfig().pypi;
      const index = await pypiIndexUrl(context.env, context.platform);
      const files = await listProjectFiles(context.http, index.url, project, context.signal);
      const wheel =
        expected.kind === 'sha256'
          ? pinnedWheel(files, expected, index.url)
          : newestWheel(files, context, index.url);
      const source = `pypi (${new URL(wheel.url).host})`;
      const file = path.join(context.scratch, wheel.file);
      const got = await downloadToFile(wheel.url, file, context, source, wheel.size);
      const checks = [checkDigest(wheel, got, source)];
      context.emit({ type: 'verified', source, checks });
      await extractWheel(file, stage, { signal: context.signal });
      await checkZigVersion(stage, context.version, context.platform);
      return { host: context.host, source: 'pypi', url: got.url, sha256: got.sha256 };
    },
  };
}

interface ChosenWheel {
  file: string;
  url: string;
  sha256: string;
  size: number | undefined;
  vouchedBy: string;
}

function pinnedWheel(
  files: IndexedFile[],
  expected: Extract<WheelDigest, { kind: 'sha256' }>,
  indexUrl: string,
): ChosenWheel {
  const listed = files.find((file) => file.filename === expected.file);
  if (listed === undefined) {
    throw new XccError(
      `${indexUrl} does not list ${expected.file}; set XCC_PYPI_INDEX_URL to an index that mirrors the ziglang project`,
    );
  }
  if (listed.sha256 !== undefined && listed.sha256 !== expected.sha256) {
    throw new XccError(
      `${indexUrl} lists ${expected.file} with sha256 ${listed.sha256}, but xcc pins ${expected.sha256}: the index serves other bytes under this name`,
    );
  }
  return {
    file: listed.filename,
    url: listed.url,
    sha256: expected.sha256,
    size: expected.size,
    vouchedBy: 'pinned in xcc',
  };
}

function newestWheel(files: IndexedFile[], context: SourceContext, indexUrl: string): ChosenWheel {
  const config = zigConfig().pypi;
  const usable = files.filter((file) => !file.yanked && isWheelForHost(file.filename, context.host, config));
  const versionOf = (filename: string) => filename.split('-')[1] ?? '';
  for (const version of pypiVersionsFor(
    context.version,
    usable.map((file) => versionOf(file.filename)),
  )) {
    const file = usable.find((candidate) => versionOf(candidate.filename) === version);
    if (file === undefined) continue;
    if (file.sha256 === undefined) {
      throw new XccError(
        `${indexUrl} gives no sha256 for ${file.filename}, and xcc pins none: refusing an unverifiable wheel`,
      );
    }
    context.emit({
      type: 'warning',
      message: `xcc pins no hash for ${file.filename}: it is trusted on ${indexUrl}'s word (TLS and its sha256), without a signature`,
    });
    return {
      file: file.filename,
      url: file.url,
      sha256: file.sha256,
      size: undefined,
      vouchedBy: `${indexUrl} only, no pinned hash`,
    };
  }
  throw new XccError(`${indexUrl} has no ziglang wheel of Zig ${context.version} for ${context.host}`);
}
