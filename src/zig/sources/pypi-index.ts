import { readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { UsageError, XccError } from '../../errors.js';
import type { Env } from '../../home.js';
import type { HttpClient } from '../net/http.js';
import { isPlainFileName } from './names.js';
import { parseWheelName } from './pypi.js';

/**
 * Finding the `ziglang` wheels on a Python package index, the way pip would: the same index setting
 * (XCC_PYPI_INDEX_URL, else pip's own configuration, else pypi.org) and the simple repository API, asking
 * for PEP 691 JSON and accepting PEP 503 HTML (many proxies and mirrors still serve only HTML).
 */

export const DEFAULT_PYPI_INDEX = 'https://pypi.org/simple';

export interface IndexedFile {
  filename: string;
  url: string;
  /** From the JSON `hashes` or the HTML `#sha256=` fragment, when the index gives one. */
  sha256: string | undefined;
  yanked: boolean;
}

/** The index to use and where that choice came from (for messages). */
export async function pypiIndexUrl(
  env: Env,
  platform: NodeJS.Platform = process.platform,
): Promise<{ url: string; from: string }> {
  if (env.XCC_PYPI_INDEX_URL)
    return { url: checkUrl(env.XCC_PYPI_INDEX_URL, 'XCC_PYPI_INDEX_URL'), from: 'XCC_PYPI_INDEX_URL' };
  if (env.PIP_INDEX_URL) return { url: checkUrl(env.PIP_INDEX_URL, 'PIP_INDEX_URL'), from: 'PIP_INDEX_URL' };
  for (const file of pipConfigFiles(env, platform).reverse()) {
    const url = await indexUrlFromPipConfig(file);
    if (url !== undefined) return { url: checkUrl(url, file), from: file };
  }
  return { url: DEFAULT_PYPI_INDEX, from: 'default' };
}

/**
 * pip's configuration files, lowest precedence first (pip's docs, "Configuration"): global, user, then
 * the file named by PIP_CONFIG_FILE.
 */
function pipConfigFiles(env: Env, platform: NodeJS.Platform): string[] {
  const home = env.HOME ?? env.USERPROFILE ?? os.homedir();
  const files =
    platform === 'win32'
      ? [
          path.join(env.ProgramData ?? 'C:\\ProgramData', 'pip', 'pip.ini'),
          path.join(env.APPDATA ?? path.join(home, 'AppData', 'Roaming'), 'pip', 'pip.ini'),
          path.join(home, 'pip', 'pip.ini'),
        ]
      : [
          '/etc/xdg/pip/pip.conf',
          '/etc/pip.conf',
          path.join(home, '.pip', 'pip.conf'),
          path.join(env.XDG_CONFIG_HOME ?? path.join(home, '.config'), 'pip', 'pip.conf'),
          ...(platform === 'darwin'
            ? [path.join(home, 'Library', 'Application Support', 'pip', 'pip.conf')]
            : []),
        ];
  if (env.PIP_CONFIG_FILE) files.push(env.PIP_CONFIG_FILE);
  return files;
}

/** `index-url` from the `[install]` section (what `pip install` reads first), else `[global]`. */
async function indexUrlFromPipConfig(file: string): Promise<string | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    return undefined;
  }
  const sections = new Map<string, string>();
  let section = '';
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    const header = /^\[([^\]]+)\]$/.exec(line);
    if (header) section = header[1]!.trim().toLowerCase();
    const setting = /^index[-_]url\s*[=:]\s*(\S+)/i.exec(line);
    if (setting) sections.set(section, setting[1]!);
  }
  return sections.get('install') ?? sections.get('global');
}

function checkUrl(value: string, from: string): string {
  try {
    const url = new URL(value);
    if (url.protocol === 'https:' || url.protocol === 'http:') return value.replace(/\/+$/, '');
  } catch {}
  throw new UsageError(
    `${from}: "${value}" is not an http(s) URL of a Python package index (like ${DEFAULT_PYPI_INDEX})`,
  );
}

export interface ProjectPage {
  /** Where the listing finally came from (after redirects): its scheme says whether TLS carried it. */
  url: string;
  files: IndexedFile[];
}

/**
 * The project's files, from `<index>/<project>/`, as JSON (PEP 691) or HTML (PEP 503). A listed name that
 * is not a plain file name, or that ends in `.whl` without being a wheel's name, refuses the whole page:
 * an index that lies about names may lie about the rest.
 */
export async function listProjectFiles(
  http: HttpClient,
  indexUrl: string,
  project: string,
  signal?: AbortSignal,
): Promise<ProjectPage> {
  const pageUrl = `${indexUrl}/${project}/`;
  const answer = await http.getText(pageUrl, {
    signal,
    deadlineMs: 120_000,
    headers: {
      accept:
        'application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html;q=0.2, text/html;q=0.01',
    },
  });
  if (answer.status !== 200) throw new XccError(`${pageUrl}: unexpected answer ${answer.status}`);
  const body = answer.body.trimStart();
  const files = body.startsWith('{') ? parseSimpleJson(body, answer.url) : parseSimpleHtml(body, answer.url);
  for (const { filename } of files) {
    if (!isPlainFileName(filename) || (/\.whl$/i.test(filename) && parseWheelName(filename) === undefined)) {
      throw new XccError(
        `${pageUrl} lists ${JSON.stringify(filename)}, which is not a wheel file name (name-version-python-abi-platform.whl, no path): refusing the index`,
      );
    }
  }
  return { url: answer.url, files };
}

export function parseSimpleJson(text: string, pageUrl: string): IndexedFile[] {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch {
    throw new XccError(`${pageUrl}: the index answered invalid JSON`);
  }
  const files = isObject(document) ? document.files : undefined;
  if (!Array.isArray(files)) throw new XccError(`${pageUrl}: the index's JSON has no "files" list (PEP 691)`);
  return files.flatMap((file: unknown) => {
    if (!isObject(file) || typeof file.filename !== 'string' || typeof file.url !== 'string') return [];
    const url = URL.parse(file.url, pageUrl);
    if (url === null) return [];
    const hashes = isObject(file.hashes) ? file.hashes : {};
    return [
      {
        filename: file.filename,
        url: url.href,
        sha256: sha256Hex(hashes.sha256),
        yanked: file.yanked !== undefined && file.yanked !== false,
      },
    ];
  });
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A sha256 the index gives, in lower case; anything else counts as no hash (never as a wrong one). */
function sha256Hex(value: unknown): string | undefined {
  return typeof value === 'string' && /^[0-9a-fA-F]{64}$/.test(value) ? value.toLowerCase() : undefined;
}

/** PEP 503: one `<a href="URL#sha256=HEX" [data-yanked]>FILENAME</a>` per file. */
export function parseSimpleHtml(text: string, pageUrl: string): IndexedFile[] {
  const files: IndexedFile[] = [];
  for (const match of text.matchAll(/<a\s([^>]*)>([^<]*)<\/a>/gi)) {
    const attributes = match[1]!;
    const href = /\bhref\s*=\s*("([^"]*)"|'([^']*)')/i.exec(attributes);
    const url = href && URL.parse(decodeEntities(href[2] ?? href[3] ?? ''), pageUrl);
    if (!url) continue;
    const sha256 = sha256Hex(/^#sha256=(.*)$/.exec(url.hash)?.[1]);
    url.hash = '';
    files.push({
      filename: decodeEntities(match[2]!.trim()),
      url: url.href,
      sha256,
      yanked: /\bdata-yanked\b/i.test(attributes),
    });
  }
  return files;
}

function decodeEntities(text: string): string {
  return text
    .replaceAll('&amp;', '&')
    .replaceAll('&lt;', '<')
    .replaceAll('&gt;', '>')
    .replaceAll('&quot;', '"')
    .replaceAll('&#39;', "'");
}
