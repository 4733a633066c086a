import { createHash } from 'node:crypto';
import type http from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  createHttpClient,
  type Download,
  type HttpClientOptions,
  HttpError,
  OfflineError,
  offlineSetting,
  type Progress,
  proxySettings,
  type RetryEvent,
  retryAfterMs,
} from '../../src/zig/net/http.js';
import { instantClock, serve, serveRaw, type TestServer, unacceptedPort } from '../support/net.js';

const servers: TestServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

async function start(
  handler: (request: http.IncomingMessage, response: http.ServerResponse, hit: number) => void,
) {
  let hits = 0;
  const server = await serve((request, response) => handler(request, response, ++hits));
  servers.push(server);
  return server;
}

function client(options: HttpClientOptions = {}) {
  const clock = instantClock();
  const retries: RetryEvent[] = [];
  const http = createHttpClient({
    env: {},
    clock,
    timeouts: { connectMs: 2_000, idleMs: 2_000, deadlineMs: 20_000 },
    onRetry: (event) => retries.push(event),
    ...options,
  });
  return { http, clock, retries };
}

/** What a failed promise rejected with, for assertions on its fields. */
async function failure(promise: Promise<unknown>): Promise<HttpError> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(HttpError);
  return error as HttpError;
}

const payload = Buffer.from(Array.from({ length: 5000 }, (_, i) => i % 251));

describe('retries', () => {
  it('retries a 503 and succeeds on the next answer', async () => {
    const server = await start((_, response, hit) => {
      response.statusCode = hit === 1 ? 503 : 200;
      response.end(hit === 1 ? 'busy' : 'hello');
    });
    const { http, clock, retries } = client();
    const response = await http.getText(`${server.origin}/index.json`);
    expect(response).toMatchObject({ status: 200, body: 'hello' });
    expect(server.requests).toHaveLength(2);
    expect(retries.map((event) => [event.attempt, event.error.status])).toEqual([[1, 503]]);
    // First backoff step is 500ms with equal jitter: 250 + 0.5 * 250.
    expect(clock.sleeps).toEqual([375]);
  });

  it('waits as long as Retry-After says on a 429', async () => {
    const server = await start((_, response, hit) => {
      if (hit === 1) response.writeHead(429, { 'retry-after': '7' });
      response.end('ok');
    });
    const { http, clock } = client();
    await expect(http.getText(server.origin)).resolves.toMatchObject({ status: 200, body: 'ok' });
    expect(clock.sleeps).toEqual([7000]);
  });

  it('gives up at once when Retry-After is longer than the cap, so the caller can try elsewhere', async () => {
    const server = await start((_, response) => {
      response.writeHead(429, { 'retry-after': '3600' });
      response.end();
    });
    const { http, clock } = client();
    const error = await failure(http.getText(server.origin));
    expect(error).toMatchObject({ status: 429, retryable: true, retryAfterMs: 3_600_000 });
    expect(server.requests).toHaveLength(1);
    expect(clock.sleeps).toEqual([]);
  });

  it('backs off exponentially and stops after the configured retries', async () => {
    const server = await start((_, response) => {
      response.statusCode = 502;
      response.end();
    });
    const { http, clock } = client({ retry: { retries: 4, baseDelayMs: 100, maxDelayMs: 500 } });
    const error = await failure(http.getText(server.origin));
    expect(error).toMatchObject({ failure: 'status', status: 502 });
    expect(error.message).toBe(`cannot fetch ${server.origin}: HTTP 502`);
    expect(server.requests).toHaveLength(5);
    expect(clock.sleeps).toEqual([75, 150, 300, 375]);
  });

  it.each([400, 403, 404, 410])('does not retry a %i', async (status) => {
    const server = await start((_, response) => {
      response.statusCode = status;
      response.end('no');
    });
    const { http, clock } = client();
    const error = await failure(http.download(`${server.origin}/zig.tar.xz`));
    expect(error).toMatchObject({ status, retryable: false, url: `${server.origin}/zig.tar.xz` });
    expect(server.requests).toHaveLength(1);
    expect(clock.sleeps).toEqual([]);
  });

  it('retries a 408', async () => {
    const server = await start((_, response, hit) => {
      response.statusCode = hit === 1 ? 408 : 200;
      response.end('fine');
    });
    const { http } = client();
    await expect(http.getText(server.origin)).resolves.toMatchObject({ body: 'fine' });
    expect(server.requests).toHaveLength(2);
  });

  it('refetches text whose connection was reset mid-body', async () => {
    const body = 'x'.repeat(5000);
    const server = await start((request, response, hit) => {
      response.writeHead(200, { 'content-length': String(body.length) });
      if (hit === 1) {
        response.write(body.slice(0, 1000));
        setTimeout(() => request.socket.destroy(), 20);
        return;
      }
      response.end(body);
    });
    const { http, retries } = client();
    await expect(http.getText(server.origin)).resolves.toMatchObject({ status: 200, body });
    expect(retries.map((event) => event.error.failure)).toEqual(['network']);
  });

  it.each([
    ['5', 5000],
    ['0', 0],
    ['Sun, 01 Jun 2025 00:00:30 GMT', 30_000],
    ['soon', undefined],
    [undefined, undefined],
  ])('reads Retry-After %j as %j ms', (value, expected) => {
    expect(retryAfterMs(value, instantClock(Date.parse('2025-06-01T00:00:00Z')))).toBe(expected);
  });
});

describe('downloads', () => {
  function rangeServer({ breakFirst, ranges }: { breakFirst: boolean; ranges: boolean }) {
    return start((request, response, hit) => {
      const range = /^bytes=(\d+)-$/.exec(request.headers.range ?? '');
      const etag = '"v1"';
      if (range && ranges && request.headers['if-range'] === etag) {
        const from = Number(range[1]);
        response.writeHead(206, {
          'content-length': String(payload.length - from),
          'content-range': `bytes ${from}-${payload.length - 1}/${payload.length}`,
          etag,
        });
        response.end(payload.subarray(from));
        return;
      }
      response.writeHead(200, { 'content-length': String(payload.length), etag, 'accept-ranges': 'bytes' });
      if (breakFirst && hit === 1) {
        response.write(payload.subarray(0, 1200));
        setTimeout(() => request.socket.destroy(), 20);
        return;
      }
      response.end(payload);
    });
  }

  it('streams the body with its size and progress events', async () => {
    const server = await rangeServer({ breakFirst: false, ranges: true });
    const { http } = client();
    const events: Progress[] = [];
    const download = await http.download(`${server.origin}/zig.tar.xz`, {
      source: 'mirror-a',
      onProgress: (event) => events.push(event),
    });
    expect(download.size).toBe(payload.length);
    expect(await sha256(download)).toBe(digest(payload));
    expect(events[0]).toEqual({
      url: `${server.origin}/zig.tar.xz`,
      source: 'mirror-a',
      bytes: 0,
      total: 5000,
    });
    expect(events.at(-1)).toMatchObject({ bytes: 5000, total: 5000 });
    expect(events.every((event, i) => i === 0 || event.bytes > events[i - 1]!.bytes)).toBe(true);
  });

  it('resumes a body whose connection was reset, with Range and If-Range', async () => {
    const server = await rangeServer({ breakFirst: true, ranges: true });
    const { http } = client();
    const download = await http.download(server.origin);
    expect(await sha256(download)).toBe(digest(payload));
    expect(server.requests.map((request) => [request.headers.range, request.headers['if-range']])).toEqual([
      [undefined, undefined],
      ['bytes=1200-', '"v1"'],
    ]);
  });

  it('fails the stream when the server cannot resume', async () => {
    const server = await rangeServer({ breakFirst: true, ranges: false });
    const { http } = client();
    const download = await http.download(server.origin);
    const error = await failure(sha256(download));
    expect(error).toMatchObject({ failure: 'network', status: undefined, retryable: false });
    expect(error.message).toMatch(
      /the connection broke \(\w+: [^)]*\) after 1200 bytes, and the server cannot resume the transfer$/,
    );
  });

  it('closes the connection when a download is cancelled before its body is read', async () => {
    let closed!: () => void;
    const connectionClosed = new Promise<void>((resolve) => {
      closed = resolve;
    });
    const server = await start((request, response) => {
      request.socket.on('close', closed);
      response.writeHead(200, { 'content-length': String(payload.length * 100) });
      response.write(payload);
    });
    // Without the fix only the idle timeout closes it: make that longer than the test's own timeout.
    const { http } = client({ timeouts: { idleMs: 120_000 } });
    const download = await http.download(server.origin);
    download.cancel();
    await connectionClosed;
    await http.close();
  });

  it('raises no error when a download whose whole body has arrived is cancelled unread', async () => {
    const server = await start((_, response) => {
      response.writeHead(200, { 'content-length': String(payload.length) });
      response.end(payload);
    });
    const { http } = client();
    const download = await http.download(server.origin);
    download.cancel();
    // An error event nobody listens to would surface as an uncaught exception and fail this file.
    await http.close();
    await new Promise((resolve) => setImmediate(resolve));
  });

  it('aborts a download through its AbortSignal, with the caller reason', async () => {
    const server = await start((_, response) => {
      response.writeHead(200, { 'content-length': '100000' });
      response.write(Buffer.alloc(100));
    });
    const { http } = client();
    const controller = new AbortController();
    const download = await http.download(server.origin, { signal: controller.signal });
    const reading = download.read(() => controller.abort(new Error('user pressed ^C')));
    await expect(reading).rejects.toThrow('user pressed ^C');
  });
});

describe('servers that close the connection after each response (HTTP/1.0)', () => {
  // undici 7 asserts that its HTTP/1 parser is not paused when such a connection ends (nodejs/undici#5360,
  // fixed in undici 8 only): a reader that fell behind made that an uncatchable AssertionError, which
  // killed the process. Here the headers, the body and the FIN arrive back to back while the reader is
  // busy. A body just over undici's 64 KiB buffer ends exactly as that buffer fills (the parser pauses on
  // the last byte); a large one, read slowly, ends wherever the pace puts it.
  const sizes = { 'just over 64 KiB': 64 * 1024 + 1, '8 MiB': 8 * 1024 * 1024 };
  const cases = Object.entries(sizes).flatMap(([size, length]) => {
    const body = Buffer.from(Array.from({ length }, (_, i) => (i * 7) % 256));
    return [
      [`${size} with Content-Length`, body, `HTTP/1.0 200 OK\r\nContent-Length: ${length}\r\n\r\n`],
      [`${size} ended by the FIN`, body, 'HTTP/1.0 200 OK\r\n\r\n'],
    ] as const;
  });

  // The assertion is thrown from a socket event, outside the test: collected here so that the test fails.
  const uncaught: unknown[] = [];
  const collect = (error: unknown) => uncaught.push(error);
  beforeEach(() => {
    uncaught.length = 0;
    process.on('uncaughtException', collect);
  });
  afterEach(() => {
    process.off('uncaughtException', collect);
  });

  it.each(cases)('reads a body of %s while the reader is behind', async (_, body, head) => {
    const server = await serveRaw(Buffer.concat([Buffer.from(head), body]));
    servers.push(server);
    const { http } = client();
    const download = await http.download(`${server.origin}/zig.tar.xz`);
    await sleep(200);
    const hash = createHash('sha256');
    await download.read((chunk) => {
      hash.update(chunk);
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1);
    });
    expect(hash.digest('hex')).toBe(digest(body));
    await http.close();
    expect(uncaught).toEqual([]);
  });
});

describe('timeouts and redirects', () => {
  it('times out a server that never answers, without retrying', async () => {
    const server = await start(() => undefined);
    const { http } = client({ timeouts: { idleMs: 300 } });
    const error = await failure(http.getText(server.origin));
    expect(error).toMatchObject({ failure: 'timeout', retryable: false });
    expect(error.message).toBe(`cannot fetch ${server.origin}: no response within 0.3s`);
    expect(server.requests).toHaveLength(1);
  });

  it('times out a connection that is never accepted, without retrying', async () => {
    const unaccepted = await unacceptedPort();
    try {
      const { http, clock } = client({ timeouts: { connectMs: 300 } });
      const error = await failure(http.getText(`http://127.0.0.1:${unaccepted.port}/`));
      expect(error).toMatchObject({ failure: 'timeout', retryable: false });
      expect(error.message).toMatch(
        /could not connect within 0\.3s; check the network and the proxy settings/,
      );
      expect(clock.sleeps).toEqual([]);
    } finally {
      unaccepted.close();
    }
  });

  it('gives up on a body that trickles and then stalls, after resuming', async () => {
    const server = await start((request, response) => {
      const from = Number(/^bytes=(\d+)-$/.exec(request.headers.range ?? '')?.[1] ?? 0);
      response.writeHead(from ? 206 : 200, {
        'content-length': String(1000 - from),
        'last-modified': 'Sun, 01 Jun 2025 00:00:00 GMT',
        ...(from ? { 'content-range': `bytes ${from}-999/1000` } : {}),
      });
      response.write('a');
    });
    const { http, clock } = client({ timeouts: { idleMs: 300 }, retry: { retries: 1 } });
    const download = await http.download(server.origin);
    const error = await failure(text(download));
    expect(error).toMatchObject({ failure: 'timeout', retryable: true });
    expect(error.message).toContain('the transfer stalled for 0.3s');
    expect(server.requests.map((request) => request.headers.range)).toEqual([undefined, 'bytes=1-']);
    expect(clock.sleeps).toHaveLength(1);
  });

  it('enforces the overall deadline on a body that keeps trickling', async () => {
    const server = await start((_, response) => {
      response.writeHead(200, { 'content-length': '1000' });
      const timer = setInterval(() => response.write('a'), 30);
      response.on('close', () => clearInterval(timer));
    });
    const { http } = client({ timeouts: { idleMs: 1000, deadlineMs: 400 } });
    const download = await http.download(server.origin);
    const error = await failure(text(download));
    expect(error).toMatchObject({ failure: 'timeout', retryable: false });
    expect(error.message).toContain('not complete after 0.4s (the overall deadline)');
  });

  it('follows redirects and reports the final URL', async () => {
    const server = await start((request, response) => {
      if (request.url === '/zig.tar.xz') response.writeHead(302, { location: '/files/zig.tar.xz' });
      response.end('bytes');
    });
    const { http } = client();
    const download = await http.download(`${server.origin}/zig.tar.xz`);
    expect(download.url).toBe(`${server.origin}/files/zig.tar.xz`);
    expect(await text(download)).toBe('bytes');
  });

  it('names the URL of a redirect loop', async () => {
    const server = await start((request, response) => {
      response.writeHead(301, { location: request.url === '/a' ? '/b' : '/a' });
      response.end();
    });
    const { http } = client();
    const error = await failure(http.getText(`${server.origin}/a`));
    expect(error).toMatchObject({ failure: 'redirect', retryable: false });
    expect(error.message).toBe(
      `cannot fetch ${server.origin}/a: redirect loop (${server.origin}/b -> ${server.origin}/a)`,
    );
  });

  it('stops after too many redirects', async () => {
    const server = await start((request, response) => {
      response.writeHead(302, { location: `/r${Number(request.url?.slice(2) || 0) + 1}` });
      response.end();
    });
    const { http } = client();
    const error = await failure(http.getText(`${server.origin}/r0`));
    expect(error.message).toBe(`cannot fetch ${server.origin}/r0: more than 5 redirects`);
  });

  it('does not retry a refused connection and says what to check', async () => {
    const server = await start(() => undefined);
    await server.close();
    const { http, clock } = client();
    const error = await failure(http.getText(server.origin));
    expect(error).toMatchObject({ failure: 'network', retryable: false, status: undefined });
    expect(error.message).toMatch(
      /ECONNREFUSED.*check the network and the proxy settings \(HTTPS_PROXY, NO_PROXY\)$/,
    );
    expect(clock.sleeps).toEqual([]);
  });
});

describe('headers', () => {
  it('sends an xcc User-Agent', async () => {
    const server = await start((_, response) => response.end('ok'));
    await createHttpClient({ env: {} }).getText(server.origin);
    expect(server.requests[0]?.headers['user-agent']).toMatch(
      new RegExp(
        `^xcc/\\d+\\.\\d+\\.\\d+ \\(node ${process.version}; ${process.platform}-${process.arch}\\)$`,
      ),
    );
  });
});

describe('credentials in the URL', () => {
  it('sends user:password@ as Basic authentication, to that origin only, and never shows it', async () => {
    const elsewhere = await start((_, response) => response.end('moved'));
    const server = await start((request, response) => {
      if (request.headers.authorization !== `Basic ${Buffer.from('user:p@ss word').toString('base64')}`) {
        response.statusCode = 401;
      } else if (request.url === '/a') {
        response.writeHead(302, { location: '/b' });
      } else if (request.url === '/b') {
        response.writeHead(302, { location: `${elsewhere.origin}/c` });
      }
      response.end();
    });
    const { http } = client();
    const withCredentials = (path: string) => server.origin.replace('://', '://user:p%40ss%20word@') + path;
    await expect(http.getText(withCredentials('/ok'))).resolves.toMatchObject({ status: 200 });
    await expect(http.getText(withCredentials('/a'))).resolves.toMatchObject({ body: 'moved' });
    expect(elsewhere.requests[0]?.headers.authorization).toBeUndefined();
    const error = await failure(http.getText(server.origin.replace('://', '://user:wrong@')));
    expect(error.message).toBe(`cannot fetch ${server.origin.replace('://', '://****@')}: HTTP 401`);
  });
});

describe('offline switch', () => {
  it.each([
    [{ XCC_OFFLINE: '1' }, 'XCC_OFFLINE=1'],
    [{ XCC_OFFLINE: 'true' }, 'XCC_OFFLINE=true'],
    [{ npm_config_offline: 'true' }, 'npm_config_offline=true'],
    [{ XCC_OFFLINE: '0', npm_config_offline: '' }, undefined],
    [{ XCC_OFFLINE: 'false' }, undefined],
    [{}, undefined],
  ])('reads %j as %j', (env, setting) => {
    expect(offlineSetting(env)).toBe(setting);
  });

  it('fails before making any connection', async () => {
    const server = await start((_, response) => response.end('ok'));
    const http = createHttpClient({ env: { XCC_OFFLINE: '1' } });
    for (const request of [http.getText(server.origin), http.download(server.origin)]) {
      const error = await request.catch((reason: unknown) => reason);
      expect(error).toBeInstanceOf(OfflineError);
      expect(error).toMatchObject({
        url: server.origin,
        setting: 'XCC_OFFLINE=1',
        message: `cannot fetch ${server.origin}: the network is switched off (XCC_OFFLINE=1)`,
      });
    }
    expect(server.connections()).toBe(0);
  });
});

describe('proxy settings from the environment', () => {
  it.each([
    [{}, { httpProxy: undefined, httpsProxy: undefined, noProxy: undefined }],
    [{ HTTPS_PROXY: 'http://p:1' }, { httpProxy: undefined, httpsProxy: 'http://p:1', noProxy: undefined }],
    [{ HTTP_PROXY: 'http://p:1' }, { httpProxy: 'http://p:1', httpsProxy: 'http://p:1', noProxy: undefined }],
    [{ https_proxy: 'http://low:1', HTTPS_PROXY: 'http://up:1' }, { httpsProxy: 'http://low:1' }],
    [{ NO_PROXY: 'example.com', no_proxy: 'lower.example' }, { noProxy: 'lower.example' }],
    [
      { npm_config_https_proxy: 'http://npm:1', HTTPS_PROXY: 'http://env:1' },
      { httpsProxy: 'http://npm:1', httpProxy: undefined },
    ],
    [{ npm_config_proxy: 'http://npm:1' }, { httpProxy: 'http://npm:1', httpsProxy: 'http://npm:1' }],
    [{ npm_config_noproxy: 'a.example,b.example', NO_PROXY: 'c' }, { noProxy: 'a.example,b.example' }],
    [{ npm_config_proxy: '', HTTP_PROXY: 'http://env:1' }, { httpProxy: 'http://env:1' }],
  ])('%j gives %j', (env, expected) => {
    expect(proxySettings(env)).toMatchObject(expected);
  });
});

async function sha256(download: Download): Promise<string> {
  const hash = createHash('sha256');
  await download.read((chunk) => hash.update(chunk));
  return hash.digest('hex');
}

async function text(download: Download): Promise<string> {
  const chunks: Buffer[] = [];
  await download.read((chunk) => chunks.push(chunk));
  return Buffer.concat(chunks).toString('utf8');
}

function digest(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}
