import { spawn } from 'node:child_process';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import type { Clock } from '../../src/clock.js';

/** Real servers on 127.0.0.1 for network tests: every test talks to a real socket. */

export interface LoggedRequest {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
}

export interface TestServer {
  /** `http://127.0.0.1:<port>` (or https). */
  origin: string;
  port: number;
  requests: LoggedRequest[];
  /** TCP connections accepted so far. */
  connections(): number;
  close(): Promise<void>;
}

export type Handler = (request: http.IncomingMessage, response: http.ServerResponse) => void;

export async function serve(handler: Handler, tls?: { key: string; cert: string }): Promise<TestServer> {
  const requests: LoggedRequest[] = [];
  const sockets = new Set<net.Socket>();
  let connections = 0;
  const onRequest: Handler = (request, response) => {
    requests.push({ method: request.method ?? '', url: request.url ?? '', headers: request.headers });
    handler(request, response);
  };
  const server = tls ? https.createServer(tls, onRequest) : http.createServer(onRequest);
  server.on('connection', (socket: net.Socket) => {
    connections++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  const port = await listen(server);
  return {
    origin: `${tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    port,
    requests,
    connections: () => connections,
    close: () => closeAll(server, sockets),
  };
}

/**
 * A server that answers every connection by writing `response` (status line, headers and body, as raw
 * bytes) and closing its side at once, as a plain HTTP/1.0 server does: the client sees the headers, the
 * body and the FIN back to back, whatever pace it reads at. Its `requests` stays empty (nothing is parsed).
 */
export async function serveRaw(response: Buffer): Promise<TestServer> {
  const sockets = new Set<net.Socket>();
  let connections = 0;
  const server = net.createServer((socket) => {
    connections++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    socket.once('data', () => socket.end(response));
  });
  const port = await listen(server);
  return {
    origin: `http://127.0.0.1:${port}`,
    port,
    requests: [],
    connections: () => connections,
    close: () => closeAll(server, sockets),
  };
}

export interface TestProxy {
  url: string;
  /** `CONNECT host:port` for tunnels, `GET http://...` for plain forwarded requests. */
  log: Array<{ method: string; target: string; headers: http.IncomingHttpHeaders }>;
  close(): Promise<void>;
}

/**
 * A tiny forward proxy: CONNECT tunnels (for https://) and absolute-URI requests (for http://).
 * With `credentials`, it answers 407 unless Proxy-Authorization carries them.
 */
export async function startProxy({ credentials }: { credentials?: string } = {}): Promise<TestProxy> {
  const refused = (request: http.IncomingMessage) =>
    credentials !== undefined &&
    request.headers['proxy-authorization'] !== `Basic ${Buffer.from(credentials).toString('base64')}`;
  const log: TestProxy['log'] = [];
  const sockets = new Set<net.Socket>();
  const track = (socket: net.Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  };
  const server = http.createServer((request, response) => {
    log.push({ method: request.method ?? '', target: request.url ?? '', headers: request.headers });
    if (refused(request)) {
      response.writeHead(407, { 'proxy-authenticate': 'Basic realm="test"' });
      response.end();
      return;
    }
    const upstream = http.request(
      request.url ?? '',
      { method: request.method, headers: request.headers },
      (reply) => {
        response.writeHead(reply.statusCode ?? 502, reply.headers);
        reply.pipe(response);
      },
    );
    upstream.on('error', () => response.destroy());
    request.pipe(upstream);
  });
  server.on('connection', track);
  server.on('connect', (request: http.IncomingMessage, client: net.Socket, head: Buffer) => {
    log.push({ method: 'CONNECT', target: request.url ?? '', headers: request.headers });
    if (refused(request)) {
      client.end(
        'HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="test"\r\n\r\n',
      );
      return;
    }
    const [host, port] = (request.url ?? '').split(':');
    const upstream = net.connect(Number(port), host, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    track(upstream);
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
  });
  const port = await listen(server);
  return { url: `http://127.0.0.1:${port}`, log, close: () => closeAll(server, sockets) };
}

function listen(server: net.Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port));
  });
}

function closeAll(server: net.Server, sockets: Set<net.Socket>): Promise<void> {
  for (const socket of sockets) socket.destroy();
  return new Promise((resolve) => server.close(() => resolve()));
}

/** A clock whose sleeps return at once and are recorded, so backoff is asserted rather than waited. */
export function instantClock(start = Date.parse('2025-06-01T00:00:00Z')): Clock & {
  sleeps: number[];
  advance(ms: number): void;
} {
  let now = start;
  const sleeps: number[] = [];
  return {
    sleeps,
    now: () => now,
    monotonic: () => performance.now(),
    random: () => 0.5,
    advance: (ms) => {
      now += ms;
    },
    sleep: async (ms, signal) => {
      signal?.throwIfAborted();
      sleeps.push(ms);
    },
  };
}

/**
 * A port whose listener never accepts and whose accept queue is full, so that a new connection attempt
 * hangs in the TCP handshake: a real connect timeout. The listener is a child process that blocks its
 * event loop right after listening; the queue is filled until a connection stops completing.
 */
export async function unacceptedPort(): Promise<{ port: number; close(): void }> {
  const script = `require('net').createServer().listen({ port: 0, host: '127.0.0.1', backlog: 1 }, function () {
    process.stdout.write(this.address().port + '\\n');
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
  });`;
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve) =>
    child.stdout.once('data', (data) => resolve(Number(data))),
  );
  const fillers: net.Socket[] = [];
  for (let completed = true; completed; ) {
    const socket = net.connect(port, '127.0.0.1').on('error', () => undefined);
    fillers.push(socket);
    completed = await new Promise<boolean>((resolve) => {
      socket.once('connect', () => resolve(true));
      setTimeout(() => resolve(false), 500);
    });
  }
  return {
    port,
    close() {
      for (const socket of fillers) socket.destroy();
      child.kill('SIGKILL');
    },
  };
}
