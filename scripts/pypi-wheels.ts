/**
 * Which PyPI `ziglang` wheel each pinned Zig build maps to, for scripts/gen-zig-releases.ts: it reads
 * PyPI's project JSON once and picks, per host, the wheel that src/zig/sources/wheel.ts would take. Only
 * the generator needs this; xcc itself reads the wheels pinned in toolchains/zig-releases.json, or a
 * simple index (src/zig/sources/pypi-index.ts).
 */
import { XccError } from '../src/errors.js';
import type { ZigPypiConfig } from '../src/zig/distribution.js';
import { type JsonPath, JsonShape, parseJson } from '../src/zig/json-shape.js';
import { isWheelForHost, type PypiWheel } from '../src/zig/sources/pypi.js';

export interface PypiFile {
  filename: string;
  size: number;
  sha256: string;
  /** PyPI stores each file under a path made of this digest, which gives its URL. */
  blake2b256: string;
  yanked: boolean;
}

/**
 * The wheel for `host` (a current host key) among the files of the PyPI versions for a Zig release, in
 * preference order: the first version with a wheel for the host wins, so a post release that covers only
 * some platforms does not hide the plain version's wheel for the others. Yanked files are skipped.
 */
export function selectWheel(
  host: string,
  filesByVersion: ReadonlyArray<{ version: string; files: readonly PypiFile[] }>,
  config: ZigPypiConfig,
): PypiWheel | undefined {
  for (const { version, files } of filesByVersion) {
    const file = files.find((f) => !f.yanked && isWheelForHost(f.filename, host, config));
    if (file)
      return {
        version,
        file: file.filename,
        url: fileUrl(file, config),
        size: file.size,
        sha256: file.sha256,
      };
  }
  return undefined;
}

/**
 * PyPI's storage path is the file's BLAKE2b-256 split 2/2/60, then its name (as the JSON API's `url` shows
 * on pypi.org). Built from the digest rather than copied from `url`, which proxies rewrite.
 */
function fileUrl(file: PypiFile, config: ZigPypiConfig): string {
  const digest = file.blake2b256;
  return `${config.filesUrl}/${digest.slice(0, 2)}/${digest.slice(2, 4)}/${digest.slice(4)}/${file.filename}`;
}

/**
 * Reads PyPI's project JSON (`https://pypi.org/pypi/<project>/json`): the files of every version. (The
 * per-version document, `/pypi/<project>/<version>/json`, answers 404 behind some proxies; this one
 * document has everything.)
 */
export function parsePypiProject(text: string, source: string): Record<string, PypiFile[]> {
  const shape = new JsonShape(source, (message) => new XccError(message));
  const releases = shape.object(shape.object(parseJson(text, shape), []).releases, ['releases']);
  return Object.fromEntries(
    Object.entries(releases).map(([version, files]) => [
      version,
      shape
        .array(files, ['releases', version])
        .map((value, i) => parsePypiFile(shape, value, ['releases', version, i])),
    ]),
  );
}

function parsePypiFile(shape: JsonShape, value: unknown, at: JsonPath): PypiFile {
  const file = shape.object(value, at);
  const filename = shape.string(file.filename, [...at, 'filename'], {
    test: isPlainFileName,
    what: 'a file name',
  });
  const size = shape.size(file.size, [...at, 'size']);
  const digests = shape.object(file.digests, [...at, 'digests']);
  return {
    filename,
    size,
    sha256: shape.sha256(digests.sha256, [...at, 'digests', 'sha256']),
    blake2b256: shape.string(digests.blake2b_256, [...at, 'digests', 'blake2b_256'], {
      test: (text) => /^[0-9a-f]{64}$/.test(text),
      what: 'a BLAKE2b-256 digest',
    }),
    yanked: file.yanked === true,
  };
}

function isPlainFileName(text: string): boolean {
  return /^[\w.+-]+$/.test(text);
}
