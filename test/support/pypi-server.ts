import { basename } from 'node:path';
import {
  type MirrorServer,
  type Reply,
  type ServedRequest,
  startMirrorServer,
  type TlsOptions,
} from './mirror-server.js';
import { fileSha256, type TestZig } from './test-zig.js';

/**
 * A loopback package index with the Simple Repository API: `/simple/` and `/simple/<project>/` as
 * PEP 691 JSON (`application/vnd.pypi.simple.v1+json`, when the client asks for it with Accept) or
 * PEP 503 HTML (the default, and the only form when `json: false`, like the index reachable from CI),
 * with sha256 in `#sha256=` fragments / `hashes`, and the files at `/packages/<file>`. Faults, request
 * counts and TLS come from mirror-server.ts.
 */
export interface PypiFile {
  path: string;
  /** Default: the base name of `path`. */
  fileName?: string;
  /** Default: computed from the file. */
  sha256?: string;
  requiresPython?: string;
  /** PEP 592: true, or the reason. */
  yanked?: boolean | string;
}

export interface PypiServerOptions {
  /** Project name (normalised, PEP 503) → its files. */
  projects: Record<string, PypiFile[]>;
  /** Answer PEP 691 JSON when asked (default); false: HTML only. */
  json?: boolean;
  tls?: TlsOptions;
}

export interface PypiServer extends MirrorServer {
  /** `<url>/simple/`: the value for pip's `--index-url`, or xcc's index setting. */
  indexUrl: string;
}

interface ListedFile {
  fileName: string;
  sha256: string;
  requiresPython: string | undefined;
  yanked: boolean | string;
}

const JSON_TYPE = 'application/vnd.pypi.simple.v1+json';
/** In order of preference when a wildcard matches several: no Accept, or any type, gets `text/html`. */
const HTML_TYPES = ['text/html', 'application/vnd.pypi.simple.v1+html'];

export async function startPypiServer(options: PypiServerOptions): Promise<PypiServer> {
  const server = await startMirrorServer({ tls: options.tls });
  const allowJson = options.json ?? true;
  const projects: Record<string, ListedFile[]> = {};
  for (const [project, files] of Object.entries(options.projects)) {
    projects[project] = await Promise.all(
      files.map(async (file) => {
        const fileName = file.fileName ?? basename(file.path);
        server.setFile(`/packages/${fileName}`, { file: file.path });
        const sha256 = file.sha256 ?? (await fileSha256(file.path));
        return { fileName, sha256, requiresPython: file.requiresPython, yanked: file.yanked ?? false };
      }),
    );
    server.setFile(`/simple/${project}/`, (request) =>
      negotiate(request, allowJson, {
        json: () => projectJson(project, projects[project]!, request.baseUrl),
        html: () => projectHtml(project, projects[project]!, request.baseUrl),
      }),
    );
  }
  server.setFile('/simple/', (request) =>
    negotiate(request, allowJson, {
      json: () => ({
        meta: { 'api-version': '1.1' },
        projects: Object.keys(projects).map((name) => ({ name })),
      }),
      html: () =>
        page(
          'Simple index',
          Object.keys(projects).map((name) => `<a href="/simple/${name}/">${name}</a>`),
        ),
    }),
  );
  return { ...server, indexUrl: `${server.url}/simple/` };
}

/** The test Zig's wheel, as the `ziglang` project. */
export function startZigPypi(
  zig: TestZig,
  options: Omit<PypiServerOptions, 'projects'> = {},
): Promise<PypiServer> {
  const { path, fileName, sha256 } = zig.wheel;
  return startPypiServer({ ...options, projects: { ziglang: [{ path, fileName, sha256 }] } });
}

/** PEP 691 content negotiation: the acceptable type with the highest q; HTML when nothing is said. */
function negotiate(
  request: ServedRequest,
  allowJson: boolean,
  render: { json: () => unknown; html: () => string },
): Reply {
  const offered = allowJson ? [...HTML_TYPES, JSON_TYPE] : HTML_TYPES;
  const chosen = chooseType(request.headers.accept ?? '*/*', offered);
  const headers = { vary: 'Accept' };
  if (!chosen) {
    return { status: 406, headers: { ...headers, 'content-type': 'text/plain' }, body: 'not acceptable\n' };
  }
  const body = chosen === JSON_TYPE ? `${JSON.stringify(render.json())}\n` : render.html();
  return { headers: { ...headers, 'content-type': chosen }, body };
}

export function chooseType(accept: string, offered: string[]): string | undefined {
  let best: { type: string; q: number } | undefined;
  for (const part of accept.split(',')) {
    const [range = '', ...params] = part.trim().split(';');
    const qParam = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    const q = qParam ? Number(qParam.slice(2)) : 1;
    const type = offered.find((candidate) => matches(range.trim().toLowerCase(), candidate));
    if (type && q > 0 && (!best || q > best.q)) best = { type, q };
  }
  return best?.type;
}

function matches(range: string, type: string): boolean {
  if (range === '*/*' || range === type) return true;
  return range.endsWith('/*') && type.startsWith(range.slice(0, -1));
}

function projectJson(project: string, files: ListedFile[], baseUrl: string) {
  return {
    meta: { 'api-version': '1.1' },
    name: project,
    versions: [...new Set(files.map((file) => file.fileName.split('-')[1]))],
    files: files.map((file) => ({
      filename: file.fileName,
      url: `${baseUrl}/packages/${file.fileName}`,
      hashes: { sha256: file.sha256 },
      'requires-python': file.requiresPython ?? null,
      yanked: file.yanked,
    })),
  };
}

function projectHtml(project: string, files: ListedFile[], baseUrl: string): string {
  const links = files.map((file) => {
    const attributes = [`href="${baseUrl}/packages/${file.fileName}#sha256=${file.sha256}"`];
    if (file.requiresPython) attributes.push(`data-requires-python="${escapeHtml(file.requiresPython)}"`);
    if (file.yanked) attributes.push(`data-yanked="${file.yanked === true ? '' : escapeHtml(file.yanked)}"`);
    return `<a ${attributes.join(' ')}>${file.fileName}</a><br/>`;
  });
  return page(`Links for ${project}`, links);
}

function page(title: string, lines: string[]): string {
  return [
    '<!DOCTYPE html>',
    '<html>',
    '<head><meta name="pypi:repository-version" content="1.1">',
    `<title>${title}</title></head>`,
    '<body>',
    `<h1>${title}</h1>`,
    ...lines,
    '</body>',
    '</html>',
    '',
  ].join('\n');
}

function escapeHtml(text: string): string {
  return text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;');
}
