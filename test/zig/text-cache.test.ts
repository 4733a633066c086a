import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cacheLayout } from '../../src/home.js';
import { createHttpClient, HttpError, OfflineError } from '../../src/zig/net/http.js';
import { fetchCachedText } from '../../src/zig/releases/text-cache.js';
import { instantClock, serve, type TestServer } from '../support/net.js';

const HOUR = 60 * 60 * 1000;
let home: string;
let server: TestServer;
let content: { body: string; etag: string };

beforeEach(async () => {
  home = mkdtempSync(path.join(os.tmpdir(), 'xcc-text-cache-'));
  content = { body: '{"0.15.2":{}}', etag: '"one"' };
  server = await serve((request, response) => {
    if (request.headers['if-none-match'] === content.etag) {
      response.writeHead(304, { etag: content.etag });
      response.end();
      return;
    }
    response.writeHead(200, { etag: content.etag, 'last-modified': 'Sun, 01 Jun 2025 00:00:00 GMT' });
    response.end(content.body);
  });
});
afterEach(async () => {
  await server.close();
  rmSync(home, { recursive: true, force: true });
});

function setup(env = {}) {
  const clock = instantClock();
  const http = createHttpClient({ env, clock, retry: { retries: 0 } });
  const url = `${server.origin}/download/index.json`;
  const fetch = (options: { ttlMs?: number } = {}) =>
    fetchCachedText(http, url, { home, clock, ttlMs: options.ttlMs ?? HOUR });
  return { clock, fetch, url };
}

describe('cached text resources', () => {
  it('fetches once, then serves the copy without a request while it is fresh', async () => {
    const { clock, fetch } = setup();
    expect(await fetch()).toMatchObject({ body: content.body, origin: 'network', stale: false });
    clock.advance(HOUR - 1);
    expect(await fetch()).toMatchObject({ body: content.body, origin: 'cache', stale: false });
    expect(server.requests).toHaveLength(1);
    expect(readdirSync(cacheLayout(home).meta)).toEqual([
      expect.stringMatching(/^index\.json-[0-9a-f]{12}\.json$/),
    ]);
  });

  it('revalidates an expired copy with If-None-Match and reuses it on 304', async () => {
    const { clock, fetch } = setup();
    await fetch();
    clock.advance(HOUR + 1);
    const revalidated = await fetch();
    expect(revalidated).toMatchObject({
      body: content.body,
      origin: 'revalidated',
      stale: false,
      fetchedAt: clock.now(),
    });
    expect(server.requests.map((request) => request.headers['if-none-match'])).toEqual([undefined, '"one"']);
    expect(server.requests[1]?.headers['if-modified-since']).toBe('Sun, 01 Jun 2025 00:00:00 GMT');
    // The 304 restarted the TTL.
    clock.advance(HOUR - 1);
    expect(await fetch()).toMatchObject({ origin: 'cache' });
    expect(server.requests).toHaveLength(2);
  });

  it('never caches a body the caller cannot use: the next run asks again', async () => {
    const { url } = setup();
    const http = createHttpClient({ env: {}, clock: instantClock(), retry: { retries: 0 } });
    const accept = (body: string) => {
      if (body.startsWith('<')) throw new Error('not JSON');
    };
    content = { body: '<!DOCTYPE html><p>Sign in</p>', etag: '"portal"' };
    const fetch = () => fetchCachedText(http, url, { home, ttlMs: HOUR, accept });
    await expect(fetch()).rejects.toThrow('not JSON');
    const meta = cacheLayout(home).meta;
    expect(existsSync(meta) ? readdirSync(meta) : []).toEqual([]);
    content = { body: '{"0.15.2":{}}', etag: '"one"' };
    expect(await fetch()).toMatchObject({ body: content.body, origin: 'network' });
    expect(server.requests).toHaveLength(2);
  });

  it('replaces the copy when the server has a new one', async () => {
    const { clock, fetch } = setup();
    await fetch();
    content = { body: '{"0.16.0":{}}', etag: '"two"' };
    clock.advance(HOUR + 1);
    expect(await fetch()).toMatchObject({ body: '{"0.16.0":{}}', origin: 'network' });
    expect(await fetch()).toMatchObject({ body: '{"0.16.0":{}}', origin: 'cache' });
  });

  it('falls back to the stale copy, flagged, when the server is unreachable', async () => {
    const { clock, fetch } = setup();
    const first = await fetch();
    await server.close();
    clock.advance(2 * HOUR);
    const stale = await fetch();
    expect(stale).toMatchObject({
      body: content.body,
      origin: 'cache',
      stale: true,
      fetchedAt: first.fetchedAt,
    });
    expect(stale.error).toBeInstanceOf(HttpError);
  });

  it('without a copy, a network failure is an error', async () => {
    const { fetch } = setup();
    await server.close();
    await expect(fetch()).rejects.toBeInstanceOf(HttpError);
  });

  it('offline, serves the copy (stale after its TTL) without connecting, or fails with OfflineError', async () => {
    await setup().fetch();
    const offline = setup({ XCC_OFFLINE: '1' });
    const connections = server.connections();
    expect(await offline.fetch()).toMatchObject({ origin: 'cache', stale: false });
    offline.clock.advance(2 * HOUR);
    const stale = await offline.fetch();
    expect(stale).toMatchObject({ origin: 'cache', stale: true });
    expect(stale.error).toBeInstanceOf(OfflineError);
    expect(server.connections()).toBe(connections);

    const elsewhere = fetchCachedText(
      createHttpClient({ env: { XCC_OFFLINE: '1' } }),
      `${server.origin}/other.txt`,
      {
        home,
        ttlMs: HOUR,
      },
    );
    await expect(elsewhere).rejects.toBeInstanceOf(OfflineError);
  });

  it('refetches a damaged copy', async () => {
    const { clock, fetch } = setup();
    await fetch();
    const [name] = readdirSync(cacheLayout(home).meta);
    const file = path.join(cacheLayout(home).meta, name ?? '');
    writeFileSync(file, readFileSync(file, 'utf8').slice(0, 20));
    clock.advance(1);
    expect(await fetch()).toMatchObject({ origin: 'network', body: content.body });
  });
});
