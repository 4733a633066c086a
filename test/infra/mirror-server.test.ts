import { execFile } from 'node:child_process';
import http from 'node:http';
import { promisify } from 'node:util';
import { Agent, ProxyAgent, fetch as undiciFetch } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type MirrorServer, startMirrorServer } from '../support/mirror-server.js';
import { startProxyServer } from '../support/proxy-server.js';
import { type TestCertificates, testCertificates } from '../support/test-ca.js';

const file = Buffer.from(Array.from({ length: 4096 }, (_, i) => i % 251));
const signature = 'untrusted comment: signature from minisign secret key\n...\n';

let mirror: MirrorServer;
let other: MirrorServer;

beforeAll(async () => {
  mirror = await startMirrorServer({ files: { '/zig.tar.xz': file, '/zig.tar.xz.minisig': signature } });
  other = await startMirrorServer({ files: { '/zig.tar.xz': 'from the other server' } });
});
afterAll(async () => {
  await Promise.all([mirror.close(), other.close()]);
});
afterEach(() => {
  mirror.clearFaults();
  other.clearFaults();
});

function rootCause(error: unknown): Error {
  let current = error as Error;
  while (current.cause instanceof Error) current = current.cause;
  return current;
}

async function bytes(response: Response): Promise<Buffer> {
  return Buffer.from(await response.arrayBuffer());
}

describe('normal serving', () => {
  it('serves files with their length, and 404 for anything else', async () => {
    const response = await fetch(mirror.urlOf('/zig.tar.xz'));
    expect(response.status).toBe(200);
    expect(response.headers.get('content-length')).toBe(String(file.length));
    expect(await bytes(response)).toEqual(file);
    expect((await fetch(mirror.urlOf('/zig-0.0.0.tar.xz'))).status).toBe(404);
  });

  it('records paths and query strings, and counts requests per path', async () => {
    const before = mirror.count('/zig.tar.xz.minisig');
    await (await fetch(mirror.urlOf('/zig.tar.xz.minisig?source=xcc'))).text();
    expect(mirror.count('/zig.tar.xz.minisig')).toBe(before + 1);
    expect(mirror.requests.at(-1)).toMatchObject({
      method: 'GET',
      path: '/zig.tar.xz.minisig',
      query: 'source=xcc',
    });
  });

  it('answers HEAD with the length and no body', async () => {
    const response = await fetch(mirror.urlOf('/zig.tar.xz'), { method: 'HEAD' });
    expect(response.headers.get('content-length')).toBe(String(file.length));
    expect(await response.text()).toBe('');
  });

  it('answers conditional requests with 304 (ETag first, then Last-Modified)', async () => {
    const first = await fetch(mirror.urlOf('/zig.tar.xz.minisig'));
    await first.text();
    const etag = first.headers.get('etag')!;
    const lastModified = first.headers.get('last-modified')!;
    const status = async (headers: Record<string, string>) => {
      const response = await fetch(mirror.urlOf('/zig.tar.xz.minisig'), { headers });
      await response.arrayBuffer();
      return response.status;
    };
    expect(await status({ 'if-none-match': etag })).toBe(304);
    expect(await status({ 'if-none-match': '"stale"' })).toBe(200);
    expect(await status({ 'if-none-match': '"stale"', 'if-modified-since': lastModified })).toBe(200);
    expect(await status({ 'if-modified-since': lastModified })).toBe(304);
    expect(
      await status({ 'if-modified-since': new Date(Date.parse(lastModified) - 1000).toUTCString() }),
    ).toBe(200);
  });

  it('gives a changed file a new ETag', async () => {
    const server = await startMirrorServer({ files: { '/index.json': '{}' } });
    try {
      const before = (await fetch(server.urlOf('/index.json'))).headers.get('etag');
      server.setFile('/index.json', '{"0.15.2":{}}');
      const response = await fetch(server.urlOf('/index.json'), { headers: { 'if-none-match': before! } });
      expect(response.status).toBe(200);
      expect(await response.text()).toBe('{"0.15.2":{}}');
    } finally {
      await server.close();
    }
  });

  it('computes bodies per request, with the server’s own URL', async () => {
    mirror.setFile('/base.txt', ({ baseUrl, query }) => `${baseUrl}?${query}`);
    expect(await (await fetch(mirror.urlOf('/base.txt?a=1'))).text()).toBe(`${mirror.url}?a=1`);
  });

  it('runs several instances side by side', () => {
    expect(new Set([mirror.port, other.port]).size).toBe(2);
  });
});

describe('faults', () => {
  it.each([503, 404, 500, 504])('answers %i', async (status) => {
    mirror.fault('/zig.tar.xz', { kind: 'status', status });
    const response = await fetch(mirror.urlOf('/zig.tar.xz'));
    await response.arrayBuffer();
    expect(response.status).toBe(status);
  });

  it('answers 429 with Retry-After', async () => {
    mirror.fault('/zig.tar.xz', { kind: 'status', status: 429, headers: { 'retry-after': '7' } });
    const response = await fetch(mirror.urlOf('/zig.tar.xz'));
    await response.arrayBuffer();
    expect([response.status, response.headers.get('retry-after')]).toEqual([429, '7']);
  });

  it('applies a fault to the next `times` requests only', async () => {
    mirror.fault('/zig.tar.xz', { kind: 'status', status: 503 }, { times: 2 });
    const statuses = [];
    for (let i = 0; i < 3; i++) {
      const response = await fetch(mirror.urlOf('/zig.tar.xz'));
      await response.arrayBuffer();
      statuses.push(response.status);
    }
    expect(statuses).toEqual([503, 503, 200]);
  });

  it("applies a '*' fault to every path", async () => {
    mirror.fault('*', { kind: 'status', status: 503 });
    expect((await fetch(mirror.urlOf('/zig.tar.xz.minisig'))).status).toBe(503);
  });

  it('resets the connection in the middle of the body', async () => {
    mirror.fault('/zig.tar.xz', { kind: 'reset', afterBytes: 1000 });
    const response = await fetch(mirror.urlOf('/zig.tar.xz'));
    expect(response.status).toBe(200);
    const error = await response.arrayBuffer().catch((caught: Error) => caught);
    const cause = rootCause(error) as NodeJS.ErrnoException;
    expect(`${cause.code} ${cause.message}`).toBe('ECONNRESET read ECONNRESET');
  });

  it('truncates the body under a correct Content-Length, then closes', async () => {
    mirror.fault('/zig.tar.xz', { kind: 'truncate', bytes: 100 });
    const response = await fetch(mirror.urlOf('/zig.tar.xz'));
    expect(response.headers.get('content-length')).toBe(String(file.length));
    const reader = response.body!.getReader();
    let received = 0;
    const error = await (async () => {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return undefined;
        received += value.length;
      }
    })().catch((caught: Error) => caught);
    expect(error?.message).toBe('terminated');
    expect(received).toBe(100);
  });

  it('advertises a longer Content-Length than it sends', async () => {
    mirror.fault('/zig.tar.xz', { kind: 'content-length', delta: 10 });
    const response = await fetch(mirror.urlOf('/zig.tar.xz'));
    expect(response.headers.get('content-length')).toBe(String(file.length + 10));
    await expect(response.arrayBuffer()).rejects.toThrow('terminated');
  });

  it('advertises a shorter Content-Length than it sends: the client sees a short, complete body', async () => {
    mirror.fault('/zig.tar.xz', { kind: 'content-length', delta: -10 });
    const received = await bytes(await fetch(mirror.urlOf('/zig.tar.xz')));
    expect(received).toEqual(file.subarray(0, file.length - 10));
  });

  it('accepts and never answers, until the client gives up', async () => {
    mirror.fault('/zig.tar.xz', { kind: 'hang' });
    const before = mirror.count('/zig.tar.xz');
    const error = await fetch(mirror.urlOf('/zig.tar.xz'), { signal: AbortSignal.timeout(300) }).catch(
      (e) => e,
    );
    expect((error as Error).name).toBe('TimeoutError');
    expect(mirror.count('/zig.tar.xz')).toBe(before + 1);
  });

  it('trickles the body one byte at a time', async () => {
    mirror.fault('/zig.tar.xz', { kind: 'trickle', intervalMs: 20 });
    const controller = new AbortController();
    const response = await fetch(mirror.urlOf('/zig.tar.xz'), { signal: controller.signal });
    const reader = response.body!.getReader();
    const chunks = [(await reader.read()).value, (await reader.read()).value];
    controller.abort();
    expect(chunks.map((chunk) => Buffer.from(chunk!))).toEqual([file.subarray(0, 1), file.subarray(1, 2)]);
  });

  it('redirects to another server', async () => {
    mirror.fault('/zig.tar.xz', { kind: 'redirect', location: other.urlOf('/zig.tar.xz') });
    const before = other.count('/zig.tar.xz');
    expect(await (await fetch(mirror.urlOf('/zig.tar.xz'))).text()).toBe('from the other server');
    expect(other.count('/zig.tar.xz')).toBe(before + 1);
  });

  it('redirects in a loop', async () => {
    mirror.fault('/zig.tar.xz', { kind: 'redirect-loop' });
    const error = await fetch(mirror.urlOf('/zig.tar.xz?source=xcc')).catch((e: Error) => e);
    expect(((error as Error).cause as Error).message).toBe('redirect count exceeded');
    expect(mirror.requests.at(-1)?.query).toBe('source=xcc');
  });

  it('flips one bit of one byte', async () => {
    mirror.fault('/zig.tar.xz', { kind: 'flip-byte' });
    const received = await bytes(await fetch(mirror.urlOf('/zig.tar.xz')));
    expect(received).toHaveLength(file.length);
    const differing = [...received.keys()].filter((i) => received[i] !== file[i]);
    expect(differing).toEqual([file.length / 2]);
    expect(received[file.length / 2]! ^ file[file.length / 2]!).toBe(1);
  });

  it("serves another path's bytes (a signature of another file)", async () => {
    mirror.setFile('/zig-0.14.1.tar.xz.minisig', 'another signature\n');
    mirror.fault('/zig.tar.xz.minisig', { kind: 'serve', path: '/zig-0.14.1.tar.xz.minisig' });
    expect(await (await fetch(mirror.urlOf('/zig.tar.xz.minisig'))).text()).toBe('another signature\n');
  });
});

describe('shutdown', () => {
  it('closes with a hung and a trickling request open', async () => {
    const server = await startMirrorServer({ files: { '/a': 'aaaa', '/b': 'bbbb' } });
    server.fault('/a', { kind: 'hang' });
    server.fault('/b', { kind: 'trickle' });
    const hung = fetch(server.urlOf('/a')).catch((e: Error) => e);
    const trickling = await fetch(server.urlOf('/b'));
    await server.close();
    expect(await hung).toBeInstanceOf(Error);
    await expect(trickling.text()).rejects.toThrow('terminated');
  });
});

describe('HTTPS with a throwaway CA, and proxies', () => {
  let certificates: TestCertificates;
  let secure: MirrorServer;
  beforeAll(async () => {
    certificates = await testCertificates();
    secure = await startMirrorServer({ tls: certificates, files: { '/index.json': '{"secure":true}' } });
  });
  afterAll(() => secure.close());

  // Asynchronously: the server runs in this process and must keep answering while the child fetches.
  const fetchInChild = async (url: string, env: NodeJS.ProcessEnv) => {
    const script = `fetch(${JSON.stringify(url)}).then((r) => r.text()).then(console.log, (e) => console.log(e.cause.code))`;
    const { stdout } = await promisify(execFile)(process.execPath, ['-e', script], {
      env: { PATH: process.env.PATH, ...env },
    });
    return stdout.trim();
  };

  it('is trusted by a Node process given the CA in NODE_EXTRA_CA_CERTS, and only then', async () => {
    expect(secure.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const url = secure.urlOf('/index.json');
    expect(await fetchInChild(url, { NODE_EXTRA_CA_CERTS: certificates.caFile })).toBe('{"secure":true}');
    expect(await fetchInChild(url, {})).toBe('UNABLE_TO_VERIFY_LEAF_SIGNATURE');
  });

  it('tunnels HTTPS through CONNECT', async () => {
    const proxy = await startProxyServer();
    try {
      const dispatcher = new ProxyAgent({ uri: proxy.url, requestTls: { ca: certificates.ca } });
      const response = await undiciFetch(secure.urlOf('/index.json'), { dispatcher });
      expect(await response.text()).toBe('{"secure":true}');
      expect(proxy.requests).toEqual([
        { method: 'CONNECT', target: `127.0.0.1:${secure.port}`, authorization: undefined },
      ]);
      await dispatcher.close();
    } finally {
      await proxy.close();
    }
  });

  it('forwards plain HTTP requests made with an absolute URL', async () => {
    const proxy = await startProxyServer();
    try {
      const target = mirror.urlOf('/zig.tar.xz.minisig?source=xcc');
      const body = await new Promise<string>((resolve, reject) => {
        const { port } = new URL(proxy.url);
        http
          .get({ host: '127.0.0.1', port, path: target }, (response) => {
            let text = '';
            response.setEncoding('utf8').on('data', (chunk: string) => {
              text += chunk;
            });
            response.on('end', () => resolve(text));
          })
          .on('error', reject);
      });
      expect(body).toBe(signature);
      expect(proxy.requests).toEqual([{ method: 'GET', target, authorization: undefined }]);
      expect(mirror.requests.at(-1)).toMatchObject({ path: '/zig.tar.xz.minisig', query: 'source=xcc' });
    } finally {
      await proxy.close();
    }
  });

  it('asks for credentials when configured with them', async () => {
    const proxy = await startProxyServer({ credentials: { user: 'u', password: 'p' } });
    const connect = (token?: string) =>
      new ProxyAgent({ uri: proxy.url, token, requestTls: { ca: certificates.ca } });
    try {
      const refused = await undiciFetch(secure.urlOf('/index.json'), { dispatcher: connect() }).catch(
        (e) => e,
      );
      expect(rootCause(refused).message).toBe('Proxy response (407) !== 200 when HTTP Tunneling');
      const token = `Basic ${Buffer.from('u:p').toString('base64')}`;
      const response = await undiciFetch(secure.urlOf('/index.json'), { dispatcher: connect(token) });
      expect(response.status).toBe(200);
      expect(proxy.requests.map((request) => request.authorization)).toEqual([undefined, token]);
    } finally {
      await proxy.close();
    }
  });

  it('refuses to reach anything but loopback', async () => {
    const proxy = await startProxyServer();
    const dispatcher = new ProxyAgent({ uri: proxy.url });
    try {
      const refused = await undiciFetch('https://ziglang.org/download/index.json', { dispatcher }).catch(
        (e) => e,
      );
      expect(rootCause(refused).message).toBe('Proxy response (403) !== 200 when HTTP Tunneling');
    } finally {
      await dispatcher.close();
      await proxy.close();
    }
  });

  it('serves HTTPS to an undici Agent given the CA', async () => {
    const dispatcher = new Agent({ connect: { ca: certificates.ca } });
    expect(await (await undiciFetch(secure.urlOf('/index.json'), { dispatcher })).text()).toBe(
      '{"secure":true}',
    );
    await dispatcher.close();
  });
});
