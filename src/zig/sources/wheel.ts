import path from 'node:path';
import { isEnabled } from '../../env-flag.js';
import { aboutOption, UsageError, XccError } from '../../errors.js';
import { extractWheel } from '../archive/extract.js';
import { zigConfig } from '../distribution.js';
import type { ManifestEntry } from '../verify/install-manifest.js';
import type { ExpectedDigest, Voucher } from '../verify/trust.js';
import { checkZigVersion } from '../verify/zig-binary.js';
import { isWheelForHost, parseWheelName, pypiVersionsFor } from './pypi.js';
import { listProjectFiles, type ProjectPage, pypiIndexUrl } from './pypi-index.js';
import {
  checkDigest,
  type DigestClaim,
  type Downloaded,
  downloadToFile,
  hashFile,
  type SourceContext,
  type ZigSource,
} from './source.js';

export type WheelDigest = Extract<ExpectedDigest, { kind: 'sha256' } | { kind: 'unpinned-wheel' }>;
export type PinnedWheel = Extract<ExpectedDigest, { kind: 'sha256' }>;

/**
 * The PyPI `ziglang` wheel: the official build repackaged by the Zig project, on a channel corporate
 * proxies often allow. Wheels carry no minisign signature, so the sha256 is all that vouches for one, and
 * what vouches for the sha256 is the trust root, named in every message:
 * - the hash pinned in xcc (toolchains/zig-releases.json) or in the lock file: the index only says where
 *   the file is, and may be plain http;
 * - for an unpinned wheel, asked for by name (`--source pypi`), the hash the index lists, read over TLS;
 * - over plain http only with XCC_PYPI_ALLOW_HTTP set: otherwise anyone on the way could swap both the
 *   wheel and its hash, and the wheel's zig would run (`zig version`) on nobody's word.
 * Nothing is extracted, let alone run, before the download matched that hash.
 */
export function pypiWheelSource(expected: WheelDigest): ZigSource {
  return {
    name: 'pypi',
    kind: 'pypi',
    async install(stage, context) {
      const { project } = zigConfig().pypi;
      const index = await pypiIndexUrl(context.env, context.platform);
      const page = await listProjectFiles(context.http, index.url, project, context.signal);
      const wheel =
        expected.kind === 'sha256'
          ? pinnedWheel(page, expected, index.url)
          : newestWheel(page, context, index.url);
      const source = `pypi (${new URL(wheel.url).host})`;
      const file = path.join(context.scratch, wheel.file);
      const got = await downloadToFile(wheel.url, file, context, source, { size: wheel.size, signed: false });
      const files = await verifyAndExtractWheel({ claim: wheel, file, got, source, stage, context });
      return { source: { host: context.host, source: 'pypi', url: got.url, sha256: got.sha256 }, files };
    },
  };
}

/** `xcc install --from <wheel>` (say from `pip download ziglang==0.15.2 --no-deps`): a pinned hash vouches. */
export function localWheelSource(file: string, expected: PinnedWheel): ZigSource {
  return {
    name: file,
    kind: 'file',
    async install(stage, context) {
      const got = await hashFile(file, { signed: false });
      const claim = { ...expected, vouchedBy: wheelVoucher(expected.vouchedBy) };
      const files = await verifyAndExtractWheel({ claim, file, got, source: file, stage, context });
      const url = `file://${path.resolve(file)}`;
      return { source: { host: context.host, source: 'file', url, sha256: got.sha256 }, files };
    },
  };
}

/**
 * What `--from` may install for (version, host): the wheel must be one for this host, and its hash pinned
 * (toolchains/ or the lock file). An unpinned wheel is refused: on disk, no index and no TLS vouch for it.
 */
export function checkLocalWheel(
  file: string,
  expected: WheelDigest,
  version: string,
  host: string,
): PinnedWheel {
  const name = path.basename(file);
  if (expected.kind !== 'sha256') {
    throw new UsageError(
      aboutOption(
        file,
        `xcc pins no sha256 for the ziglang wheel of Zig ${version} for ${host}, so nothing vouches for it; install the release archive with its .minisig instead`,
      ),
      { option: 'from' },
    );
  }
  if (!isWheelForHost(name, host, zigConfig().pypi)) {
    const platforms = parseWheelName(name)?.platforms.join('.') ?? 'none';
    throw new UsageError(
      aboutOption(
        file,
        `this is a wheel for another platform (${platforms}); this host (${host}) needs ${expected.file}`,
      ),
      { option: 'from' },
    );
  }
  return expected;
}

interface ChosenWheel extends DigestClaim {
  url: string;
}

async function verifyAndExtractWheel(options: {
  claim: DigestClaim;
  file: string;
  got: Downloaded;
  source: string;
  stage: string;
  context: SourceContext;
}): Promise<ManifestEntry[]> {
  const { claim, file, got, source, stage, context } = options;
  const checks = [checkDigest(claim, got, source)];
  context.emit({ type: 'verified', source, checks });
  const { files } = await extractWheel(file, stage, { signal: context.signal });
  await checkZigVersion(stage, context.version, context.platform);
  return files;
}

function wheelVoucher(voucher: Voucher): string {
  return voucher === 'lock' ? 'pinned in the lock file' : 'pinned in xcc, toolchains/zig-releases.json';
}

function pinnedWheel(page: ProjectPage, expected: PinnedWheel, indexUrl: string): ChosenWheel {
  const listed = page.files.find((file) => file.filename === expected.file);
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
    vouchedBy: wheelVoucher(expected.vouchedBy),
  };
}

function newestWheel(page: ProjectPage, context: SourceContext, indexUrl: string): ChosenWheel {
  const config = zigConfig().pypi;
  const usable = page.files.filter(
    (file) => !file.yanked && isWheelForHost(file.filename, context.host, config),
  );
  const versionOf = (filename: string) => parseWheelName(filename)?.version ?? '';
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
    const transport = indexTransport(page.url, file.filename, context);
    const host = new URL(page.url).host;
    context.emit({
      type: 'warning',
      message: `xcc pins no hash for ${file.filename}: it is trusted on the word of the index at ${host}, read over ${transport.said}, without a signature`,
    });
    return {
      file: file.filename,
      url: file.url,
      sha256: file.sha256,
      size: undefined,
      vouchedBy: `listed by the index at ${host} over ${transport.name}; no pinned hash`,
    };
  }
  throw new XccError(`${indexUrl} has no ziglang wheel of Zig ${context.version} for ${context.host}`);
}

/**
 * How the listing of an unpinned wheel reached xcc, which is what its sha256 is worth: TLS, or plain http
 * when the user said to trust that (XCC_PYPI_ALLOW_HTTP); plain http otherwise is refused (a setting to fix).
 */
function indexTransport(pageUrl: string, filename: string, context: SourceContext) {
  if (new URL(pageUrl).protocol === 'https:') return { name: 'TLS', said: 'TLS' };
  const optIn = context.env.XCC_PYPI_ALLOW_HTTP;
  if (isEnabled(optIn)) return { name: 'plain http', said: `plain http (XCC_PYPI_ALLOW_HTTP=${optIn})` };
  throw new UsageError(
    `${pageUrl} is plain http, and xcc pins no hash for ${filename}: anyone on the way could change the sha256 it lists; use an https index, or set XCC_PYPI_ALLOW_HTTP=1 to trust this one anyway`,
  );
}
