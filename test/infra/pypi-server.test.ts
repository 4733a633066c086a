import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../support/paths.js';
import { chooseType, type PypiServer, startPypiServer } from '../support/pypi-server.js';
import { parseSimpleIndex, sha256Hex } from '../support/test-zig.js';

const scratch = mkdtempSync(path.join(os.tmpdir(), 'xcc-pypi-'));
const wheelName =
  'ziglang-0.15.2-py3-none-manylinux_2_12_x86_64.manylinux2010_x86_64.musllinux_1_1_x86_64.whl';
const oldName = 'ziglang-0.14.0-py3-none-manylinux_2_12_x86_64.manylinux2010_x86_64.musllinux_1_1_x86_64.whl';
writeFileSync(path.join(scratch, wheelName), 'wheel bytes');
writeFileSync(path.join(scratch, oldName), 'old wheel bytes');

let pypi: PypiServer;
let htmlOnly: PypiServer;
beforeAll(async () => {
  const files = [
    { path: path.join(scratch, wheelName) },
    { path: path.join(scratch, oldName), requiresPython: '>=3.5', yanked: 'broken <zig>' },
  ];
  pypi = await startPypiServer({ projects: { ziglang: files } });
  htmlOnly = await startPypiServer({ projects: { ziglang: files }, json: false });
});
afterAll(async () => {
  await Promise.all([pypi.close(), htmlOnly.close()]);
  rmSync(scratch, { recursive: true, force: true });
});

const PIP_ACCEPT =
  'application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html; q=0.1, text/html; q=0.01';

describe('the loopback package index', () => {
  it('answers PEP 691 JSON to a client that prefers it (pip’s Accept header)', async () => {
    const response = await fetch(`${pypi.indexUrl}ziglang/`, { headers: { accept: PIP_ACCEPT } });
    expect(response.headers.get('content-type')).toBe('application/vnd.pypi.simple.v1+json');
    expect(await response.json()).toEqual({
      meta: { 'api-version': '1.1' },
      name: 'ziglang',
      versions: ['0.15.2', '0.14.0'],
      files: [
        {
          filename: wheelName,
          url: `${pypi.url}/packages/${wheelName}`,
          hashes: { sha256: sha256Hex('wheel bytes') },
          'requires-python': null,
          yanked: false,
        },
        {
          filename: oldName,
          url: `${pypi.url}/packages/${oldName}`,
          hashes: { sha256: sha256Hex('old wheel bytes') },
          'requires-python': '>=3.5',
          yanked: 'broken <zig>',
        },
      ],
    });
  });

  it('answers PEP 503 HTML by default, with #sha256= fragments and escaped attributes', async () => {
    const response = await fetch(`${pypi.indexUrl}ziglang/`);
    expect(response.headers.get('content-type')).toBe('text/html');
    const html = await response.text();
    expect(html).toContain('data-requires-python="&gt;=3.5" data-yanked="broken &lt;zig&gt;"');
    expect(parseSimpleIndex(html)).toEqual([
      { fileName: wheelName, url: `${pypi.url}/packages/${wheelName}`, sha256: sha256Hex('wheel bytes') },
      { fileName: oldName, url: `${pypi.url}/packages/${oldName}`, sha256: sha256Hex('old wheel bytes') },
    ]);
  });

  it('answers HTML only when configured like the index CI reaches', async () => {
    const response = await fetch(`${htmlOnly.indexUrl}ziglang/`, { headers: { accept: PIP_ACCEPT } });
    expect(response.headers.get('content-type')).toBe('application/vnd.pypi.simple.v1+html');
    expect(response.headers.get('vary')).toBe('Accept');
  });

  it('answers 406 to a client that accepts nothing it has', async () => {
    const response = await fetch(`${htmlOnly.indexUrl}ziglang/`, { headers: { accept: JSON_ONLY } });
    expect(response.status).toBe(406);
  });

  it('lists its projects at /simple/', async () => {
    const response = await fetch(pypi.indexUrl, { headers: { accept: PIP_ACCEPT } });
    expect(await response.json()).toEqual({
      meta: { 'api-version': '1.1' },
      projects: [{ name: 'ziglang' }],
    });
  });

  it('serves the files and counts downloads', async () => {
    expect(await (await fetch(`${pypi.url}/packages/${wheelName}`)).text()).toBe('wheel bytes');
    expect(pypi.count(`/packages/${wheelName}`)).toBe(1);
  });

  it('takes the mirror server’s faults', async () => {
    pypi.fault('/simple/ziglang/', { kind: 'status', status: 503 }, { times: 1 });
    expect((await fetch(`${pypi.indexUrl}ziglang/`)).status).toBe(503);
    expect((await fetch(`${pypi.indexUrl}ziglang/`)).status).toBe(200);
  });
});

const JSON_ONLY = 'application/vnd.pypi.simple.v1+json';
const REAL_WHEEL_PATH = 'db/81/f9f5c7fd68d80b8edff2a641a1c95ac4125356387d298374227040b8e1e8';
const OFFERED = ['text/html', 'application/vnd.pypi.simple.v1+html', JSON_ONLY];

describe('content negotiation', () => {
  it.each([
    ['*/*', 'text/html'],
    ['', undefined],
    [PIP_ACCEPT, JSON_ONLY],
    ['text/html', 'text/html'],
    ['application/*;q=0.5, text/html;q=0.4', 'application/vnd.pypi.simple.v1+html'],
    ['application/vnd.pypi.simple.v1+json;q=0, */*;q=0.1', 'text/html'],
    ['image/png', undefined],
  ])('Accept %j → %s', (accept, expected) => {
    expect(chooseType(accept, OFFERED)).toBe(expected);
  });

  it('parses the real PyPI page for ziglang', () => {
    const page = readFileSync(
      path.join(projectRoot, 'test', 'fixtures', 'pypi', 'ziglang-simple.html'),
      'utf8',
    );
    const links = parseSimpleIndex(page);
    expect(links).toHaveLength(14);
    expect(links.find((link) => link.fileName === wheelName)).toEqual({
      fileName: wheelName,
      url: `https://files.pythonhosted.org/packages/${REAL_WHEEL_PATH}/${wheelName}`,
      sha256: '806316453d1ede7174ed3fefb8e5348154629089c3bb5fe812dfd0e172fac130',
    });
  });
});
