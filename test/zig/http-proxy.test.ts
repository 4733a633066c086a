import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Env } from '../../src/home.js';
import { createHttpClient, HttpError } from '../../src/zig/net/http.js';
import { serve, type TestServer } from '../support/net.js';
import { projectRoot } from '../support/paths.js';
import { type ProxyServer, startProxyServer } from '../support/proxy-server.js';
import { type TestCertificates, testCertificates } from '../support/test-ca.js';

const running: Array<TestServer | ProxyServer> = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((server) => server.close()));
});

async function origin(tls?: TestCertificates) {
  const server = await serve((_, response) => response.end('zig index'), tls);
  running.push(server);
  return server;
}

async function proxy() {
  const started = await startProxyServer();
  running.push(started);
  return started;
}

describe('proxy for http:// URLs (in this process)', () => {
  it.each([
    ['HTTP_PROXY', (proxyUrl: string) => ({ HTTP_PROXY: proxyUrl })],
    ['http_proxy', (proxyUrl: string) => ({ http_proxy: proxyUrl })],
    ['npm_config_proxy (an npm script)', (proxyUrl: string) => ({ npm_config_proxy: proxyUrl })],
  ])('goes through the proxy named by %s', async (_, envFor) => {
    const [server, through] = [await origin(), await proxy()];
    const http = createHttpClient({ env: envFor(through.url) });
    await expect(http.getText(`${server.origin}/index.json`)).resolves.toMatchObject({ body: 'zig index' });
    expect(through.requests.map((entry) => `${entry.method} ${entry.target}`)).toEqual([
      `GET ${server.origin}/index.json`,
    ]);
    expect(server.requests).toHaveLength(1);
  });

  it.each([
    ['NO_PROXY', { NO_PROXY: 'example.com,127.0.0.1' }],
    ['no_proxy with a port', (port: number) => ({ no_proxy: `127.0.0.1:${port}` })],
    ['npm_config_noproxy', { npm_config_noproxy: '127.0.0.1' }],
    ['NO_PROXY=*', { NO_PROXY: '*' }],
  ])('bypasses the proxy for hosts in %s', async (_, noProxy) => {
    const [server, through] = [await origin(), await proxy()];
    const extra = typeof noProxy === 'function' ? noProxy(server.port) : noProxy;
    const http = createHttpClient({ env: { HTTP_PROXY: through.url, ...extra } });
    await expect(http.getText(server.origin)).resolves.toMatchObject({ body: 'zig index' });
    expect(through.requests).toEqual([]);
    expect(server.requests).toHaveLength(1);
  });

  it('prefers npm_config_proxy over HTTP_PROXY, as npm does', async () => {
    const [server, npmProxy, envProxy] = [await origin(), await proxy(), await proxy()];
    const http = createHttpClient({ env: { npm_config_proxy: npmProxy.url, HTTP_PROXY: envProxy.url } });
    await http.getText(server.origin);
    expect([npmProxy.requests.length, envProxy.requests.length]).toEqual([1, 0]);
  });

  it.each(['http', 'https'])(
    'says how to give credentials when the proxy answers 407 (%s)',
    async (scheme) => {
      const through = await startProxyServer({ credentials: { user: 'ci-user', password: 'secret' } });
      running.push(through);
      const http = createHttpClient({ env: { HTTP_PROXY: through.url } });
      const error = await http
        .getText(`${scheme}://127.0.0.1:9/index.json`)
        .catch((reason: unknown) => reason);
      expect(error).toBeInstanceOf(HttpError);
      expect(error).toMatchObject({ failure: 'network', retryable: false });
      expect((error as HttpError).message).toBe(
        `cannot fetch ${scheme}://127.0.0.1:9/index.json: the proxy requires credentials (HTTP 407); ` +
          'put them in the proxy URL, as in HTTPS_PROXY=http://<user>:<password>@proxy:port',
      );
      expect(through.requests.map((entry) => entry.method)).toEqual([scheme === 'http' ? 'GET' : 'CONNECT']);
    },
  );

  it('sends the credentials of the proxy URL as Proxy-Authorization', async () => {
    const server = await origin();
    const through = await startProxyServer({ credentials: { user: 'ci-user', password: 'p@ss' } });
    running.push(through);
    const withCredentials = through.url.replace('http://', 'http://ci-user:p%40ss@');
    await createHttpClient({ env: { HTTP_PROXY: withCredentials } }).getText(server.origin);
    expect(through.requests[0]?.authorization).toBe(
      `Basic ${Buffer.from('ci-user:p@ss').toString('base64')}`,
    );
  });
});

describe('https:// through a CONNECT proxy and a private CA (child processes)', () => {
  let dir: string;
  let ca: TestCertificates;
  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'xcc-tls-'));
    ca = await testCertificates();
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** The test's own environment without anything that could route or trust differently. */
  function cleanEnv(extra: Env): NodeJS.ProcessEnv {
    const env = Object.fromEntries(
      Object.entries(process.env).filter(([name]) => !/proxy|^NODE_EXTRA_CA_CERTS$|^XCC_/i.test(name)),
    );
    return { ...env, ...extra };
  }

  async function getInChild(url: string, env: Env) {
    const child = promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', 'test/support/http-get.ts', url],
      {
        cwd: projectRoot,
        env: cleanEnv(env),
      },
    );
    const result = await child.then(
      ({ stdout }) => ({ exitCode: 0, stdout }),
      (error: { code: number; stdout: string }) => ({ exitCode: error.code, stdout: error.stdout }),
    );
    return { exitCode: result.exitCode, output: JSON.parse(result.stdout) };
  }

  it('trusts a CA named by NODE_EXTRA_CA_CERTS', async () => {
    const server = await origin(ca);
    const result = await getInChild(`${server.origin}/index.json`, { NODE_EXTRA_CA_CERTS: ca.caFile });
    expect(result).toEqual({
      exitCode: 0,
      output: expect.objectContaining({ status: 200, body: 'zig index' }),
    });
  });

  it('without it, fails with a message that names NODE_EXTRA_CA_CERTS', async () => {
    const server = await origin(ca);
    const result = await getInChild(server.origin, {});
    expect(result.exitCode).toBe(1);
    expect(result.output.error).toMatchObject({ name: 'HttpError', failure: 'tls' });
    expect(result.output.error.message).toMatch(
      /not trusted \(UNABLE_TO_VERIFY_LEAF_SIGNATURE\); .*set NODE_EXTRA_CA_CERTS to the file holding its CA certificate$/,
    );
  });

  it("trusts npm's cafile setting (npm_config_cafile), in this very process", async () => {
    const server = await origin(ca);
    const trusting = createHttpClient({ env: { npm_config_cafile: ca.caFile } });
    await expect(trusting.getText(server.origin)).resolves.toMatchObject({ body: 'zig index' });
    const error = await createHttpClient({ env: {} })
      .getText(server.origin)
      .catch((reason: unknown) => reason);
    expect(error).toMatchObject({ failure: 'tls' });
  });

  it('names npm_config_cafile when its file cannot be read', async () => {
    const missing = path.join(dir, 'missing.pem');
    const http = createHttpClient({ env: { npm_config_cafile: missing } });
    await expect(http.getText('https://127.0.0.1:9/')).rejects.toThrow(
      `cannot read the CA certificates in ${missing} (named by npm_config_cafile): ENOENT; point it at a PEM file`,
    );
  });

  it('tunnels through HTTPS_PROXY with CONNECT', async () => {
    const [server, through] = [await origin(ca), await proxy()];
    const result = await getInChild(server.origin, {
      NODE_EXTRA_CA_CERTS: ca.caFile,
      HTTPS_PROXY: through.url,
    });
    expect(result.exitCode).toBe(0);
    expect(through.requests.map((entry) => `${entry.method} ${entry.target}`)).toEqual([
      `CONNECT 127.0.0.1:${server.port}`,
    ]);
  });

  it('tunnels through npm_config_https_proxy, and NO_PROXY bypasses it', async () => {
    const [server, through] = [await origin(ca), await proxy()];
    const env = { NODE_EXTRA_CA_CERTS: ca.caFile, npm_config_https_proxy: through.url };
    expect((await getInChild(server.origin, env)).exitCode).toBe(0);
    expect(through.requests).toHaveLength(1);
    expect((await getInChild(server.origin, { ...env, NO_PROXY: '127.0.0.1' })).exitCode).toBe(0);
    expect(through.requests).toHaveLength(1);
    expect(server.requests).toHaveLength(2);
  });
});
